// The daemons' bounded stop without servers: StopRun's per-step limits and the signal handling of
// workers/common/daemon.ts (exit 0 when clean, 1 when a step failed or timed out, 1 at the
// timeout whatever still runs, at once on a second signal; the pid file gone every time), run in
// a child process as the daemons run it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initLogging } from '../../lib/log';
import { StopRun, stepLimitMs, workerGraceMs } from '../../workers/common/shutdown';
import { repoRoot } from '../../tools/servers/paths';

const logger = initLogging({ name: 'test' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

void test('StopRun: steps in order, a stuck one is cut off at its limit, a failing one is noted, the deadline caps all', async () => {
  const run = new StopRun(logger, 1000);
  const order: string[] = [];
  assert.equal(await run.step('quick', () => order.push('quick')), true);
  const t0 = Date.now();
  assert.equal(await run.step('stuck', () => new Promise(() => undefined), 200), false);
  assert.ok(Date.now() - t0 < 400, 'cut off at its limit');
  assert.equal(await run.step('failing', () => Promise.reject(new Error('boom'))), false);
  assert.equal(await run.parallel([
    ['a', () => sleep(50)],
    ['b', () => sleep(50)],
  ]), true);
  const t1 = Date.now();
  assert.equal(await run.step('forever', () => new Promise(() => undefined)), false);
  assert.ok(Date.now() - t1 < 1000 && run.remaining() === 0, 'the last step gets what is left, no more');
  assert.equal(await run.step('after the deadline', () => new Promise(() => undefined)), false);
  assert.deepEqual(order, ['quick']);
  assert.deepEqual(run.outcome(), { clean: false, failed: ['failing'], timedOut: ['stuck', 'forever', 'after the deadline'] });
  assert.deepEqual([...run.pending].sort(), ['after the deadline', 'forever', 'stuck']);
});

void test('grace and step limits follow the budget', () => {
  assert.equal(workerGraceMs(30_000, 10_000), 10_000);
  assert.equal(workerGraceMs(5_000, 10_000), 1_666);
  assert.equal(workerGraceMs(300_000, 30_000), 30_000);
  const run = new StopRun(logger, 10_000);
  assert.equal(stepLimitMs(run, 3000, 0.5), 3000);
  assert.ok(stepLimitMs(run, 30_000, 0.5) <= 5000);
});

/** A daemon in miniature: pid file, onShutdown with `stop`, "ready" on stdout once signals are handled. */
function daemon(stopBody: string, timeoutSeconds: number) {
  const dir = mkdtempSync(join(tmpdir(), 'nodepool-shutdown-'));
  const pidFile = join(dir, 'd.pid');
  const script = join(dir, 'd.ts');
  writeFileSync(
    script,
    `import { onShutdown, writePidFile } from ${JSON.stringify(join(repoRoot, 'workers', 'common', 'daemon'))};
import { initLogging } from ${JSON.stringify(join(repoRoot, 'lib', 'log'))};
const logger = initLogging({ name: 'd' });
writePidFile(${JSON.stringify(pidFile)});
onShutdown(logger, ${timeoutSeconds}, async (run) => { ${stopBody} });
setInterval(() => undefined, 1000);
process.stdout.write('ready\\n');
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`exited ${code} before ready: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ready, exited, pidFile, log: () => stderr };
}

async function stopped(d: ReturnType<typeof daemon>, signals: number[] = [0]): Promise<{ code: number | null; ms: number }> {
  await d.ready;
  assert.ok(existsSync(d.pidFile));
  assert.equal(readFileSync(d.pidFile, 'utf8').trim(), String(d.child.pid));
  const t0 = Date.now();
  for (const at of signals) {
    await sleep(at - (Date.now() - t0));
    d.child.kill('SIGTERM');
  }
  const code = await d.exited;
  return { code, ms: Date.now() - t0 };
}

void test('a clean stop exits 0 and removes the pid file', async () => {
  const d = daemon(`await run.step('a', () => undefined);`, 5);
  const r = await stopped(d);
  assert.equal(r.code, 0, d.log());
  assert.ok(!existsSync(d.pidFile));
  assert.match(d.log(), /"msg":"stopped"/);
});

void test('a step that does not finish: exit 1 by the timeout, naming it; pid file removed', async () => {
  const d = daemon(`await run.step('stuck step', () => new Promise(() => undefined));`, 1);
  const r = await stopped(d);
  assert.equal(r.code, 1, d.log());
  assert.ok(r.ms < 2500, `${r.ms} ms`);
  assert.ok(!existsSync(d.pidFile));
  assert.match(d.log(), /"timedOut":\["stuck step"\]/);
});

void test('a stop that ignores its budget altogether: the backstop exits 1 at the timeout, naming what runs', async () => {
  const d = daemon(`run.step('never', () => new Promise(() => undefined)); await new Promise(() => undefined);`, 1);
  const r = await stopped(d);
  assert.equal(r.code, 1, d.log());
  assert.ok(r.ms >= 900 && r.ms < 2500, `${r.ms} ms`);
  assert.ok(!existsSync(d.pidFile));
  assert.match(d.log(), /"notStopped":\["never"\],"msg":"shutdown timeout: exiting with these steps unfinished"/);
});

void test('a second SIGTERM exits at once', async () => {
  const d = daemon(`await run.step('slow', () => new Promise(() => undefined));`, 30);
  const r = await stopped(d, [0, 300]);
  assert.equal(r.code, 1, d.log());
  assert.ok(r.ms < 1300, `${r.ms} ms`);
  assert.ok(!existsSync(d.pidFile));
  assert.match(d.log(), /"notStopped":\["slow"\],"msg":"second signal: exiting now"/);
});
