// The smallest workflow that still does something: one local activity. bench/temporal-floor.ts
// starts a storm of these to measure what the Temporal server and SDK cost on their own.
import { proxyLocalActivities } from '@temporalio/workflow';

const { noop } = proxyLocalActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '10 seconds' });

export async function floorWorkflow(): Promise<void> {
  await noop();
}
