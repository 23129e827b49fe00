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
