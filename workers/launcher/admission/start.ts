// Handing an accepted request to the workflow of its lead node (the first node to launch), which
// carries it (workflows/lib/request-carrier.ts). Until the start succeeds the request stays
// `pending` and locked by this launcher's ZooKeeper session (if the launcher dies first,
// lost-request cleanup hands it back to the queue). The start is retried while Temporal is
// unreachable; the claim's token in the memo tells our own earlier start (an ambiguous error)
// apart from anything else.
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { log } from '../../../lib/log';
import { LAUNCHER_QUEUE } from '../../../workflows/lib/activities';
import { workflowIds } from '../../../workflows/messages';
import type { nodeWorkflow } from '../../../workflows/node';
import type { AcceptedClaim } from '../../../activities/launcher/api';
import { nodeSearchAttributes } from '../../../lib/temporal/search-attributes';

const RETRY_MAX_MS = 30_000;

export async function startLeadNode(client: Client, requestId: string, claim: AcceptedClaim, stopped: () => boolean): Promise<boolean> {
  const lead = claim.slots.find((s) => !s.reused);
  if (!lead) throw new Error(`request ${requestId}: nothing to launch, no lead node`);
  const workflowId = workflowIds.node(lead.nodeId);
  const logger = log('admission');
  for (let attempt = 1; !stopped(); attempt++) {
    try {
      await client.workflow.start<typeof nodeWorkflow>('nodeWorkflow', {
        workflowId,
        taskQueue: LAUNCHER_QUEUE,
        args: [{ nodeId: lead.nodeId, mode: 'launch', provider: claim.pool.provider, label: lead.label, requestId, carry: claim }],
        workflowIdConflictPolicy: 'FAIL',
        requestEagerStart: true,
        memo: { claim: claim.lockToken },
        typedSearchAttributes: nodeSearchAttributes({ nodeId: lead.nodeId, provider: claim.pool.provider, label: lead.label, requestId, state: 'building' }),
      });
      return true;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        // a fresh node id: only our own earlier, ambiguous start can have made it
        const d = await client.workflow.getHandle(workflowId).describe().catch(() => null);
        if (d?.memo?.claim === claim.lockToken) return true;
        if (d) {
          logger.error({ requestId, workflowId }, 'a node workflow of a fresh node is not ours; leaving the request to lost-request cleanup');
          return false;
        }
      }
      const delay = Math.min(RETRY_MAX_MS, 500 * 2 ** Math.min(attempt, 6));
      logger.warn({ requestId, err, retryInMs: delay }, 'could not start the lead node workflow; retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  return false;
}
