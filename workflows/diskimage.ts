// diskimage/<name>: one diskimage's whole life on the builders. Waits for `rebuild-age` since
// the newest ready build (or a rebuild request), honours pause, has one builder claim the build
// and run DIB there, records the build, uploads it to every provider from that builder, and
// keeps the two newest ready builds and two newest uploads per provider (a janitor coroutine,
// every `janitorSeconds` or when woken). Continues as new after each build.
import { condition, continueAsNew, isCancellation, log, patched, setHandler, upsertSearchAttributes, uuid4, workflowInfo, CancellationScope } from '@temporalio/workflow';
import type { BuildSummary, DiskimagePlan, PendingUpload } from '../activities/builder/types';
import { NodepoolDiskimage, NodepoolState } from '../lib/temporal/search-attributes';
import { dib, janitor, localFiles, upload, zk } from './builder-activities';
import { diskimageStatusQuery, rebuildSignal, uploadSignal, wakeSignal, type DiskimageStatus } from './builder-messages';

export interface DiskimageWorkflowInput {
  name: string;
  /** A rebuild asked for and not yet satisfied by a ready build (carried across runs). */
  rebuildRequested?: boolean;
  /** `<build id>/<provider>` an operator deleted with image-delete: not uploaded again (A10). */
  suppressedUploads?: string[];
  /** `<build id>/<provider>` asked for by `nodepool image-upload` and not yet uploaded. */
  requestedUploads?: string[];
  /** Epoch ms of the last failed build; the next attempt waits `buildRetrySeconds`. */
  lastFailureAt?: number | null;
  /** Retention pass interval (Nodepool's janitor: 60 s). Default 60. */
  janitorSeconds?: number;
  /** Default 300. */
  buildRetrySeconds?: number;
  /** Wait before uploading again after a failed upload (Nodepool: next 10 s cycle). Default 30. */
  uploadRetrySeconds?: number;
}

const failureText = (e: unknown): string => (e instanceof Error ? `${e.message}${e.cause instanceof Error ? `: ${e.cause.message}` : ''}` : String(e));

/** When the next build is due (epoch ms), or null when none should be built. */
export function buildDueAt(plan: DiskimagePlan, requested: boolean, lastFailureAt: number | null, retryMs: number): number | null {
  if (plan.configPaused || plan.zkPaused || plan.formats.length === 0) return null;
  const newest = plan.newestReady;
  let due: number;
  if (requested || !newest || !plan.formats.every((f) => newest.formats.includes(f))) due = 0;
  else due = newest.stateTime + plan.rebuildAge * 1000;
  if (lastFailureAt !== null) due = Math.max(due, lastFailureAt + retryMs);
  return due;
}

export async function diskimageWorkflow(input: DiskimageWorkflowInput): Promise<void> {
  const name = input.name;
  const janitorMs = (input.janitorSeconds ?? 60) * 1000;
  const buildRetryMs = (input.buildRetrySeconds ?? 300) * 1000;
  const uploadRetryMs = (input.uploadRetrySeconds ?? 30) * 1000;
  const suppressed = new Set(input.suppressedUploads ?? []);
  const requestedUploads = new Set(input.requestedUploads ?? []);
  let rebuild = input.rebuildRequested ?? false;
  let lastFailureAt = input.lastFailureAt ?? null;
  let wake = false;
  let cleanupWanted = true;
  let stopping = false;
  /** Record creation and a retention pass exclude each other, so a pass never sees half-started work as dead. */
  let recordsBusy = false;
  const activeBuilds = new Set<string>();
  const activeUploads = new Set<string>();
  let uploadRetryAt: number | null = null;
  const status: DiskimageStatus = { name, phase: 'idle', buildId: null, uploads: [], rebuildRequested: rebuild, nextBuildAt: null };

  setHandler(rebuildSignal, ({ reason }) => {
    log.info('rebuild requested', { diskimage: name, reason });
    rebuild = true;
    wake = true;
  });
  setHandler(wakeSignal, ({ reason, deletedUpload }) => {
    log.info('woken', { diskimage: name, reason });
    if (deletedUpload) suppressed.add(`${deletedUpload.buildId}/${deletedUpload.provider}`);
    wake = true;
    cleanupWanted = true;
  });
  setHandler(uploadSignal, ({ reason, buildId, provider }) => {
    // Only a new CLI signalling a builder that still ran the code without this handler puts an
    // `upload` signal into a history that lacks the marker; replaying such a history must not
    // act on it (that run never did), so the request is honoured only under the patch.
    if (!patched('image-upload-signal')) return;
    log.info('upload requested', { diskimage: name, build: buildId, provider, reason });
    const key = `${buildId}/${provider}`;
    requestedUploads.add(key);
    suppressed.delete(key); // the operator wants it there again (undoes A10 for this build)
    uploadRetryAt = null;
    wake = true;
  });
  setHandler(diskimageStatusQuery, () => ({ ...status, rebuildRequested: rebuild, uploads: [...activeUploads] }));

  upsertSearchAttributes([{ key: NodepoolDiskimage, value: name }]);
  const setPhase = (phase: string) => {
    if (status.phase === phase) return;
    status.phase = phase;
    upsertSearchAttributes([{ key: NodepoolState, value: phase }]);
  };
  setPhase('idle');

  async function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await condition(() => !recordsBusy);
    recordsBusy = true;
    try {
      return await fn();
    } finally {
      recordsBusy = false;
    }
  }

  // ---- retention (spec §3.9): cloud first, then the holder's disk, then the record ------------
  async function retentionPass(): Promise<void> {
    const r = await exclusive(() => janitor.cleanupDiskimage({ name, activeBuilds: [...activeBuilds], activeUploads: [...activeUploads] }));
    for (const d of r.operatorDeleted) suppressed.add(`${d.buildId}/${d.provider}`);
    for (const b of r.removable) {
      if (b.builderId) {
        try {
          await localFiles(b.builderId).deleteBuildFiles({ name, buildId: b.buildId });
        } catch (e) {
          // the holder is away: its start-up sweep deletes files of builds that are gone
          log.warn('local files not deleted now', { diskimage: name, build: b.buildId, error: failureText(e) });
        }
      }
      await zk.deleteBuildRecord({ name, buildId: b.buildId });
    }
  }

  async function janitorLoop(): Promise<void> {
    while (!stopping) {
      await condition(() => cleanupWanted || stopping, janitorMs);
      if (stopping) return;
      cleanupWanted = false;
      try {
        await retentionPass();
      } catch (e) {
        if (isCancellation(e)) throw e;
        log.warn('retention pass failed; trying again later', { diskimage: name, error: failureText(e) });
      }
    }
  }

  // ---- uploads (spec §3.7), one per provider, in parallel; the builder caps concurrency -------
  async function uploadTo(build: BuildSummary, p: PendingUpload): Promise<boolean> {
    const builderId = build.builderId;
    if (!builderId) return false; // built by a builder we cannot reach (e.g. a Python one)
    const key = `${build.id}/${p.provider}`;
    let uploadId: string;
    try {
      uploadId = await exclusive(async () => {
        activeUploads.add(key);
        return zk.createUploadRecord({ name, buildId: build.id, provider: p.provider });
      });
    } catch (e) {
      activeUploads.delete(key);
      if (isCancellation(e)) throw e;
      log.warn('cannot create the upload record', { diskimage: name, provider: p.provider, error: failureText(e) });
      return false;
    }
    try {
      const timestamp = Math.floor(Date.now() / 1000);
      const r = await upload(builderId, p.uploadTimeout).uploadImage({ name, buildId: build.id, provider: p.provider, uploadId, format: p.format, timestamp });
      await zk.finishUpload({ name, buildId: build.id, provider: p.provider, uploadId, result: r });
      return true;
    } catch (e) {
      log.warn('upload failed', { diskimage: name, build: build.id, provider: p.provider, upload: uploadId, error: failureText(e) });
      await CancellationScope.nonCancellable(async () => {
        // if even this fails, the record stays `uploading` with no upload running: retention removes it
        await zk.finishUpload({ name, buildId: build.id, provider: p.provider, uploadId, result: null }).catch(() => false);
        await zk.deleteUploadLeftovers({ buildId: build.id, provider: p.provider, uploadId }).catch(() => 0);
      });
      if (isCancellation(e)) throw e;
      return false;
    } finally {
      activeUploads.delete(key);
    }
  }

  // ---- one build (spec §3.4) ------------------------------------------------------------------
  async function runBuild(plan: DiskimagePlan, requested: boolean): Promise<boolean> {
    const buildId = uuid4().replace(/-/g, '');
    status.buildId = buildId;
    setPhase('building');
    let claimed: { builderId: string };
    try {
      claimed = await exclusive(async () => {
        activeBuilds.add(buildId);
        return zk.claimBuild({ name, buildId, formats: plan.formats });
      });
    } catch (e) {
      // e.g. BuildLockBusy: another (Python) builder is building this image; a record we may
      // have written is no longer active, so retention removes it
      activeBuilds.delete(buildId);
      status.buildId = null;
      if (isCancellation(e)) throw e;
      log.warn('build not claimed', { diskimage: name, build: buildId, error: failureText(e) });
      return false;
    }
    let formats = plan.formats;
    let ready = false;
    try {
      const r = await dib(claimed.builderId, plan.buildTimeout).buildDiskimage({ diskimage: name, buildId, formats: plan.formats });
      formats = r.formats;
      ready = true;
    } catch (e) {
      log.warn('build failed', { diskimage: name, build: buildId, error: failureText(e) });
      if (isCancellation(e)) {
        await CancellationScope.nonCancellable(() => zk.finishBuild({ name, buildId, ready: false, formats: [] }));
        throw e;
      }
    }
    const stored = await zk.finishBuild({ name, buildId, ready, formats });
    activeBuilds.delete(buildId);
    status.buildId = null;
    if (!stored && ready) {
      // the record went away while DIB ran (NP24: delete the files at once)
      await localFiles(claimed.builderId).deleteBuildFiles({ name, buildId }).catch(() => []);
      return false;
    }
    if (ready && requested) await zk.clearBuildRequest(name);
    return ready;
  }

  const janitorDone = janitorLoop();
  const carry = (): DiskimageWorkflowInput => ({
    ...input,
    rebuildRequested: rebuild,
    suppressedUploads: [...suppressed],
    requestedUploads: requestedUploads.size > 0 ? [...requestedUploads] : undefined,
    lastFailureAt,
  });
  const stopJanitor = async () => {
    stopping = true;
    await janitorDone;
  };

  for (;;) {
    // every branch below loops back here (waiting, removing, a ZooKeeper outage): a fresh run
    // once the history is long, whichever it was
    if (workflowInfo().continueAsNewSuggested) {
      await stopJanitor();
      await continueAsNew<typeof diskimageWorkflow>(carry());
    }
    let plan: DiskimagePlan;
    try {
      plan = await zk.planDiskimage(name);
    } catch (e) {
      if (isCancellation(e)) throw e;
      // ZooKeeper unreachable for longer than the activity's retries: wait and try again
      log.warn('cannot plan; trying again later', { diskimage: name, error: failureText(e) });
      await condition(() => wake, janitorMs);
      wake = false;
      continue;
    }
    if (!plan.configured) {
      // removed from the config: nothing is kept; end once every record is gone
      setPhase('removing');
      if (plan.buildCount === 0) {
        await stopJanitor();
        log.info('diskimage removed and cleaned up', { diskimage: name });
        return;
      }
      cleanupWanted = true;
      await condition(() => wake, janitorMs);
      wake = false;
      continue;
    }

    const newest = plan.newestReady;
    const now = Date.now();
    // image-upload requests: only for the newest ready build, to a provider that takes it now,
    // from a builder we can reach; anything else is dropped (a newer build is uploaded anyway)
    for (const key of requestedUploads) {
      const target = newest && newest.builderId && key.startsWith(`${newest.id}/`) ? (plan.uploadTargets ?? []).find((p) => key === `${newest.id}/${p.provider}`) : undefined;
      if (!target) {
        log.warn('requested upload dropped: not the newest ready build, or the provider does not take it now', { diskimage: name, upload: key });
        requestedUploads.delete(key);
      }
    }
    if (newest && (uploadRetryAt === null || uploadRetryAt <= now)) {
      const pending = plan.pendingUploads.filter((p) => !suppressed.has(`${newest.id}/${p.provider}`));
      for (const p of plan.uploadTargets ?? []) {
        if (requestedUploads.has(`${newest.id}/${p.provider}`) && !pending.some((q) => q.provider === p.provider)) pending.push(p);
      }
      if (pending.length > 0) {
        setPhase('uploading');
        const results = await Promise.all(pending.map((p) => uploadTo(newest, p)));
        pending.forEach((p, i) => {
          if (results[i]) requestedUploads.delete(`${newest.id}/${p.provider}`);
        });
        uploadRetryAt = results.every(Boolean) ? null : Date.now() + uploadRetryMs;
        cleanupWanted = true;
        continue; // plan again: the uploads changed what is pending
      }
    }

    const requested = rebuild || plan.buildRequested;
    const dueAt = buildDueAt(plan, requested, lastFailureAt, buildRetryMs);
    status.nextBuildAt = dueAt;
    if (dueAt === null || dueAt > Date.now()) {
      setPhase(plan.configPaused || plan.zkPaused ? 'paused' : 'idle');
      let waitMs = janitorMs;
      if (dueAt !== null) waitMs = Math.min(waitMs, dueAt - Date.now());
      if (uploadRetryAt !== null) waitMs = Math.min(waitMs, Math.max(uploadRetryAt - Date.now(), 1));
      const paused = plan.configPaused || plan.zkPaused;
      await condition(() => wake || (rebuild && !paused && lastFailureAt === null), Math.max(waitMs, 1));
      wake = false;
      continue;
    }

    let ok = false;
    try {
      ok = await runBuild(plan, requested);
    } catch (e) {
      if (isCancellation(e)) throw e;
      // the build record could not be written: it is not active any more, so retention removes it
      log.warn('build bookkeeping failed', { diskimage: name, error: failureText(e) });
      activeBuilds.clear();
    }
    if (ok) {
      rebuild = false;
      lastFailureAt = null;
    } else {
      rebuild = requested; // a failed manual build is tried again (Nodepool keeps the request)
      lastFailureAt = Date.now();
    }
    setPhase('idle');
    await stopJanitor();
    await continueAsNew<typeof diskimageWorkflow>(carry());
  }
}
