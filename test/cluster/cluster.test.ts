// The launcher on a real Temporal cluster (tools/servers/temporal-cluster.ts: PostgreSQL, and the
// frontend, history, matching and worker services as separate processes) instead of the
// single-process dev server. A storm of 20 requests from Zuul, with the history service stopped
// and started again in the middle of it: every request is fulfilled, one server per node, no lock
// left, and no node workflow's task failed. Skipped (saying why) when the cluster's binaries are
// not built (tools/setup-temporal-cluster).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useStack, eventually, withDiagnostics, type Stack } from '../harness/stack';
import { assertNoLocks, assertOneServerPerNode, waitFulfilled, failedWorkflowTasks } from '../harness/invariants';
import { listNodes } from '../../activities/launcher/store';
import { temporalClusterBinaries, type TemporalCluster } from '../../tools/servers/temporal-cluster';

const N = 20;

const bins = temporalClusterBinaries();
const skip = 'missing' in bins ? bins.missing : false;
if (skip) console.log(`# skipping the Temporal cluster tests: ${skip}`);

const stack = skip
  ? () => assert.fail('no stack')
  : useStack(
      (cloud) => ({
        labels: [{ name: 'small' }],
        providers: [
          {
            name: 'sim',
            cloud,
            rate: 0,
            'cloud-images': [{ name: 'noble', 'image-name': 'ubuntu-noble' }],
            pools: [{ name: 'main', 'max-servers': 100, 'host-key-checking': false, labels: [{ name: 'small', 'cloud-image': 'noble', 'flavor-name': 'm1.tiny' }] }],
          },
        ],
      }),
      async (s) => {
        await s.sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
        await s.sim.admin.setQuotas({ instances: -1, cores: -1, ram: -1 });
        await s.startLauncher();
      },
      { temporalCluster: true },
    );

function clusterOf(s: Stack): TemporalCluster {
  assert.ok(s.temporalCluster, 'the stack runs on a Temporal cluster');
  return s.temporalCluster;
}


const mib = (kib: number | undefined) => (kib === undefined ? '-' : `${(kib / 1024).toFixed(0)} MiB`);

function memoryReport(c: TemporalCluster): string {
  return Object.entries(c.memory())
    .map(([svc, m]) => `${svc} rss ${mib(m?.rssKiB)} pss ${mib(m?.pssKiB)}${m && m.processes > 1 ? ` (${m.processes} processes)` : ''}`)
    .join('; ');
}

test('the cluster is up: four services in their own processes, PostgreSQL beside them', { skip }, (t) => {
  const c = clusterOf(stack());
  const pids = c.pids;
  for (const svc of ['frontend', 'history', 'matching', 'worker', 'postgres'] as const) assert.ok(pids[svc], `${svc} runs`);
  assert.equal(new Set(Object.values(pids)).size, 5, 'five processes');
  assert.equal(c.pid, pids.frontend);
  t.diagnostic(`cluster start: ${JSON.stringify(c.timings)}`);
  t.diagnostic(`memory after start: ${memoryReport(c)}`);
});

test(`storm of ${N} requests with the history service restarted mid-storm: every request fulfilled, nothing leaked, no workflow task failed`, { skip }, async (t) => {
  const s = stack();
  const c = clusterOf(s);
  await withDiagnostics(s, t, async () => {
    await s.sim.admin.setBootDelay(5000);
    const started = Date.now();
    const ids = (await s.zuul(['submit', '--label', 'small', '--count', String(N)])).request_ids as string[];
    assert.equal(ids.length, N);
    await eventually('launches in flight', async () => (await listNodes(s.zk)).filter((n) => n.state === 'building').length >= N / 2, 90_000);
    const oldPid = c.pids.history;
    const launcherPid = s.launcherPid as number;
    const restartStarted = Date.now();
    await c.restartService('history', { downMs: 2000 });
    const restartMs = Date.now() - restartStarted;
    assert.ok(c.pids.history && c.pids.history !== oldPid, 'a new history process');
    await s.sim.admin.setBootDelay(1000);
    const nodeIds = await waitFulfilled(s, ids);
    const stormMs = Date.now() - started;
    assert.equal(nodeIds.length, N);
    assert.equal(new Set(nodeIds).size, N, 'no node given to two requests');
    await assertOneServerPerNode(s, nodeIds);
    await eventually(
      'locks released',
      async () => {
        await assertNoLocks(s, ids, nodeIds);
        return true;
      },
      30_000,
    );
    const { failed, runs } = await failedWorkflowTasks(s.client, 'WorkflowType = "nodeWorkflow"');
    assert.ok(runs >= N, `histories of ${runs} node workflow runs scanned`);
    assert.deepEqual(failed, [], 'no workflow task failed');
    // the same launcher process did it all: it rode over the restart, nobody restarted it
    assert.equal(s.launcherPid, launcherPid);
    assert.doesNotThrow(() => process.kill(launcherPid, 0), 'the launcher is still running');
    t.diagnostic(`storm: ${N} requests fulfilled in ${stormMs} ms (history restart took ${restartMs} ms including 2000 ms down)`);
    t.diagnostic(`memory after the storm: ${memoryReport(c)}`);
    for (const id of ids) await s.zuul(['cancel', '--id', id]);
  });
});
