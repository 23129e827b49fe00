// Workflows for the Temporal-only benches: the smallest workflow that does something (one local
// activity) and the least a workflow per node can do (a local activity, an activity that waits
// out the boot, a local activity) for bench/temporal-floor.ts, and a parent that starts children,
// with or without local activities before each step, for bench/sticky-dispatch.ts.
import { proxyActivities, proxyLocalActivities, startChild, workflowInfo } from '@temporalio/workflow';

const { noop } = proxyLocalActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '10 seconds' });
const { boot } = proxyActivities<{ boot(ms: number): Promise<void> }>({ startToCloseTimeout: '1 minute' });

export async function floorWorkflow(): Promise<void> {
  await noop();
}

/** A node's launch with nothing of Nodepool in it: claim, wait for the server, mark it ready. */
export async function nodeFloorWorkflow(bootMs: number): Promise<void> {
  await noop();
  await boot(bootMs);
  await noop();
}

export async function childWorkflow(localActivities: number): Promise<void> {
  for (let i = 0; i < localActivities; i++) await noop();
}

export async function parentWorkflow(children: number, localActivities: number): Promise<void> {
  for (let i = 0; i < children; i++) {
    for (let j = 0; j < localActivities; j++) await noop();
    const child = await startChild(childWorkflow, { args: [localActivities], workflowId: `${workflowInfo().workflowId}-${i}` });
    await child.result();
  }
}
