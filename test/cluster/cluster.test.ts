// The launcher on a real Temporal cluster (tools/servers/temporal-cluster.ts: PostgreSQL, and the
// frontend, history, matching and worker services as separate processes) instead of the
// single-process dev server, in the production shape: two nodepool-launcher processes and one
// nodepool-builder (fake disk-image-create) on the same nodepool.yaml, talking TLS to ZooKeeper. The builder builds and
// uploads an image; then four storms of 20 requests from Zuul (16 on a cloud image, 4 on the
// builder's image), one after another on the same cluster, each with something broken in the
// middle of it: the history service restarted, the matching service restarted, PostgreSQL
// restarted, one launcher killed -9. After each: every request fulfilled, one server per node
// (the builder's label booted from its upload), no server without a node, no lock left, no
// workflow task failed and no workflow failed; then Zuul uses and returns every node and all of
// them are deleted with their servers, so the next storm starts from an empty cloud. A last test
// checks no request was let go of although Zuul did not withdraw it (a race after a kill -9, see
// there). Skipped (saying why) when the cluster's binaries are not
// built (tools/setup-temporal-cluster).
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useStack, eventually, type LauncherProcess, type Stack } from '../harness/stack';
import { makeTestTls } from '../harness/tls';
import { assertOneServerPerNode, waitFulfilled, waitNoLocks } from '../harness/invariants';
import { listNodes } from '../../activities/launcher/store';
import { newestReadyUpload } from '../../activities/launcher/images';
import { readBuilds } from '../../lib/zk/operations/images';
import { componentKindPath, LAUNCHERS } from '../../lib/zk/paths';
import { type TemporalCluster } from '../../tools/servers/temporal-cluster';
import { startTemporalUi, temporalUiBinary } from '../../tools/servers/temporal-ui';
import { alive, clusterSkipReason, historyOutline, logLines, memoryReport, scanOurWorkflows } from './helpers';

const N = 20;
/** Of each storm's N requests, this many are for the label booted from the builder's image. */
const N_DIB = 4;
const IMAGE = 'cluster-image';

const config = (cloud: string, dir?: string) => ({
  // the builder's (the launchers ignore them); the stack's folder is not known before it starts
  ...(dir ? { 'images-dir': join(dir, 'images'), 'build-log-dir': join(dir, 'build-logs') } : {}),
  labels: [{ name: 'small' }, { name: 'dib' }],
  diskimages: [{ name: IMAGE, elements: ['fedora', 'vm'], release: 21 }],
  providers: [
    {
      name: 'sim',
      cloud,
      rate: 0,
      'cloud-images': [{ name: 'noble', 'image-name': 'ubuntu-noble' }],
      diskimages: [{ name: IMAGE }],
      pools: [
        {
          name: 'main',
          'max-servers': 100,
          'host-key-checking': false,
          labels: [
            { name: 'small', 'cloud-image': 'noble', 'flavor-name': 'm1.tiny' },
            { name: 'dib', diskimage: IMAGE, 'flavor-name': 'm1.tiny' },
          ],
        },
      ],
    },
  ],
});

const skip = clusterSkipReason();

/**
 * Cleanup passes every 20 s instead of Nodepool's 60: more of them run during the storms (a
 * request lost by mistake would be reset and served sooner, and reported by the last test).
 */
const LAUNCHER_ENV = { NODEPOOL_CLEANUP_INTERVAL: '20' };

/** The second launcher ("b"; "a" is the stack's own) and the builder, started in setup. */
let launcherB: LauncherProcess | undefined;
let builder: LauncherProcess | undefined;
/** Each launcher's pool id (/nodepool/launchers/<id>, and the `launcher` of the nodes it admits). */
const poolIds: { a?: string; b?: string } = {};

const tls = skip ? undefined : makeTestTls();
const stack = skip
  ? () => assert.fail('no stack')
  : useStack(
      (cloud) => config(cloud),
      async (s) => {
        // the daemons speak TLS to ZooKeeper, as a production site's do (the test's own sessions
        // and the Zuul stand-in use the plain port of the same server)
        s.writeConfig({
          ...config(s.sim.cloudName, s.dir),
          'zookeeper-servers': [{ host: '127.0.0.1', port: s.zkServer.securePort }],
          'zookeeper-tls': { ca: tls?.ca, cert: tls?.cert, key: tls?.key },
        });
        mkdirSync(join(s.dir, 'images'), { recursive: true });
        await s.sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
        await s.sim.admin.setQuotas({ instances: -1, cores: -1, ram: -1 });
        const a = s.startLauncher(LAUNCHER_ENV);
        launcherB = s.startOtherLauncher('b', { env: LAUNCHER_ENV });
        builder = s.startBuilder();
        await Promise.all([a, launcherB.running, builder.running]);
        // "launcher running" names its pools
        const poolOf = (log: string) => (logLines([log], 'launcher running')[0]?.pools as string[] | undefined)?.[0];
        poolIds.a = poolOf(s.launcherLog);
        poolIds.b = poolOf(launcherB.log);
      },
      { temporalCluster: true, zooKeeperTls: tls?.stores },
    );
after(() => tls?.remove());

function clusterOf(s: Stack): TemporalCluster {
  assert.ok(s.temporalCluster, 'the stack runs on a Temporal cluster');
  return s.temporalCluster;
}

/** Tails of every daemon's log and what the workflows say, for a failure's report. */
async function diagnostics(s: Stack, t: TestContext): Promise<void> {
  for (const f of [s.launcherLog, launcherB?.log, builder?.log]) if (f && existsSync(f)) t.diagnostic(`== ${f}\n${readFileSync(f, 'utf8').slice(-3000)}`);
  t.diagnostic((await s.describeWorkflows().catch((e: unknown) => String(e))).slice(0, 6000));
}

/** The builder's ready upload to provider sim (what the `dib` label boots from). */
async function readyImageUpload(s: Stack) {
  return (await newestReadyUpload(s.zk, IMAGE, 'sim'))?.upload;
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

test('two launchers and a builder on one config: both launchers registered, the builder builds and uploads, one min-ready and one cleanup for the fleet', { skip }, async (t) => {
  const s = stack();
  try {
    const pids = [s.launcherPid, launcherB?.pid, builder?.pid];
    assert.ok(pids.every((p) => alive(p)) && new Set(pids).size === 3, `three daemons running: ${pids.join(', ')}`);
    assert.equal((await s.zk.getChildren(componentKindPath('launcher'))).length, 2, 'two launcher components');
    assert.equal((await s.zk.getChildren(componentKindPath('builder'))).length, 1, 'one builder component');
    assert.ok(poolIds.a && poolIds.b, `each launcher named its pool: ${JSON.stringify(poolIds)}`);
    assert.deepEqual((await s.zk.getChildren(LAUNCHERS)).sort(), [poolIds.a, poolIds.b].sort(), 'one pool registration per launcher');
    assert.notEqual(poolIds.a, poolIds.b);

    const upload = await eventually('the image built and uploaded to sim', () => readyImageUpload(s), 120_000);
    const build = (await readBuilds(s.zk, IMAGE)).find((b) => b.id === upload.build_id);
    assert.equal(build?.state, 'ready', 'its build is ready');
    const img = (await s.sim.admin.state()).images.find((i) => i.id === upload.external_id);
    assert.ok(img, `the upload's image ${upload.external_id} is in the cloud`);
    assert.equal(img.status, 'active');
    assert.equal(img.properties.nodepool_build_id, upload.build_id);
    assert.equal(img.properties.nodepool_upload_id, upload.id);

    const running = async (type: string) => {
      const ids: string[] = [];
      for await (const wf of s.client.workflow.list({ query: `WorkflowType = '${type}' AND ExecutionStatus = 'Running'` })) ids.push(wf.workflowId);
      return ids;
    };
    assert.deepEqual(await running('minReadyWorkflow'), ['min-ready']);
    assert.deepEqual(await running('cleanupWorkflow'), ['cleanup/sim']);
  } catch (err) {
    await diagnostics(s, t);
    throw err;
  }
});

/** Failed workflow tasks some earlier test already reported (each is reported once). */
const reported = new Set<string>();

/**
 * Requests of a storm (none of which Zuul withdrew) that their carrier let go of as "withdrawn",
 * or that the cleanup found pending with nobody carrying them: "<storm>: <request> <how>".
 */
const letGo: string[] = [];

interface Disruption {
  /** Breaks something in the middle of the storm; says what it did. */
  run(s: Stack, ids: string[]): Promise<string>;
  /** The processes (of processes(s)) that must still be the same ones, running, afterwards. */
  survivors(): string[];
  /** What else must hold once the storm is served. */
  check?(s: Stack): Promise<void>;
  /**
   * It kills a launcher: a request that launcher had claimed (pending, locked by its ZooKeeper
   * session) but not yet handed to its lead's workflow is lost by design (docs/launcher.md,
   * "Accept") and reset by the cleanup, as in Nodepool: not counted in `letGo`.
   */
  killsLauncher?: boolean;
}

/** The launchers, the builder and the cluster's services: name → pid now. */
function processes(s: Stack): Map<string, number | undefined> {
  const c = clusterOf(s);
  return new Map<string, number | undefined>([
    ['launcher a', s.launcherPid],
    ['launcher b', launcherB?.pid],
    ['the builder', builder?.pid],
    ...(['frontend', 'history', 'matching', 'worker'] as const).map((svc): [string, number | undefined] => [`Temporal ${svc}`, c.pids[svc]]),
  ]);
}

/**
 * N requests (N_DIB of them on the builder's image) with launches in flight when `disruption`
 * runs; then every invariant, and every node used, returned and deleted with its server.
 */
async function storm(t: TestContext, name: string, disruption: Disruption): Promise<void> {
  const s = stack();
  const c = clusterOf(s);
  try {
    const upload = await readyImageUpload(s);
    assert.ok(upload, 'the builder image is ready');
    const before = processes(s);
    assert.deepEqual(await listNodes(s.zk), [], 'the storm starts with no nodes');
    await s.sim.admin.setBootDelay(5000);
    const started = Date.now();
    const small = (await s.zuul(['submit', '--label', 'small', '--count', String(N - N_DIB)])).request_ids as string[];
    const dib = (await s.zuul(['submit', '--label', 'dib', '--count', String(N_DIB)])).request_ids as string[];
    const ids = [...small, ...dib];
    assert.equal(new Set(ids).size, N);
    await eventually('launches in flight', async () => (await listNodes(s.zk)).filter((n) => n.state === 'building').length >= N / 2, 90_000);
    const disrupted = Date.now();
    const what = await disruption.run(s, ids);
    const disruptMs = Date.now() - disrupted;
    await s.sim.admin.setBootDelay(1000);

    const nodeIds = await waitFulfilled(s, ids);
    const stormMs = Date.now() - started;
    assert.equal(nodeIds.length, N);
    assert.equal(new Set(nodeIds).size, N, 'no node given to two requests');
    await assertOneServerPerNode(s, nodeIds);
    const nodes = await listNodes(s.zk);
    const servers = (await s.sim.admin.state()).servers;
    const dibNodes = nodes.filter((n) => dib.includes(n.allocated_to ?? '') && n.type.includes('dib'));
    assert.equal(dibNodes.length, N_DIB, 'a node of label dib for each dib request');
    for (const n of dibNodes) {
      assert.equal(n.state, 'ready');
      assert.equal(servers.find((sv) => sv.metadata.nodepool_node_id === n.id)?.imageId, upload.external_id, `node ${n.id} booted from the builder's upload`);
    }
    await waitNoLocks(s, ids, nodeIds);
    const scan = await scanOurWorkflows(s.client);
    const missing = nodeIds.filter((id) => !scan.workflowIds.has(`node/${id}`));
    assert.deepEqual(missing, [], 'every node of the storm has a workflow, scanned');
    assert.ok(scan.workflowIds.has(`diskimage/${IMAGE}`), "the builder's workflow scanned");
    const failed = scan.failedTasks.filter((f) => !reported.has(f));
    for (const f of failed) reported.add(f);
    assert.deepEqual(failed, [], 'no workflow task failed');
    assert.deepEqual(scan.endedBadly, [], 'no workflow failed, timed out or was terminated');
    const now = processes(s);
    for (const name of disruption.survivors()) {
      assert.ok(before.get(name) && now.get(name) === before.get(name) && alive(now.get(name)), `${name} (pid ${before.get(name)}) still running: it rode over it`);
    }
    await disruption.check?.(s);

    // fulfilled, but how: a request the launchers let go of waited for the cleanup's next pass
    const launcherLogs = [s.launcherLog, launcherB?.log];
    const resets = logLines(launcherLogs, 'reset lost request').filter((j) => ids.includes(String(j.request)));
    const dropped = [
      ...logLines(launcherLogs, 'node request withdrawn; nodes freed').map((j) => [String(j.requestId), 'let go of as withdrawn by its carrier']),
      ...(await lostByDesign(s, resets, disruption.killsLauncher === true, t)).map((id) => [id, 'found lost (pending, unlocked, not carried) and reset by the cleanup']),
    ].filter(([id]) => ids.includes(id as string));
    for (const [id, how] of dropped) {
      letGo.push(`${name}: ${id} ${how}`);
      for await (const wf of s.client.workflow.list({ query: `NodepoolRequestId = '${id}'` })) {
        t.diagnostic(`request ${id} ${how}; ${wf.workflowId} (run ${wf.runId}):\n${await historyOutline(s.client, wf.workflowId, wf.runId)}`);
      }
    }

    // Zuul uses and returns every node: all of them deleted, with their servers, nothing left
    type Drained = { fulfilled: Array<{ id: string }>; failed: string[]; missing: string[]; errors: string[] };
    const drained = (await s.zuul(['drain', '--ids', ids.join(','), '--timeout', '120'], 150_000)) as unknown as Drained;
    assert.deepEqual([drained.missing, drained.failed, drained.errors], [[], [], []], JSON.stringify(drained).slice(0, 500));
    assert.equal(drained.fulfilled.length, N);
    await eventually(
      'every node and server deleted',
      async () => (await listNodes(s.zk)).length === 0 && (await s.sim.admin.state()).servers.length === 0,
      90_000,
    );
    t.diagnostic(`${what}; ${N} requests fulfilled in ${stormMs} ms (the disruption took ${disruptMs} ms); ${scan.runs} workflow runs scanned`);
    t.diagnostic(`memory after the storm: ${memoryReport(c)}`);
  } catch (err) {
    await diagnostics(s, t);
    throw err;
  }
}

/**
 * The reset requests (cleanup's "reset lost request" lines) that are not lost by design. Lost by
 * design, after a launcher was killed: no node workflow of the request had started before the
 * reset, so nothing carried it and nothing let it go — the kill fell between a claim and its
 * lead's start. (The killed launcher's own log cannot tell: pino writes asynchronously, and the
 * lines of its last moments die with it.) Those are reported here; one with a node workflow
 * started before the reset is returned (a carrier let go).
 */
async function lostByDesign(s: Stack, resets: Array<Record<string, unknown>>, launcherKilled: boolean, t: TestContext): Promise<string[]> {
  const notByDesign: string[] = [];
  for (const r of resets) {
    const id = String(r.request);
    const resetAt = Number(r.time);
    let startedBefore = false;
    for await (const wf of s.client.workflow.list({ query: `NodepoolRequestId = '${id}'` })) {
      if (wf.startTime.getTime() < resetAt) {
        startedBefore = true;
        break;
      }
    }
    if (launcherKilled && !startedBefore) t.diagnostic(`request ${id}: claimed by the killed launcher before its lead started; reset by the cleanup and served again`);
    else notByDesign.push(id);
  }
  return notByDesign;
}

const daemons = ['launcher a', 'launcher b', 'the builder'];

function restartOf(svc: 'history' | 'matching'): Disruption {
  return {
    // the daemons, and the other services (the frontend is not restarted with history)
    survivors: () => [...daemons, ...(['frontend', 'history', 'matching', 'worker'] as const).filter((x) => x !== svc).map((x) => `Temporal ${x}`)],
    async run(s) {
      const c = clusterOf(s);
      const old = c.pids[svc];
      await c.restartService(svc, { downMs: 2000 });
      assert.ok(c.pids[svc] && c.pids[svc] !== old, `a new ${svc} process`);
      return `${svc} restarted (2000 ms down)`;
    },
  };
}

test(`storm of ${N} requests with the history service restarted mid-storm`, { skip }, (t) => storm(t, 'history restart', restartOf('history')));

test(`storm of ${N} requests with the matching service restarted mid-storm`, { skip }, (t) => storm(t, 'matching restart', restartOf('matching')));

test(`storm of ${N} requests with PostgreSQL restarted mid-storm`, { skip }, (t) =>
  storm(t, 'PostgreSQL restart', {
    // every Temporal service reconnects to it by itself
    survivors: () => [...daemons, 'Temporal frontend', 'Temporal history', 'Temporal matching', 'Temporal worker'],
    async run(s) {
      const c = clusterOf(s);
      const old = c.pids.postgres;
      await c.restartPostgres({ downMs: 2000 });
      assert.ok(c.pids.postgres && c.pids.postgres !== old, 'a new postmaster');
      return 'PostgreSQL restarted (fast shutdown, 2000 ms down)';
    },
  }),
);

// last: the killed launcher is not started again
test(`storm of ${N} requests with one of the two launchers killed -9 mid-storm`, { skip }, (t) => {
  let survivor = '';
  let victimPoolId = '';
  return storm(t, 'launcher kill -9', {
    survivors: () => [survivor, 'the builder', 'Temporal frontend', 'Temporal history', 'Temporal matching', 'Temporal worker'],
    killsLauncher: true,
    async run(s, ids) {
      // the launcher that admitted more of the launches now in flight (both poll the same
      // queues, so it runs some of everyone's work too)
      const inFlight = (await listNodes(s.zk)).filter((n) => ids.includes(n.allocated_to ?? '') && n.state !== 'ready');
      const of = (id: string | undefined) => inFlight.filter((n) => n.launcher === id).length;
      const victim = of(poolIds.a) >= of(poolIds.b) ? 'a' : 'b';
      victimPoolId = (victim === 'a' ? poolIds.a : poolIds.b) as string;
      const admitted = of(victimPoolId);
      assert.ok(admitted >= 1, `the victim has launches in flight (${of(poolIds.a)} of a's, ${of(poolIds.b)} of b's)`);
      const pid = victim === 'a' ? s.launcherPid : launcherB?.pid;
      assert.ok(pid);
      survivor = victim === 'a' ? 'launcher b' : 'launcher a';
      // SIGKILL alone (no SIGTERM first), to the launcher and its children
      process.kill(-pid, 'SIGKILL');
      await (victim === 'a' ? s.killLauncher() : launcherB?.kill());
      return `launcher ${victim} (pid ${pid}) killed -9 with ${admitted} of the ${inFlight.length} launches in flight admitted by it`;
    },
    async check(s) {
      assert.equal(survivor === 'launcher a' ? launcherB?.pid : s.launcherPid, undefined, 'the killed launcher is gone');
      // its ZooKeeper session ended (zookeeper-timeout) and took its registrations along
      await eventually('the killed launcher unregistered', async () => !(await s.zk.getChildren(LAUNCHERS)).includes(victimPoolId), 30_000);
    },
  });
});

// A launcher killed -9 leaves its requests' locks with its ZooKeeper session; the node workflows
// go on on the other launcher, which takes the free locks back (no holder activity: markReady
// for the node, activities/launcher/nodes.ts; fulfilment for the request,
// activities/launcher/requests.ts); before fulfilment took the request lock back, it let the request go as withdrawn although
// Zuul withdrew nothing, and the request waited for the next cleanup pass to be reset and served
// a minute late (found by this test in 3 runs of 3). Not counted: a request the killed launcher
// had claimed but not yet started a lead for (lostByDesign above; seen on a slow CI machine).
test('no request Zuul did not withdraw is let go of by the launchers (every storm)', { skip }, () => {
  assert.deepEqual(letGo, []);
});

// The Web UI a site runs beside the cluster (Temporal's ui-server, tools/servers/temporal-ui.ts):
// it reaches the frontend and finds the storms' node workflows by our search attributes, which
// the cluster's PostgreSQL visibility store serves (no Elasticsearch).
const uiBinary = temporalUiBinary();
const uiSkip = skip || ('missing' in uiBinary ? uiBinary.missing : false);
if (uiSkip && !skip) console.log(`# skipping the Web UI test: ${String(uiSkip)}`);
test('the Web UI lists the node workflows by search attribute', { skip: uiSkip }, async () => {
  const s = stack();
  const c = clusterOf(s);
  const ui = await startTemporalUi({ address: c.address, namespace: c.namespace, dir: s.dir });
  try {
    const query = encodeURIComponent('WorkflowType = "nodeWorkflow" AND NodepoolProvider = "sim" AND NodepoolLabel = "small"');
    const res = await fetch(`${ui.url}/api/v1/namespaces/${c.namespace}/workflows?query=${query}`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { executions?: Array<{ execution: { workflowId: string }; type: { name: string } }> };
    const ids = (body.executions ?? []).map((e) => e.execution.workflowId);
    assert.ok(ids.length >= N, `the storms' small-label node workflows are listed (${ids.length})`);
    assert.ok(ids.every((id) => id.startsWith('node/')), ids.slice(0, 3).join(', '));
    const page = await fetch(`${ui.url}/namespaces/${c.namespace}/workflows`);
    assert.equal(page.status, 200, 'the UI itself is served');
  } finally {
    await ui.stop();
  }
});
