// cleanup/<provider>: Nodepool's CleanupWorker for one provider, as a durable loop. Each pass is
// one activity (activities/cleanup) whose tasks are isolated from each other; what the pass saw
// as leaked travels to the next pass in this workflow's state, so "seen on two consecutive
// passes" survives worker restarts. After `passesPerRun` passes the workflow continues as new
// with that state. A provider removed from the config drains: the workflow keeps passing node
// state on until none of its nodes are left, then ends.
import { condition, continueAsNew, log, proxyActivities, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { CleanupActivities, CleanupPassResult, CleanupSightings, CleanupTaskReport } from '../activities/cleanup/types';
import { NodepoolProvider, NodepoolState } from '../lib/temporal/search-attributes';
import { LAUNCHER_QUEUE } from './lib/activities';
import { cleanupConfigureSignal, cleanupPokeSignal, cleanupStatusQuery, type CleanupStatus } from './cleanup-messages';

export interface CleanupInput {
  provider: string;
  /** Seconds between passes (Nodepool: 60). */
  intervalSeconds?: number;
  /** Passes before continue-as-new. */
  passesPerRun?: number;
  /** Carried over by continue-as-new. */
  sightings?: CleanupSightings;
  passes?: number;
}

const { cleanupPass } = proxyActivities<CleanupActivities>({
  taskQueue: LAUNCHER_QUEUE,
  // many cloud listings and deletions; heartbeats notice a dead worker quickly
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '1 minute',
  // a pass that fails as a whole is simply the next pass's job; do not pile retries on a sick cloud
  retry: { initialInterval: '5 seconds', maximumAttempts: 2 },
  cancellationType: 'WAIT_CANCELLATION_COMPLETED',
});

const empty = (): CleanupSightings => ({ servers: [], images: [], floatingIps: [], downPorts: {}, drainStates: {} });

function summary(r: CleanupPassResult): string {
  const parts = Object.entries(r.tasks).map(([name, t]: [string, CleanupTaskReport]) => {
    if (t.skipped) return `${name}: skipped`;
    if (!t.ok) return `${name}: FAILED`;
    return `${name}: ${t.found} found, ${t.done.length + (t.more ?? 0)} done`;
  });
  return `${r.configured ? '' : 'draining; '}${parts.join('; ')}`;
}

export async function cleanupWorkflow(input: CleanupInput): Promise<void> {
  let intervalSeconds = input.intervalSeconds;
  const intervalMs = () => Math.max(1, intervalSeconds ?? 60) * 1000;
  const passesPerRun = Math.max(1, input.passesPerRun ?? 100);
  const status: CleanupStatus = { provider: input.provider, passes: input.passes ?? 0, phase: 'running', lastPass: null, pending: input.sightings ?? empty() };
  let pokes = 0;
  setHandler(cleanupStatusQuery, () => status);
  setHandler(cleanupPokeSignal, () => {
    pokes++;
  });
  setHandler(cleanupConfigureSignal, (c) => {
    if (c.intervalSeconds !== undefined && Number.isFinite(c.intervalSeconds)) intervalSeconds = c.intervalSeconds;
    pokes++;
  });
  upsertSearchAttributes([{ key: NodepoolProvider, value: input.provider }]);

  for (let run = 0; run < passesPerRun && !workflowInfo().continueAsNewSuggested; run++) {
    status.phase = 'running';
    const seen = pokes;
    try {
      const r = await cleanupPass({ provider: input.provider, previous: status.pending });
      const { next, ...rest } = r;
      status.pending = next;
      status.passes++;
      status.lastPass = { ...rest, at: new Date().toISOString() };
      const text = summary(r);
      setCurrentDetails(`pass ${status.passes} at ${status.lastPass.at}: ${text}`);
      upsertSearchAttributes([{ key: NodepoolState, value: r.configured ? 'cleaning' : 'draining' }]);
      if (!r.configured && r.nodes === 0) {
        status.phase = 'done';
        log.info('provider removed and drained; cleanup ends', { provider: input.provider });
        upsertSearchAttributes([{ key: NodepoolState, value: 'drained' }]);
        return;
      }
      status.phase = r.configured ? 'waiting' : 'draining';
    } catch (err) {
      // a pass that failed as a whole keeps no sightings: nothing is deleted on one look
      status.pending = empty();
      log.warn('cleanup pass failed', { provider: input.provider, error: err instanceof Error ? err.message : String(err) });
    }
    await condition(() => pokes !== seen, intervalMs());
  }
  await continueAsNew<typeof cleanupWorkflow>({ ...input, intervalSeconds, sightings: status.pending, passes: status.passes });
}
