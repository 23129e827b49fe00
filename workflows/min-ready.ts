// min-ready: keeps `min-ready` READY, unallocated nodes per label by submitting Nodepool-style
// requests (requestor NodePool:min-ready, priority 900, reuse false). Each pass is one activity
// that looks at ZooKeeper as a whole, so several launchers do not overshoot (Nodepool bug A11).
// Passes run when the launcher says something changed (a node of a min-ready label, a min-ready
// request, the config): `poke`; a slow fallback timer is only the safety net. A label whose
// request was just declined at capacity is left alone for BACKOFF, so a full pool does not turn
// into a submit/decline loop.
import { condition, continueAsNew, defineSignal, setHandler, workflowInfo } from '@temporalio/workflow';
import { zkActivities } from './lib/activities';

export interface MinReadyInput {
  /** Seconds between passes when nothing pokes the workflow (the safety net). */
  intervalSeconds?: number;
  /** Labels in back-off, with the epoch ms it ends (carried over continue-as-new). */
  backoff?: Record<string, number>;
}

/** Wakes the loop (a node or min-ready request changed, or the config). */
export const minReadyPokeSignal = defineSignal('poke');

const BACKOFF_MS = 30_000;
/** Keeps each run's history short: a pass is about six events. */
const MAX_HISTORY = 2000;

export async function minReadyWorkflow(input: MinReadyInput = {}): Promise<void> {
  const interval = Math.max(1, input.intervalSeconds ?? 60) * 1000;
  const backoff: Record<string, number> = { ...(input.backoff ?? {}) };
  let pokes = 0;
  setHandler(minReadyPokeSignal, () => {
    pokes++;
  });
  while (!workflowInfo().continueAsNewSuggested && workflowInfo().historyLength < MAX_HISTORY) {
    const now = Date.now();
    for (const [label, until] of Object.entries(backoff)) if (until <= now) delete backoff[label];
    const seen = pokes;
    const result = await zkActivities.minReadyPass({ skip: Object.keys(backoff) });
    for (const label of result.failed) backoff[label] = Date.now() + BACKOFF_MS;
    const nextBackoff = Math.min(...Object.values(backoff).map((t) => t - Date.now()));
    await condition(() => pokes !== seen, Math.max(1, Math.min(interval, nextBackoff)));
  }
  await continueAsNew<typeof minReadyWorkflow>({ ...input, backoff });
}
