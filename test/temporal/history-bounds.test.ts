// History bounds of the long-lived workflows, on Temporal's time-skipping test server with
// in-memory stand-ins for their activities (typed against the real activity interfaces, bundled
// with the real workflows from workflows/index.ts). Temporal terminates a run at 51,200 history
// events and suggests continue-as-new at 4,096 (temporal-notes §2.2), so a workflow that can live
// for days must keep each run small or continue as new. Each case skips the longest wait a
// Nodepool site sees and counts the events of each run (fetchHistory):
//
// 1. node (adopt) READY and unallocated with no max-ready-age, and HOLD with no expiration: 7
//    days pass; still running, history < 50 events and the same on day 1 and day 7 (the wait is
//    one condition with no timer).
// 2. node (adopt) READY with max-ready-age 1 day: not before, but 24 h after the node's state
//    time it deletes itself (cloud server first, then the znode) and ends with a small history.
// 3. cleanup at a 60 s interval: 24 h (1,440 passes); every run < 5,000 events, the workflow
//    continued as new (several run ids, the pass counter carried over) and is still running.
// 4. diskimage at rebuild-age 1 day: (a) 7 days with an hourly janitor: a build every 24 h, each
//    build continues as new, every run < 4,096 events; (b) the default 60 s janitor re-plans
//    and runs a retention pass every minute, ~1,300 events an hour, so an idle day is far above
//    4,096: each run ends at the server's continue-as-new suggestion (< 4,300 events).
//
// 5. min-ready: 24 h of its 60 s safety-net timer and 500 pokes: every run < 2,200 events, continued as new.
// 6. pool: 2,000 queue reports; the current run stays small (continue-as-new every 500).
// 7. request: the lead node workflow of an accepted request whose launch hangs: no timer, no
//    events while it waits, a small history when fulfilled (real time: the test server skips no
//    time while lock holders heartbeat). A request that waits for room has no workflow at all.
// 8. Two loops that once grew without bound: node's max-ready-age retry of a busy lock (it was a
//    1 ms timer loop; now once a minute) and diskimage's removal loop (it never continued as new
//    while a removed image's build could not be deleted).
//
// One time-skipping server for the file; the tests run one after another (skipped time is
// global to the server) and each ends its workflows before the next starts, because the
// activity task queues (`launcher`, `provider/<p>`, `builder`, `builder/<id>`) are fixed by the
// workflows: only the workflow task queue is unique per test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { type WorkflowHandle } from '@temporalio/client';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { startTimeSkipping } from '../harness/time-skipping';
import { DefaultLogger, makeTelemetryFilterString, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { CleanupActivities, CleanupPassResult } from '../../activities/cleanup/types';
import type { CloudActivities, LauncherActivities, LockActivities } from '../../activities/launcher/types';
import type { HoldLockResult, NodeStateEvent } from '../../activities/launcher/api';
import type { BuilderActivities, BuilderLocalActivities, DiskimagePlan } from '../../activities/builder';
import type { DibActivities } from '../../activities/dib';
import { LAUNCHER_QUEUE, providerQueue } from '../../workflows/lib/activities';
import { BUILDER_QUEUE, builderQueue } from '../../workflows/builder-messages';
import type { CleanupInput } from '../../workflows/cleanup';
import type { cleanupWorkflow, diskimageWorkflow, nodeWorkflow, minReadyWorkflow, poolWorkflow } from '../../workflows';
import { minReadyPokeSignal } from '../../workflows/min-ready';
import { poolQueueSignal, poolStatusQuery, type PoolQueueStatus } from '../../workflows/messages';

// errors only: core warns about every worker on the test server (no heartbeat-details capability)
Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
});

const HOUR = 3600_000;
const DAY = 24 * HOUR;

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

before(async () => {
  ({ env, bundle } = await startTimeSkipping());
});

after(async () => {
  await env?.teardown();
});

const uniqueQueue = (what: string): string => `history-bounds/${what}/${randomUUID()}`;

/** Runs `fn` while every worker polls; all of them are shut down when it settles. */
async function withWorkers<T>(workers: Worker[], fn: () => Promise<T>): Promise<T> {
  const [first, ...rest] = workers;
  if (!first) return fn();
  return first.runUntil(() => withWorkers(rest, fn));
}

/** Events in one run's history (the latest run when runId is not given). */
async function historyLength(workflowId: string, runId?: string): Promise<number> {
  const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
  return history.events?.length ?? 0;
}

async function status(handle: WorkflowHandle): Promise<string> {
  return (await handle.describe()).status.name;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Ends a workflow left running by a test, so its activities never reach the next test's workers. */
async function terminate(handle: WorkflowHandle): Promise<void> {
  if ((await status(handle)) === 'RUNNING') await handle.terminate('history-bounds test done');
}

/** The workflow run an activity runs for. */
const runOf = (): string => Context.current().info.workflowExecution?.runId ?? 'unknown';

/** Server time (ms) as a regular activity saw it scheduled: the test server's clock jumps. */
const activityNow = (): number => Context.current().info.currentAttemptScheduledTimestampMs;

// ---- node ------------------------------------------------------------------------------------

/**
 * One node znode and its lock, for the node workflow's local activities (ZooKeeper), its
 * lock holder and its cloud delete. The lock holder runs until our contender is deleted.
 */
function nodeFakes(node: {
  provider: string;
  state: string;
  stateTime: number;
  maxReadyAgeMs?: number;
  holdLimitMs?: number;
  /** Someone else holds the node lock until this server time (ms)... */
  lockBusyUntil?: number;
  /** ...or until this many tries failed (so a test ends even if the workflow spins). */
  maxBusyTries?: number;
}) {
  const calls: string[] = [];
  const busyTries: number[] = []; // server time of each try that found the lock busy
  let exists = true;
  let state = node.state;
  const released = new Set<string>();
  const waiters = new Map<string, () => void>();
  const releaseToken = (token: string) => {
    released.add(token);
    waiters.get(token)?.();
  };
  const record = { calls, busyTries, deletedServers: [] as string[], removedAt: null as number | null };
  const local: Pick<LauncherActivities, 'readNodeEvent' | 'nodeTimers' | 'tryLock' | 'releaseLock' | 'prepareDelete' | 'removeNode'> = {
    async readNodeEvent(): Promise<NodeStateEvent> {
      calls.push('readNodeEvent');
      return { exists, state: exists ? state : null, allocatedTo: null, stateTime: node.stateTime };
    },
    async nodeTimers() {
      calls.push('nodeTimers');
      return { maxReadyAgeMs: node.maxReadyAgeMs ?? 0, holdLimitMs: node.holdLimitMs ?? 0, stateTime: node.stateTime };
    },
    async tryLock() {
      calls.push('tryLock');
      if (node.lockBusyUntil === undefined) return true;
      const now = await env.currentTimeMs();
      if (now >= node.lockBusyUntil || busyTries.length >= (node.maxBusyTries ?? Infinity)) return true;
      busyTries.push(now);
      return false;
    },
    async releaseLock(input) {
      calls.push('releaseLock');
      releaseToken(input.token);
    },
    async prepareDelete() {
      calls.push('prepareDelete');
      if (!exists) return null;
      state = 'deleting';
      return { provider: node.provider, serverId: 'srv-1' };
    },
    async removeNode() {
      calls.push('removeNode');
      exists = false;
      record.removedAt = await env.currentTimeMs();
      // the recursive delete takes our lock contender with it
      for (const token of waiters.keys()) releaseToken(token);
    },
  };
  const lock: LockActivities = {
    async holdLock(input): Promise<HoldLockResult> {
      calls.push('holdLock');
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 1000);
      try {
        // released (or the znode removed with its lock) before this holder started
        if (released.has(input.token) || !exists) return { kind: 'released' };
        await Promise.race([new Promise<void>((resolve) => waiters.set(input.token, resolve)), ctx.cancelled]);
        return { kind: 'released' };
      } finally {
        clearInterval(beat);
        waiters.delete(input.token);
      }
    },
  };
  const cloud: Pick<CloudActivities, 'deleteServer'> = {
    async deleteServer(input) {
      calls.push('deleteServer');
      record.deletedServers.push(input.serverId ?? '');
    },
  };
  return { record, local, lock, cloud };
}

async function nodeWorkers(fakes: ReturnType<typeof nodeFakes>, provider: string, taskQueue: string): Promise<Worker[]> {
  return Promise.all([
    Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: fakes.local }),
    Worker.create({ connection: env.nativeConnection, taskQueue: LAUNCHER_QUEUE, activities: fakes.lock }),
    Worker.create({ connection: env.nativeConnection, taskQueue: providerQueue(provider), activities: fakes.cloud }),
  ]);
}

for (const state of ['ready', 'hold'] as const) {
  void test(`node workflow: an adopted ${state} node with no time limit waits 7 days with a history that does not grow`, async () => {
    const provider = `p-${randomUUID()}`;
    const taskQueue = uniqueQueue(`node-${state}`);
    const stateTime = Math.floor((await env.currentTimeMs()) / 1000);
    const fakes = nodeFakes({ provider, state, stateTime });
    const workers = await nodeWorkers(fakes, provider, taskQueue);
    const nodeId = state === 'ready' ? '0000000040' : '0000000041';
    const workflowId = `node/${nodeId}-${randomUUID()}`;
    await withWorkers(workers, async () => {
      const handle = await env.client.workflow.start<typeof nodeWorkflow>('nodeWorkflow', {
        workflowId,
        taskQueue,
        args: [{ nodeId, mode: 'adopt', provider, label: 'ubuntu-noble' }],
      });
      try {
        await until('the workflow waiting', () => fakes.record.calls.includes('nodeTimers'));
        await env.sleep('1 day');
        const day1 = await historyLength(workflowId);
        await env.sleep('6 days');
        const day7 = await historyLength(workflowId);
        console.log(`# node (${state}, no limit): ${day1} events after 1 day, ${day7} after 7 days`);
        assert.equal(await status(handle), 'RUNNING');
        assert.ok(day7 < 50, `history ${day7} events after 7 days`);
        assert.equal(day7, day1, 'history grew between day 1 and day 7');
        assert.deepEqual(fakes.record.deletedServers, [], 'nothing deleted');
      } finally {
        await terminate(handle);
      }
    });
  });
}

void test('node workflow: a READY node with max-ready-age 1 day deletes itself after a day', async () => {
  const provider = `p-${randomUUID()}`;
  const taskQueue = uniqueQueue('node-max-ready-age');
  const stateTime = Math.floor((await env.currentTimeMs()) / 1000);
  const fakes = nodeFakes({ provider, state: 'ready', stateTime, maxReadyAgeMs: DAY });
  const workers = await nodeWorkers(fakes, provider, taskQueue);
  const nodeId = '0000000042';
  const workflowId = `node/${nodeId}-${randomUUID()}`;
  await withWorkers(workers, async () => {
    const handle = await env.client.workflow.start<typeof nodeWorkflow>('nodeWorkflow', {
      workflowId,
      taskQueue,
      args: [{ nodeId, mode: 'adopt', provider, label: 'ubuntu-noble' }],
    });
    try {
      await until('the workflow waiting', () => fakes.record.calls.includes('nodeTimers'));
      await env.sleep('23 hours');
      assert.equal(await status(handle), 'RUNNING', 'still waiting before max-ready-age');
      assert.equal(fakes.record.removedAt, null);
      // result() lets the server skip time until the workflow ends
      assert.equal(await handle.result(), 'deleted');
      const events = await historyLength(workflowId);
      const age = (fakes.record.removedAt ?? 0) - stateTime * 1000;
      console.log(`# node (ready, max-ready-age 1 day): deleted after ${(age / HOUR).toFixed(2)} h, ${events} events`);
      assert.ok(age >= DAY && age < DAY + HOUR, `deleted ${age / HOUR} h after its state time`);
      assert.deepEqual(fakes.record.deletedServers, ['srv-1'], 'the server is deleted before the znode');
      assert.ok(fakes.record.calls.indexOf('deleteServer') < fakes.record.calls.indexOf('removeNode'));
      assert.ok(events < 50, `history ${events} events`);
    } finally {
      await terminate(handle);
    }
  });
});

// ---- cleanup ---------------------------------------------------------------------------------

void test('cleanup workflow: 24 h of 60 s passes keep every run small and continue as new', async () => {
  const provider = `p-${randomUUID()}`;
  const taskQueue = uniqueQueue('cleanup');
  const workflowId = `cleanup/${provider}`;
  const runs = new Map<string, number>(); // run id → passes seen in it
  let passes = 0;
  const acts: CleanupActivities = {
    async cleanupPass(input): Promise<CleanupPassResult> {
      passes++;
      const runId = runOf();
      runs.set(runId, (runs.get(runId) ?? 0) + 1);
      return {
        provider: input.provider,
        configured: true,
        nodes: 3,
        tasks: { servers: { ok: true, found: 0, done: [] }, images: { ok: true, found: 0, done: [] } },
        next: { servers: [], images: [], floatingIps: [], downPorts: {}, drainStates: {} },
      };
    },
  };
  const workers = await Promise.all([
    Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle }),
    Worker.create({ connection: env.nativeConnection, taskQueue: LAUNCHER_QUEUE, activities: acts }),
  ]);
  await withWorkers(workers, async () => {
    const handle = await env.client.workflow.start<typeof cleanupWorkflow>('cleanupWorkflow', {
      workflowId,
      taskQueue,
      args: [{ provider, intervalSeconds: 60 }],
    });
    try {
      const firstRun = (await handle.describe()).runId;
      await until('the first pass', () => passes >= 1);
      const wall = Date.now();
      await env.sleep('24 hours');
      const wallMs = Date.now() - wall;
      const lengths: number[] = [];
      for (const runId of runs.keys()) lengths.push(await historyLength(workflowId, runId));
      const latest = await handle.describe();
      console.log(
        `# cleanup (60 s): ${passes} passes in ${runs.size} runs, ${wallMs} ms wall; events per run: max ${Math.max(...lengths)}, current ${await historyLength(workflowId)}`,
      );
      assert.equal(latest.status.name, 'RUNNING');
      assert.ok(passes >= 1440, `${passes} passes in 24 h`);
      assert.notEqual(latest.runId, firstRun, 'continued as new');
      // passesPerRun defaults to 100: 1,440 passes make 15 runs
      assert.ok(runs.size >= 14, `${runs.size} runs`);
      assert.ok(Math.max(...runs.values()) <= 100, `at most 100 passes a run (${[...runs.values()].join(', ')})`);
      // the current run started with the passes of all earlier runs (its continue-as-new input;
      // read from history rather than by query, which can trip the test server mid-task)
      const started = (await handle.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
      const data = started?.input?.payloads?.[0]?.data;
      const carried = (JSON.parse(Buffer.from(data ?? []).toString('utf8')) as CleanupInput).passes;
      const earlier = [...runs].filter(([runId]) => runId !== latest.runId).reduce((sum, [, n]) => sum + n, 0);
      assert.equal(carried, earlier, 'the pass counter carries over');
      for (const n of lengths) assert.ok(n < 5000, `a run of ${n} events`);
    } finally {
      await terminate(handle);
    }
  });
});

// ---- diskimage -------------------------------------------------------------------------------

interface FakeBuild {
  id: string;
  state: string;
  stateTime: number;
  uploaded: boolean;
}

/**
 * A retention pass takes this long in server time (env.sleep inside the activity, temporal-notes
 * §1.2). Otherwise time stands still while activities run, and the janitor's 60 s timer and the
 * main loop's 60 s timer, started in different workflow tasks, fall due at the very same
 * instant: the test server then rejects the workflow task that cancels the one it has already
 * fired ("invalid history builder state for action") and the run never moves again.
 */
const RETENTION_PASS_MS = 1000;

/** The builder's activities over an in-memory build catalogue; counts calls per run. */
function diskimageFakes(opts: { provider: string; builderId: string; rebuildAgeSeconds: number; removedWithStuckBuild?: boolean }) {
  const builds: FakeBuild[] = [];
  const runs = new Map<string, number>(); // run id → activity calls in it
  const builtAt: number[] = [];
  let uploadSeq = 0;
  const seen = () => {
    const runId = runOf();
    runs.set(runId, (runs.get(runId) ?? 0) + 1);
  };
  const ready = () => builds.filter((b) => b.state === 'ready').sort((a, b) => b.stateTime - a.stateTime);
  const shared: Pick<
    BuilderActivities,
    | 'planDiskimage'
    | 'claimBuild'
    | 'finishBuild'
    | 'clearBuildRequest'
    | 'createUploadRecord'
    | 'finishUpload'
    | 'cleanupDiskimage'
    | 'deleteBuildRecord'
    | 'deleteUploadLeftovers'
  > = {
    async planDiskimage(name): Promise<DiskimagePlan> {
      seen();
      const newest = ready()[0] ?? null;
      return {
        name,
        configured: !opts.removedWithStuckBuild,
        configPaused: false,
        zkPaused: false,
        buildRequested: false,
        rebuildAge: opts.rebuildAgeSeconds,
        buildTimeout: 3600,
        formats: ['qcow2'],
        newestReady: newest ? { id: newest.id, state: 'ready', stateTime: newest.stateTime, formats: ['qcow2'], builderId: opts.builderId } : null,
        pendingUploads: newest && !newest.uploaded ? [{ provider: opts.provider, format: 'qcow2', uploadTimeout: 3600 }] : [],
        pausedProviders: [],
        buildCount: opts.removedWithStuckBuild ? 1 : builds.length,
      };
    },
    async claimBuild(input) {
      seen();
      builds.push({ id: input.buildId, state: 'building', stateTime: activityNow(), uploaded: false });
      return { builderId: opts.builderId, hostname: 'test' };
    },
    async finishBuild(input) {
      seen();
      const b = builds.find((x) => x.id === input.buildId);
      if (!b) return false;
      b.state = input.ready ? 'ready' : 'failed';
      b.stateTime = activityNow();
      if (input.ready) builtAt.push(b.stateTime);
      return true;
    },
    async clearBuildRequest() {
      seen();
    },
    async createUploadRecord() {
      seen();
      return String(uploadSeq++).padStart(10, '0');
    },
    async finishUpload(input) {
      seen();
      const b = builds.find((x) => x.id === input.buildId);
      if (b && input.result) b.uploaded = true;
      return true;
    },
    async cleanupDiskimage() {
      seen();
      await env.sleep(RETENTION_PASS_MS);
      // the build's cloud image cannot be deleted (cloud down, image protected): nothing goes
      if (opts.removedWithStuckBuild) return { removable: [], operatorDeleted: [], failedDeletes: 1 };
      const keep = new Set(ready().slice(0, 2).map((b) => b.id));
      const removable = builds.filter((b) => !keep.has(b.id) && b.state !== 'building').map((b) => ({ buildId: b.id, builderId: opts.builderId }));
      return { removable, operatorDeleted: [], failedDeletes: 0 };
    },
    async deleteBuildRecord(input) {
      seen();
      const i = builds.findIndex((b) => b.id === input.buildId);
      if (i >= 0) builds.splice(i, 1);
      return true;
    },
    async deleteUploadLeftovers() {
      seen();
      return 0;
    },
  };
  const local: Pick<BuilderLocalActivities & DibActivities, 'buildDiskimage' | 'uploadImage' | 'deleteBuildFiles'> = {
    async buildDiskimage(input) {
      seen();
      return { diskimage: input.diskimage, buildId: input.buildId, formats: ['qcow2'], files: [], logPath: '', durationMs: 1, command: [], envNames: [] };
    },
    async uploadImage(input) {
      seen();
      return { externalId: `img-${input.uploadId}`, externalName: `${input.name}-${input.uploadId}`, format: input.format };
    },
    async deleteBuildFiles() {
      seen();
      return [];
    },
  };
  return { builds, runs, builtAt, ready, shared, local };
}

interface DiskimageRun {
  fakes: ReturnType<typeof diskimageFakes>;
  /** Events of every run, in the order the runs first called an activity. */
  lengths: number[];
  current: number;
  running: boolean;
  wallMs: number;
}

/** Runs a diskimage workflow for `hours` of skipped time on fresh workers; ends it afterwards. */
async function runDiskimage(opts: { hours: number; janitorSeconds: number; rebuildAgeSeconds: number; removedWithStuckBuild?: boolean }): Promise<DiskimageRun> {
  const name = `image-${randomUUID()}`;
  const builderId = `b-${randomUUID()}`;
  const workflowId = `diskimage/${name}`;
  const taskQueue = uniqueQueue('diskimage');
  const fakes = diskimageFakes({ provider: 'p1', builderId, rebuildAgeSeconds: opts.rebuildAgeSeconds, removedWithStuckBuild: opts.removedWithStuckBuild });
  const workers = await Promise.all([
    Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle }),
    Worker.create({ connection: env.nativeConnection, taskQueue: BUILDER_QUEUE, activities: fakes.shared }),
    Worker.create({ connection: env.nativeConnection, taskQueue: builderQueue(builderId), activities: fakes.local }),
  ]);
  return withWorkers(workers, async () => {
    const handle = await env.client.workflow.start<typeof diskimageWorkflow>('diskimageWorkflow', {
      workflowId,
      taskQueue,
      args: [{ name, janitorSeconds: opts.janitorSeconds }],
    });
    try {
      await until('the first plan', () => fakes.runs.size > 0);
      const wall = Date.now();
      // in steps, so a failure shows how far it got
      for (let h = 0; h < opts.hours; h += 6) await env.sleep(`${Math.min(6, opts.hours - h)} hours`);
      const wallMs = Date.now() - wall;
      const lengths: number[] = [];
      for (const runId of fakes.runs.keys()) lengths.push(await historyLength(workflowId, runId));
      return { fakes, lengths, current: await historyLength(workflowId), running: (await status(handle)) === 'RUNNING', wallMs };
    } finally {
      await terminate(handle);
    }
  });
}

void test('diskimage workflow: 7 days at rebuild-age 1 day build once a day, each build continues as new', async () => {
  // an hourly janitor keeps this at a few seconds of wall time; the next test covers the
  // default 60 s janitor, whose history reaches the continue-as-new suggestion first
  const r = await runDiskimage({ hours: 7 * 24, janitorSeconds: 3600, rebuildAgeSeconds: DAY / 1000 });
  const gaps = r.fakes.builtAt.slice(1).map((t, i) => t - r.fakes.builtAt[i]!);
  console.log(
    `# diskimage (rebuild-age 1 day, janitor 1 h, 7 days): ${r.fakes.builtAt.length} builds, ${r.lengths.length} runs, ${r.wallMs} ms wall; ` +
      `events per run max ${Math.max(...r.lengths)} [${r.lengths.join(', ')}]; build gaps ${gaps.map((g) => (g / HOUR).toFixed(2)).join(', ')} h`,
  );
  assert.ok(r.running, 'still running after 7 days');
  assert.ok(r.fakes.builtAt.length >= 7, `${r.fakes.builtAt.length} builds in 7 days`);
  for (const g of gaps) assert.ok(g >= DAY && g < DAY + HOUR, `builds ${g / HOUR} h apart`);
  assert.ok(r.lengths.length >= r.fakes.builtAt.length, `${r.lengths.length} runs for ${r.fakes.builtAt.length} builds: each build continues as new`);
  for (const n of r.lengths) assert.ok(n < 4096, `a run of ${n} events`);
});

void test('diskimage workflow: at the default 60 s janitor an idle run continues as new at the server suggestion', async () => {
  // the main loop re-plans and the janitor runs a retention pass every 60 s: a day's wait is
  // far more than 4,096 events, so each run must end at Temporal's continue-as-new suggestion
  const hours = 8;
  const r = await runDiskimage({ hours, janitorSeconds: 60, rebuildAgeSeconds: DAY / 1000 });
  const total = r.lengths.reduce((a, b) => a + b, 0);
  console.log(
    `# diskimage (janitor 60 s, ${hours} h idle): ${r.lengths.length} runs, ${r.wallMs} ms wall; events per run max ${Math.max(...r.lengths)} ` +
      `[${r.lengths.join(', ')}]; about ${Math.round(total / hours)} events per hour`,
  );
  assert.ok(r.running);
  assert.equal(r.fakes.builtAt.length, 1, 'only the first build: the next is a day away');
  assert.ok(r.lengths.length >= 2, `${r.lengths.length} runs: continued as new while idle`);
  // the suggestion is read after each wait, so a run may pass 4,096 by one idle loop
  for (const n of r.lengths) assert.ok(n < 4300, `a run of ${n} events`);
});

// ---- loops that once grew without bound ------------------------------------------------------

void test(
  'node workflow: a READY node past max-ready-age whose lock someone else holds for an hour keeps a small history',
  async () => {
    const provider = `p-${randomUUID()}`;
    const taskQueue = uniqueQueue('node-busy-lock');
    const t0 = await env.currentTimeMs();
    const stateTime = Math.floor(t0 / 1000);
    // busy for the hour after max-ready-age, or for 150 tries (one every 24 s), whichever ends first
    const fakes = nodeFakes({ provider, state: 'ready', stateTime, maxReadyAgeMs: DAY, lockBusyUntil: stateTime * 1000 + DAY + HOUR, maxBusyTries: 150 });
    const workers = await nodeWorkers(fakes, provider, taskQueue);
    const nodeId = '0000000043';
    const workflowId = `node/${nodeId}-${randomUUID()}`;
    await withWorkers(workers, async () => {
      const handle = await env.client.workflow.start<typeof nodeWorkflow>('nodeWorkflow', {
        workflowId,
        taskQueue,
        args: [{ nodeId, mode: 'adopt', provider, label: 'ubuntu-noble' }],
      });
      try {
        const wall = Date.now();
        assert.equal(await handle.result(), 'deleted');
        const wallMs = Date.now() - wall;
        const events = await historyLength(workflowId);
        const tries = fakes.record.busyTries;
        const spanMs = tries.length > 1 ? tries[tries.length - 1]! - tries[0]! : 0;
        console.log(
          `# node (max-ready-age, lock busy): ${tries.length} busy tries over ${spanMs} ms of workflow time (${wallMs} ms wall), ${events} events ` +
            `(~${Math.round(events / Math.max(1, tries.length))} per try)`,
        );
        assert.ok(tries.length < 150, `${tries.length} tries of a busy lock within ${spanMs} ms of workflow time`);
        assert.ok(events < 4096, `history ${events} events`);
      } finally {
        await terminate(handle);
      }
    });
  },
);

void test(
  'diskimage workflow: an image removed from the config whose build cannot be deleted keeps each run small',
  async () => {
    const hours = 4;
    const r = await runDiskimage({ hours, janitorSeconds: 60, rebuildAgeSeconds: DAY / 1000, removedWithStuckBuild: true });
    console.log(
      `# diskimage (removed, build stuck, janitor 60 s, ${hours} h): ${r.lengths.length} runs, ${r.wallMs} ms wall; events per run [${r.lengths.join(', ')}]; ` +
        `about ${Math.round(r.lengths.reduce((a, b) => a + b, 0) / hours)} events per hour`,
    );
    assert.ok(r.running);
    for (const n of r.lengths) assert.ok(n < 4300, `a run of ${n} events`);
  },
);

// ---- min-ready, pool, request ----------------------------------------------------------------

void test('min-ready workflow: 24 h of its 60 s safety-net timer plus 500 pokes keep every run small', async () => {
  const taskQueue = uniqueQueue('min-ready');
  const workflowId = `min-ready-${randomUUID()}`;
  const runs = new Map<string, number>();
  let passes = 0;
  const acts: Pick<LauncherActivities, 'minReadyPass'> = {
    async minReadyPass() {
      passes++;
      runs.set(runOf(), (runs.get(runOf()) ?? 0) + 1);
      return { submitted: 0, deleted: 0, failed: [] };
    },
  };
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: acts });
  await withWorkers([worker], async () => {
    const handle = await env.client.workflow.start<typeof minReadyWorkflow>('minReadyWorkflow', { workflowId, taskQueue, args: [{ intervalSeconds: 60 }] });
    try {
      await until('the first pass', () => passes >= 1);
      // a busy site pokes it on every change of a min-ready label's nodes
      for (let i = 0; i < 500; i++) await handle.signal(minReadyPokeSignal);
      await env.sleep('24 hours');
      const lengths: number[] = [];
      for (const runId of runs.keys()) lengths.push(await historyLength(workflowId, runId));
      console.log(`# min-ready (60 s + 500 pokes, 24 h): ${passes} passes in ${runs.size} runs; events per run max ${Math.max(...lengths)}`);
      assert.equal(await status(handle), 'RUNNING');
      assert.ok(passes >= 1440, `${passes} passes`);
      assert.ok(runs.size >= 3, `${runs.size} runs: continued as new`);
      for (const n of lengths) assert.ok(n < 2200, `a run of ${n} events`);
    } finally {
      await terminate(handle);
    }
  });
});

void test('pool workflow: 2,000 queue reports keep every run small; the latest report is what it shows', async () => {
  const taskQueue = uniqueQueue('pool');
  const workflowId = `pool/p-${randomUUID()}/main`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle });
  await withWorkers([worker], async () => {
    const handle = await env.client.workflow.start<typeof poolWorkflow>('poolWorkflow', { workflowId, taskQueue, args: [{ provider: 'p', pool: 'main' }] });
    try {
      const t0 = await env.currentTimeMs();
      const report = (i: number): PoolQueueStatus => ({
        launcher: 'launcher-a',
        poolId: 'launcher-a-PoolWorker.p-main-0',
        paused: i % 2 === 0,
        waiting: 1000 - i,
        reasons: { 'waiting for room: pool p-main is at its limits': 1000 - i },
        next: [],
        nodes: 4,
        maxServers: 4,
        updatedAt: t0 + i,
      });
      for (let i = 0; i < 2000; i++) await handle.signal(poolQueueSignal, report(i));
      await until('the last report shown', async () => (await handle.query(poolStatusQuery)).launchers['launcher-a']?.waiting === 1000 - 1999);
      const current = await historyLength(workflowId);
      console.log(`# pool (2,000 reports): current run ${current} events`);
      assert.equal(await status(handle), 'RUNNING');
      assert.ok(current < 2000, `current run ${current} events`);
    } finally {
      await terminate(handle);
    }
  });
});

// Last: it runs in real time, and the test server skips no time for the tests after it.
void test('lead node workflow: an accepted request whose launch hangs has no timer and a history that does not grow, then is fulfilled', async () => {
  const provider = `p-${randomUUID()}`;
  const taskQueue = uniqueQueue('request');
  const requestId = `200-${String(Date.now() % 1e10).padStart(10, '0')}`;
  const nodeId = '0000000077';
  let fulfilled = false;
  const tokens = new Map<string, () => void>();
  const released = new Set<string>();
  const release = (token: string) => {
    released.add(token);
    tokens.get(token)?.();
  };
  const local: Pick<LauncherActivities, 'beginLaunch' | 'markReady' | 'fulfilRequest' | 'readNodeEvent' | 'releaseLock' | 'tryLock' | 'reportLaunch' | 'nodeTimers'> = {
    async beginLaunch() {
      return {
        kind: 'started',
        plan: { nodeId, provider, pool: 'main', label: 'small', serverName: `np${nodeId}`, launchRetries: 3, launchTimeoutMs: 60_000, bootTimeoutMs: 60_000, hostKeyChecking: false, connectionType: 'ssh', connectionPort: 22, consoleLog: false },
        attempt: { provider, pool: 'main', label: 'small', nodeId, serverName: `np${nodeId}`, az: null, imageExternalId: null, imageName: 'noble', requestId, tenantName: null },
      };
    },
    async markReady() {
      return true;
    },
    async fulfilRequest(input) {
      fulfilled = true;
      for (const l of [...input.nodeLocks, input.requestLock]) release(l.token);
      return 'fulfilled';
    },
    async readNodeEvent() {
      return { exists: true, state: 'ready', allocatedTo: requestId, stateTime: 0 };
    },
    async releaseLock(input) {
      release(input.token);
    },
    async tryLock() {
      return true;
    },
    async reportLaunch() {},
    async nodeTimers() {
      return { stateTime: 0, maxReadyAgeMs: 0, holdLimitMs: 0 };
    },
  };
  const lock: LockActivities = {
    async holdLock(input): Promise<HoldLockResult> {
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 1000);
      try {
        // released before this holder started (its worker came up late)
        if (!released.has(input.token)) await Promise.race([new Promise<void>((resolve) => tokens.set(input.token, resolve)), ctx.cancelled]);
        return { kind: 'released' };
      } finally {
        clearInterval(beat);
      }
    },
  };
  const cloud: Pick<CloudActivities, 'launchServer'> = {
    async launchServer() {
      return { id: 'srv-1', status: 'ACTIVE', interfaceIp: '10.0.0.7', publicIpv4: null, publicIpv6: null, privateIpv4: '10.0.0.7', hostId: null, az: null, faultMessage: null };
    },
  };
  const workflowId = `node/${nodeId}`;
  // The lead node workflow and its lock holders run from the start; the provider's queue has no
  // worker at first, so the launch waits there.
  const [nodeWorker, launcherWorker] = await Promise.all([
    Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: local }),
    Worker.create({ connection: env.nativeConnection, taskQueue: LAUNCHER_QUEUE, activities: { ...local, ...lock } }),
  ]);
  await withWorkers([nodeWorker, launcherWorker], async () => {
    const handle = await env.client.workflow.start<typeof nodeWorkflow>('nodeWorkflow', {
      workflowId,
      taskQueue,
      args: [
        {
          nodeId,
          mode: 'launch',
          provider,
          label: 'small',
          requestId,
          carry: { pool: { id: 'l-PoolWorker.p-main-0', provider, pool: 'main' }, request: { nodeTypes: ['small'], reuse: true, requestor: 'zuul', tenantName: null, minReady: false }, lockToken: 'req-token', slots: [{ label: 'small', nodeId, reused: false, lockToken: null }] },
        },
      ],
    });
    try {
      // the launch is scheduled and the workflow waits: its history stops growing
      let early = 0;
      await until('the history settled', async () => {
        const before = await historyLength(workflowId);
        await new Promise((r) => setTimeout(r, 500));
        early = await historyLength(workflowId);
        return early >= 8 && early === before;
      });
      // The test server skips no time while lock holders run (they heartbeat), so the wait is
      // shown by its shape: no timer in the history, and nothing added for a few seconds.
      await new Promise((r) => setTimeout(r, 3000));
      const later = await historyLength(workflowId);
      assert.ok(!((await handle.fetchHistory()).events ?? []).some((e) => e.timerStartedEventAttributes), 'the waiting lead has no timer');
      const providerWorker = await Worker.create({ connection: env.nativeConnection, taskQueue: providerQueue(provider), activities: cloud });
      await withWorkers([providerWorker], async () => {
        await until('fulfilled', () => fulfilled);
      });
      const done = await historyLength(workflowId);
      console.log(`# lead node (launch hangs): ${early} events at the start, ${later} 3 s later, ${done} when fulfilled`);
      assert.equal(later, early, 'no events while waiting');
      assert.ok(done < 60, `history ${done} events`);
      assert.equal(((await handle.query('status')) as { request?: { outcome: string | null } }).request?.outcome, 'fulfilled');
    } finally {
      await terminate(handle);
    }
  });
});
