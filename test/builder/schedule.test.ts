// The diskimage workflow's schedule on the time-skipping test server, with in-memory stand-ins for
// the builder's activities: the first build at once, nothing for 23 h, a rebuild once rebuild-age
// (24 h) has passed since the newest ready build, a rebuild signal builds at once, two builds kept,
// pause holds a due build back, and each build continues the workflow as new.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Context } from '@temporalio/activity';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { startTimeSkipping } from '../harness/time-skipping';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { type BuilderActivities, type BuilderLocalActivities, type DiskimagePlan } from '../../activities/builder';
import { type DibActivities } from '../../activities/dib';
import { BUILDER_QUEUE, builderQueue, diskimageStatusQuery, rebuildSignal, wakeSignal } from '../../workflows/builder-messages';
import type { diskimageWorkflow } from '../../workflows';

const BUILDER_ID = 'b-1';
const DAY = 86400;

interface FakeBuild {
  id: string;
  state: string;
  stateTime: number;
  uploads: Record<string, string>;
}

/** The builder activities over an in-memory image catalogue, on the test server's clock. */
function fakes(now: () => number) {
  const builds: FakeBuild[] = [];
  const flags = { paused: false };
  let uploadSeq = 0;
  const ready = () => builds.filter((b) => b.state === 'ready').sort((a, b) => b.stateTime - a.stateTime);
  const shared: Partial<BuilderActivities> = {
    async planDiskimage(name) {
      const newest = ready()[0] ?? null;
      const plan: DiskimagePlan = {
        name,
        configured: true,
        configPaused: false,
        zkPaused: flags.paused,
        buildRequested: false,
        rebuildAge: DAY,
        buildTimeout: 3600,
        formats: ['qcow2'],
        newestReady: newest ? { id: newest.id, state: 'ready', stateTime: newest.stateTime, formats: ['qcow2'], builderId: BUILDER_ID } : null,
        pendingUploads: newest && !newest.uploads.p1 ? [{ provider: 'p1', format: 'qcow2', uploadTimeout: 3600 }] : [],
        pausedProviders: [],
        buildCount: builds.length,
      };
      return plan;
    },
    async claimBuild(input) {
      builds.push({ id: input.buildId, state: 'building', stateTime: now(), uploads: {} });
      return { builderId: BUILDER_ID, hostname: 'test' };
    },
    async finishBuild(input) {
      const b = builds.find((x) => x.id === input.buildId);
      if (!b) return false;
      b.state = input.ready ? 'ready' : 'failed';
      b.stateTime = now();
      return true;
    },
    async clearBuildRequest() {},
    async createUploadRecord() {
      return String(uploadSeq++).padStart(10, '0');
    },
    async finishUpload(input) {
      const b = builds.find((x) => x.id === input.buildId);
      if (b && input.result) b.uploads[input.provider] = input.uploadId;
      return true;
    },
    async cleanupDiskimage() {
      const keep = new Set(ready().slice(0, 2).map((b) => b.id));
      const removable = builds.filter((b) => !keep.has(b.id) && b.state !== 'building').map((b) => ({ buildId: b.id, builderId: BUILDER_ID }));
      return { removable, operatorDeleted: [], failedDeletes: 0 };
    },
    async deleteBuildRecord(input) {
      const i = builds.findIndex((b) => b.id === input.buildId);
      if (i >= 0) builds.splice(i, 1);
      return true;
    },
    async deleteUploadLeftovers() {
      return 0;
    },
  };
  const local: Partial<BuilderLocalActivities & DibActivities> = {
    async buildDiskimage(input) {
      return { diskimage: input.diskimage, buildId: input.buildId, formats: ['qcow2'], files: [], logPath: '', durationMs: 1, command: [], envNames: [] };
    },
    async uploadImage(input) {
      return { externalId: `img-${input.uploadId}`, externalName: `${input.name}-${input.uploadId}`, format: input.format };
    },
    async deleteBuildFiles() {
      return [];
    },
  };
  // when an activity last ran: the workflow is idle once none has run for a while
  let lastCall = Date.now();
  const touch = <T extends object>(acts: T): T => {
    for (const [k, fn] of Object.entries(acts)) {
      (acts as Record<string, unknown>)[k] = async (...args: unknown[]) => {
        lastCall = Date.now();
        try {
          return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
        } finally {
          lastCall = Date.now();
        }
      };
    }
    return acts;
  };
  return { builds, flags, shared: touch(shared), local: touch(local), ready, quietFor: () => Date.now() - lastCall };
}

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

before(async () => {
  ({ env, bundle } = await startTimeSkipping());
});

after(async () => {
  await env?.teardown();
});

async function until(what: string, check: () => boolean, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

void test('rebuild-age, rebuild signal, pause and continue-as-new on the time-skipping server', async () => {
  // server time, as the activity saw it scheduled (the test server's clock jumps)
  const f2 = fakes(() => Context.current().info.currentAttemptScheduledTimestampMs);
  const shared = await Worker.create({ connection: env.nativeConnection, taskQueue: BUILDER_QUEUE, workflowBundle: bundle, activities: f2.shared });
  const local = await Worker.create({ connection: env.nativeConnection, taskQueue: builderQueue(BUILDER_ID), activities: f2.local });
  await Promise.all([
    shared.runUntil(async () => {
      const handle = await env.client.workflow.start<typeof diskimageWorkflow>('diskimageWorkflow', {
        workflowId: 'diskimage/fake-image',
        taskQueue: BUILDER_QUEUE,
        args: [{ name: 'fake-image', janitorSeconds: 3600 }],
      });
      const firstRun = (await handle.describe()).runId;
      await until('first build uploaded', () => f2.ready().length === 1 && !!f2.ready()[0]?.uploads.p1);
      const t1 = f2.ready()[0]!.stateTime;

      await env.sleep('23 hours');
      assert.equal(f2.ready().length, 1, 'no rebuild before rebuild-age');

      await env.sleep('2 hours');
      await until('rebuild after 24 h', () => f2.ready().length === 2 && !!f2.ready()[0]?.uploads.p1);
      const t2 = f2.ready()[0]!.stateTime;
      assert.ok(t2 - t1 >= DAY * 1000, `second build ${(t2 - t1) / 3600_000} h after the first`);
      assert.notEqual((await handle.describe()).runId, firstRun, 'continued as new after a build');

      // signal only once the build above and its uploads are over and the workflow waits: a
      // rebuild asked for during a build is the same request (the CLI and the flag watcher both
      // send it). Idle = no activity for 2 s, seen from the fakes: a query loop here once coincided
      // with a workflow task the time-skipping server rejected ("invalid history builder state
      // for action"), after which the run never moved again.
      await until('the workflow idle', () => f2.quietFor() > 2000);
      // a build that did not exist before the signal (not a clock comparison: the test server's
      // clock may not move between two builds, and equal times leave the order to chance)
      const known = new Set(f2.builds.map((b) => b.id));
      await handle.signal(rebuildSignal, { reason: 'test' });
      await until('manual rebuild', () => f2.ready().some((b) => !known.has(b.id)));
      await handle.signal(wakeSignal, { reason: 'retention now' });
      await until('two builds kept', () => f2.builds.length === 2);

      f2.flags.paused = true;
      await handle.signal(wakeSignal, { reason: 'image-pause' });
      const before = f2.ready()[0]!.id;
      await env.sleep('50 hours');
      assert.equal(f2.ready()[0]!.id, before, 'no build while paused');
      const st = await handle.query(diskimageStatusQuery);
      assert.equal(st.phase, 'paused');
      f2.flags.paused = false;
      await handle.signal(wakeSignal, { reason: 'image-unpause' });
      await until('overdue build after unpause', () => f2.ready()[0]!.id !== before);
      await handle.terminate('test done');
    }),
    local.runUntil(async () => {
      await until('shared worker done', () => shared.getState() === 'STOPPED' || shared.getState() === 'DRAINED', 120_000).catch(() => undefined);
    }),
  ]);
});
