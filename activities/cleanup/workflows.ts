// Asks Temporal whether one of our workflows is running, from inside an activity (the
// activity's own client). Anything but a clear "not found" or "closed" counts as running, so an
// unreachable Temporal never makes cleanup touch something a workflow may own.
import { Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';

export const activityClient = (): Client => Context.current().client;

export async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    return d.status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/**
 * Whether a node workflow launched for this request still runs (its lead carries the request:
 * workflows/lib/request-carrier.ts). Asked through visibility (NodepoolRequestId), which may lag
 * by a moment; an error counts as running, as above.
 */
export async function isCarried(client: Client, requestId: string): Promise<boolean> {
  try {
    const query = `WorkflowType = 'nodeWorkflow' AND NodepoolRequestId = '${requestId.replace(/'/g, '')}' AND ExecutionStatus = 'Running'`;
    return (await client.workflow.count(query)).count > 0;
  } catch {
    return true;
  }
}
