// Handing an accepted request to its durable workflow. Until the start succeeds the request
// stays `pending` and locked by this launcher's ZooKeeper session (if the launcher dies first,
// lost-request cleanup hands it back to the queue). The start is retried while Temporal is
// unreachable; the claim's token in the memo tells our own earlier start (an ambiguous error)
// from a previous run of the same request that is still finishing (a hand-back): that one is
// waited for, then ours starts.
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { log } from '../../../lib/log';
import { LAUNCHER_QUEUE } from '../../../workflows/lib/activities';
import { workflowIds } from '../../../workflows/messages';
import type { requestWorkflow, RequestWorkflowInput } from '../../../workflows/request';

const RETRY_MAX_MS = 30_000;

export async function startRequestWorkflow(client: Client, input: RequestWorkflowInput, stopped: () => boolean): Promise<boolean> {
  const workflowId = workflowIds.request(input.requestId);
  const logger = log('admission');
  for (let attempt = 1; !stopped(); attempt++) {
    try {
      await client.workflow.start<typeof requestWorkflow>('requestWorkflow', {
        workflowId,
        taskQueue: LAUNCHER_QUEUE,
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        requestEagerStart: true,
        memo: { claim: input.lockToken },
      });
      return true;
    } catch (err) {
      try {
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          const h = client.workflow.getHandle(workflowId);
          const d = await h.describe();
          if (d.memo?.claim === input.lockToken) return true;
          await h.result().catch(() => undefined);
          continue;
        }
      } catch (inner) {
        err = inner;
      }
      const delay = Math.min(RETRY_MAX_MS, 500 * 2 ** Math.min(attempt, 6));
      logger.warn({ requestId: input.requestId, err, retryInMs: delay }, 'could not start request workflow; retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  return false;
}
