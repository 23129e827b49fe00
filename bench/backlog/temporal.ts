// What bench/backlog.ts asks Temporal: history lengths of the workflows a waiting backlog keeps
// busy, and how many workflows are open.
import { type Client } from '@temporalio/client';

/** historyLength of a workflow, or null when there is no such workflow. */
export async function historyLength(client: Client, workflowId: string): Promise<number | null> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).historyLength;
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return null;
    throw err;
  }
}

/** Ids of the workflows whose id starts with `prefix`, or null when the server cannot say. */
export async function workflowsStartingWith(client: Client, prefix: string, max = 20): Promise<string[] | null> {
  try {
    const ids: string[] = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH '${prefix}'` })) {
      ids.push(wf.workflowId);
      if (ids.length >= max) break;
    }
    return ids.sort();
  } catch {
    return null;
  }
}

/** Running workflows, or NaN when the server cannot count. */
export async function runningWorkflows(client: Client): Promise<number> {
  try {
    return (await client.workflow.count("ExecutionStatus = 'Running'")).count;
  } catch {
    return NaN;
  }
}
