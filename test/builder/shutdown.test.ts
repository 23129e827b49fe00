// Shutdown on time for nodepool-builder: SIGTERM stops it within --shutdown-timeout whatever is
// unreachable (ZooKeeper, the cloud, Temporal), the pid file goes on every path, a second
// SIGTERM exits at once, and a builder started again finishes the upload that was cut off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { componentKindPath } from '../../lib/zk/paths';
import { builds, IMAGE, nodepool, readyUpload } from './helpers';
import { CLOUD_QCOW2, eventually, useBuilderStack, type BuilderStack } from './stack';

/** --shutdown-timeout in these tests (30 s by default). */
const TIMEOUT_S = 5;
/** On top of the timeout: the exit itself (native threads, the log) on a busy 2-core box. */
const MARGIN_MS = 2500;
const FLAGS = ['--shutdown-timeout', String(TIMEOUT_S)];

const config = (opts: { pause?: boolean } = {}) => ({
  labels: [{ name: 'fake-label' }],
  diskimages: [{ name: IMAGE, elements: ['fedora', 'vm'], release: 21, ...(opts.pause ? { pause: true } : {}) }],
  providers: [
    {
      name: 'p1',
      cloud: CLOUD_QCOW2,
      rate: 0,
      diskimages: [{ name: IMAGE }],
      pools: [{ name: 'main', 'max-servers': 1, labels: [{ name: 'fake-label', diskimage: IMAGE, 'flavor-name': 'm1.small' }] }],
    },
  ],
});

// paused: nothing is built until a test wants it
const stack = useBuilderStack(() => config({ pause: true }));

const pidFile = (s: BuilderStack) => join(s.dir, 'builder.pid');

/** Pids of fake DIB processes building into this stack's images-dir. */
function dibProcesses(s: BuilderStack): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmd.includes('fake-disk-image-create') && cmd.includes(s.imagesDir)) pids.push(Number(name));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}
const logSize = (s: BuilderStack) => (existsSync(s.builderLog) ? statSync(s.builderLog).size : 0);

async function startBuilder(s: BuilderStack): Promise<void> {
  const from = logSize(s);
  s.startBuilder({}, { args: FLAGS });
  await eventually(
    'builder running',
    async () => {
      const child = s.builderProcess;
      if (child?.exitCode !== null) throw new Error(`builder exited:\n${readFileSync(s.builderLog, 'utf8').slice(-3000)}`);
      return readFileSync(s.builderLog).subarray(from).includes('"builder running"');
    },
    90_000,
  );
}

interface Stopped {
  ms: number;
  afterSecondMs?: number;
  code: number | null;
  log: string;
}

/** SIGTERM to the builder process (a second one after `secondAfterMs` if given); resolves when it is gone. */
async function sigterm(s: BuilderStack, secondAfterMs?: number): Promise<Stopped> {
  const child = s.builderProcess;
  assert.ok(child && child.exitCode === null, 'builder running');
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
  const log = readFileSync(s.builderLog).subarray(from).toString();
  if (code === 'cap') {
    await s.killBuilder();
    assert.fail(`builder still running ${end - t0} ms after SIGTERM:\n${log.slice(-3000)}`);
  }
  await s.killBuilder(); // (gone already: only forgets the process)
  const out: Stopped = { ms: end - t0, afterSecondMs: t1 === undefined ? undefined : end - t1, code, log };
  console.log(`builder exited ${out.ms} ms after SIGTERM${t1 === undefined ? '' : ` (${out.afterSecondMs} ms after the second)`}, code ${code}`);
  return out;
}

function assertOnTime(s: BuilderStack, r: Stopped): void {
  assert.ok(r.ms <= TIMEOUT_S * 1000 + MARGIN_MS, `exited ${r.ms} ms after SIGTERM; the bound is ${TIMEOUT_S} s + ${MARGIN_MS} ms:\n${r.log.slice(-3000)}`);
  assert.ok(!existsSync(pidFile(s)), 'pid file removed');
  assert.match(r.log, /"msg":"shutting down"/);
}

test('builder: SIGTERM with everything up is a clean stop (exit 0, component unregistered, pid file removed)', async () => {
  const s = stack();
  await startBuilder(s);
  await eventually('builder registered', async () => (await s.zk.getChildren(componentKindPath('builder'))).length === 1);
  const r = await sigterm(s);
  assertOnTime(s, r);
  assert.equal(r.code, 0, r.log.slice(-3000));
  assert.deepEqual(await s.zk.getChildren(componentKindPath('builder')), [], 'unregistered at once');
});

test('builder: SIGTERM with ZooKeeper stopped exits within the timeout', async () => {
  const s = stack();
  await startBuilder(s);
  await s.zkServer.stop();
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const r = await sigterm(s);
    assertOnTime(s, r);
  } finally {
    await s.zkServer.start();
  }
});

test('builder: SIGTERM with an upload hanging exits within the timeout; a restart finishes the upload', async () => {
  const s = stack();
  const fault = await s.sim.admin.injectFault({ service: 'image', method: 'PUT', pathRegex: '/file$', hang: true, times: -1 });
  s.writeConfig(config());
  await startBuilder(s);
  await eventually('an upload hanging', async () => ((await s.sim.admin.faults()).find((f) => f.id === fault)?.hits ?? 0) > 0, 180_000);
  try {
    const r = await sigterm(s);
    assertOnTime(s, r);
  } finally {
    await s.sim.admin.clearFaults();
  }
  await startBuilder(s);
  await eventually(
    'the build uploaded after the restart',
    async () => {
      const ready = await builds(s.zk, IMAGE, 'ready');
      for (const b of ready) if (await readyUpload(s.zk, IMAGE, b.id, 'p1')) return true;
      return false;
    },
    180_000,
  );
});

test('builder: a second SIGTERM exits at once, and the build it cut off does not go on', async () => {
  const s = stack();
  Object.assign(process.env, s.env);
  if (!s.builderProcess || s.builderProcess.exitCode !== null) await startBuilder(s);
  const pauseFile = join(s.imagesDir, 'fake-image-create.pause');
  writeFileSync(pauseFile, ''); // the fake DIB waits while it exists: a build that takes its time
  try {
    assert.equal((await nodepool(s, ['image-build', IMAGE])).code, 0);
    await eventually('a build running', async () => (await builds(s.zk, IMAGE, 'building')).length > 0 && dibProcesses(s).length > 0, 60_000);
    const r = await sigterm(s, 700);
    assert.ok((r.afterSecondMs ?? Infinity) <= 1500, `exited ${r.afterSecondMs} ms after the second SIGTERM`);
    assert.equal(r.code, 1);
    assert.match(r.log, /"msg":"second signal: exiting now"/);
    assert.ok(!existsSync(pidFile(s)), 'pid file removed');
    // DIB runs in its own process group: the exit sends it SIGTERM rather than leave it running
    await eventually('no DIB left running', async () => dibProcesses(s).length === 0, 15_000);
  } finally {
    rmSync(pauseFile, { force: true });
  }
});

// last: the dev server keeps its history in memory, so nothing here survives its stop
test('builder: SIGTERM with the Temporal server stopped exits within the timeout', async () => {
  const s = stack();
  await startBuilder(s);
  await s.temporal.stop();
  await new Promise((r) => setTimeout(r, 1000));
  const r = await sigterm(s);
  assertOnTime(s, r);
});
