// Trivial workflows for the Temporal smoke, replay and time-skipping tests. Deterministic code only.
import { proxyActivities, sleep, workflowInfo, upsertSearchAttributes } from '@temporalio/workflow';
import type * as activities from './activities';
import { NodepoolProvider, NodepoolLabel } from '../../lib/temporal/search-attributes';

const { greet } = proxyActivities<typeof activities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 3 },
  cancellationType: 'WAIT_CANCELLATION_COMPLETED',
});

export async function smoke(name: string): Promise<string> {
  upsertSearchAttributes([
    { key: NodepoolProvider, value: 'sim' },
    { key: NodepoolLabel, value: 'ubuntu-noble' },
  ]);
  return await greet(name);
}

/** Sleeps a whole day of workflow time and reports how much workflow time passed. */
export async function sleepOneDay(): Promise<{ elapsedMs: number; runId: string }> {
  const start = Date.now();
  await sleep('24 hours');
  return { elapsedMs: Date.now() - start, runId: workflowInfo().runId };
}
