// min-ready: keeps `min-ready` READY, unallocated nodes per label by submitting Nodepool-style
// requests (requestor NodePool:min-ready, priority 900, reuse false). Each pass is one activity
// that looks at ZooKeeper as a whole, so several launchers do not overshoot (Nodepool bug A11).
import { condition, continueAsNew, defineSignal, setHandler, workflowInfo } from '@temporalio/workflow';
import { zkActivities } from './lib/activities';

export interface MinReadyInput {
  /** Seconds between passes (Nodepool's main loop runs every second). */
  intervalSeconds?: number;
}

/** Wakes the loop early (e.g. after a config reload or a node change). */
export const minReadyPokeSignal = defineSignal('poke');

export async function minReadyWorkflow(input: MinReadyInput = {}): Promise<void> {
  const interval = Math.max(1, input.intervalSeconds ?? 2) * 1000;
  let pokes = 0;
  setHandler(minReadyPokeSignal, () => {
    pokes++;
  });
  while (!workflowInfo().continueAsNewSuggested && workflowInfo().historyLength < 2000) {
    await zkActivities.minReadyPass();
    const seen = pokes;
    await condition(() => pokes !== seen, interval);
  }
  await continueAsNew<typeof minReadyWorkflow>(input);
}
