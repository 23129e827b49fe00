// Asks Temporal whether one of our workflows is running, from inside an activity (the
// activity's own client). Anything but a clear "not found" or "closed" counts as running, so an
// unreachable Temporal never makes cleanup touch something a workflow may own.
import { Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { nodeStatusQuery } from '../../workflows/messages';

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
    for await (const wf of client.workflow.list({ query })) {
      // a lead whose request already ended (withdrawn, declined, handed back) keeps running as
      // a spare node with the request's id on it: only one still carrying it counts
      const status = await client.workflow
        .getHandle(wf.workflowId, wf.runId)
        .query(nodeStatusQuery)
        .catch(() => null);
      if (!status || (status.request?.requestId === requestId && !status.request.outcome)) return true;
    }
    return false;
  } catch {
    return true;
  }
}
