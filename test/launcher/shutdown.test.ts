// Shutdown on time: SIGTERM stops nodepool-launcher within --shutdown-timeout whatever is
// unreachable (ZooKeeper, the cloud, Temporal), the pid file goes on every path, a second
// SIGTERM exits at once, and a launcher started again picks up what was in flight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { useStack, eventually, withDiagnostics, type Stack } from '../harness/stack';
import { listNodes } from '../../activities/launcher/store';
import { componentKindPath } from '../../lib/zk/paths';

/** --shutdown-timeout in these tests (30 s by default). */
const TIMEOUT_S = 5;
/** On top of the timeout: the exit itself (native threads, the log) on a busy 2-core box. */
const MARGIN_MS = 2500;
const FLAGS = ['--shutdown-timeout', String(TIMEOUT_S)];

const stack = useStack(
  (cloud) => ({
    labels: [{ name: 'warm', 'min-ready': 2 }, { name: 'small' }],
    providers: [
      {
        name: 'sim',
        cloud,
        rate: 0,
        'cloud-images': [{ name: 'noble', 'image-name': 'ubuntu-noble' }],
        pools: [
          {
            name: 'main',
            'max-servers': 20,
            'host-key-checking': false,
            labels: [
              { name: 'warm', 'cloud-image': 'noble', 'flavor-name': 'm1.tiny' },
              { name: 'small', 'cloud-image': 'noble', 'flavor-name': 'm1.tiny' },
            ],
          },
        ],
      },
    ],
  }),
  async (s) => {
    await s.sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
    await s.startLauncher({}, [], FLAGS);
  },
);

const pidFile = (s: Stack) => join(s.dir, 'launcher.pid');
const logSize = (s: Stack) => (existsSync(s.launcherLog) ? statSync(s.launcherLog).size : 0);

interface Stopped {
  /** From the (first) SIGTERM to the process being gone. */
  ms: number;
  /** From the second SIGTERM, when there was one. */
  afterSecondMs?: number;
  code: number | null;
  /** What the launcher logged from the first SIGTERM on. */
  log: string;
}

/**
 * SIGTERM to the launcher process alone (as `kill $(cat pidfile)`), a second one after
 * `secondAfterMs` if given; resolves when it is gone (SIGKILL and fail after a generous cap).
 */
async function sigterm(s: Stack, secondAfterMs?: number): Promise<Stopped> {
  const child = s.launcherProcess;
  assert.ok(child && child.exitCode === null, 'launcher running');
  const from = logSize(s);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const t0 = Date.now();
  child.kill('SIGTERM');
  let t1: number | undefined;
  if (secondAfterMs !== undefined) {
    await Promise.race([exited, new Promise((r) => setTimeout(r, secondAfterMs))]);
    assert.equal(child.exitCode, null, 'still stopping when the second SIGTERM comes');
    t1 = Date.now();
    child.kill('SIGTERM');
  }
  const cap = new Promise<'cap'>((r) => setTimeout(() => r('cap'), TIMEOUT_S * 1000 + 60_000).unref());
  const code = await Promise.race([exited, cap]);
  const end = Date.now();
  const log = readFileSync(s.launcherLog).subarray(from).toString();
  if (code === 'cap') {
    await s.killLauncher();
    assert.fail(`launcher still running ${end - t0} ms after SIGTERM:\n${log.slice(-3000)}`);
  }
  await s.killLauncher(); // (gone already: only forgets the process)
  const out: Stopped = { ms: end - t0, afterSecondMs: t1 === undefined ? undefined : end - t1, code, log };
  console.log(`exited ${out.ms} ms after SIGTERM${t1 === undefined ? '' : ` (${out.afterSecondMs} ms after the second)`}, code ${code}`);
  return out;
}

function assertOnTime(s: Stack, r: Stopped): void {
  assert.ok(r.ms <= TIMEOUT_S * 1000 + MARGIN_MS, `exited ${r.ms} ms after SIGTERM; the bound is ${TIMEOUT_S} s + ${MARGIN_MS} ms:\n${r.log.slice(-3000)}`);
  assert.ok(!existsSync(pidFile(s)), 'pid file removed');
  assert.match(r.log, /"msg":"shutting down"/);
}

/**
 * Exit 0 after a clean stop; 1, naming what did not stop, after one cut short (which one it is
 * depends on what the workers happen to be doing; test/launcher/shutdown-unit.test.ts pins it).
 */
function assertReported(r: Stopped): void {
  if (r.code === 0) assert.match(r.log, /"msg":"stopped"/);
  else {
    assert.equal(r.code, 1, `exit code:\n${r.log.slice(-3000)}`);
    assert.match(r.log, /"msg":"(stopped, but not everything stopped cleanly|shutdown timeout: exiting with these steps unfinished)"/);
    assert.match(r.log, /"(timedOut|failed|notStopped)":\["[^"]+/);
  }
}

async function submit(s: Stack, label: string): Promise<string> {
  const ids = (await s.zuul(['submit', '--label', label, '--count', '1'])).request_ids as string[];
  return ids[0] as string;
}

async function fulfilled(s: Stack, id: string, timeoutMs = 180_000): Promise<string[]> {
  return eventually(
    `request ${id} fulfilled`,
    async () => {
      const reqs = (await s.zuul(['list-requests'])) as Record<string, { state: string; nodes: string[] }>;
      return reqs[id]?.state === 'fulfilled' ? reqs[id].nodes : null;
    },
    timeoutMs,
  );
}

const readyWarm = async (s: Stack) => (await listNodes(s.zk)).filter((n) => n.state === 'ready' && n.type.includes('warm')).length >= 2;

async function assertOneServerPerNode(s: Stack, nodeIds: string[]): Promise<void> {
  const servers = (await s.sim.admin.state()).servers;
  for (const id of nodeIds) assert.equal(servers.filter((sv) => sv.metadata.nodepool_node_id === id).length, 1, `node ${id} has exactly one server`);
}

test('SIGTERM with everything up: a clean stop (exit 0), registrations gone at once, pid file removed', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    await eventually('2 min-ready nodes', () => readyWarm(s), 120_000);
    assert.ok((await s.zk.getChildren(componentKindPath('pool'))).length > 0, 'pool registered');
    const r = await sigterm(s);
    assertOnTime(s, r);
    assert.equal(r.code, 0, r.log.slice(-3000));
    assert.match(r.log, /"msg":"stopped"/);
    assert.deepEqual(await s.zk.getChildren(componentKindPath('pool')), [], 'pool components removed (not left to the session timeout)');
    await s.startLauncher({}, [], FLAGS);
  });
});

test('SIGTERM with ZooKeeper stopped (min-ready nodes up, a launch in flight): exits within the timeout; a restart fulfils the request', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    await eventually('2 min-ready nodes', () => readyWarm(s), 120_000);
    await s.sim.admin.setBootDelay(4000);
    const id = await submit(s, 'small');
    await eventually('the launch in flight', async () => (await listNodes(s.zk)).some((n) => n.type.includes('small') && n.state === 'building'), 60_000);
    await s.zkServer.stop();
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const r = await sigterm(s);
      assertOnTime(s, r);
      assertReported(r);
    } finally {
      await s.zkServer.start();
    }
    await s.sim.admin.setBootDelay(0);
    await s.startLauncher({}, [], FLAGS);
    const nodes = await fulfilled(s, id);
    await assertOneServerPerNode(s, nodes);
    await eventually('2 min-ready nodes again', () => readyWarm(s), 120_000);
  });
});

test('SIGTERM with the cloud hanging on server create: exits within the timeout; a restart fulfils the request', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    const fault = await s.sim.admin.injectFault({ service: 'compute', method: 'POST', pathRegex: '/servers$', hang: true, times: -1 });
    const id = await submit(s, 'small');
    await eventually('a server create hanging', async () => ((await s.sim.admin.faults()).find((f) => f.id === fault)?.hits ?? 0) > 0, 60_000);
    try {
      const r = await sigterm(s);
      assertOnTime(s, r);
      assertReported(r);
    } finally {
      await s.sim.admin.clearFaults();
    }
    await s.startLauncher({}, [], FLAGS);
    const nodes = await fulfilled(s, id);
    await assertOneServerPerNode(s, nodes);
  });
});

test('a second SIGTERM exits at once; a restart still fulfils the request in flight', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    // a create that never answers keeps the first stop busy for the workers' grace time at least
    const fault = await s.sim.admin.injectFault({ service: 'compute', method: 'POST', pathRegex: '/servers$', hang: true, times: -1 });
    const id = await submit(s, 'small');
    await eventually('a server create hanging', async () => ((await s.sim.admin.faults()).find((f) => f.id === fault)?.hits ?? 0) > 0, 60_000);
    try {
      const r = await sigterm(s, 700);
      assert.ok((r.afterSecondMs ?? Infinity) <= 1500, `exited ${r.afterSecondMs} ms after the second SIGTERM`);
      assert.equal(r.code, 1);
      assert.match(r.log, /"notStopped":\["[^"]+"[^\]]*\],"msg":"second signal: exiting now"/);
      assert.ok(!existsSync(pidFile(s)), 'pid file removed');
    } finally {
      await s.sim.admin.clearFaults();
    }
    await s.startLauncher({}, [], FLAGS);
    const nodes = await fulfilled(s, id);
    await assertOneServerPerNode(s, nodes);
  });
});

// last: the dev server keeps its history in memory, so nothing here survives its stop
test('SIGTERM with the Temporal server stopped: exits within the timeout', async () => {
  const s = stack();
  await eventually('2 min-ready nodes', () => readyWarm(s), 120_000);
  await s.temporal.stop();
  await new Promise((r) => setTimeout(r, 1000));
  const r = await sigterm(s);
  assertOnTime(s, r);
});
