// ZooKeeper nodes of this provider that nothing is looking after:
// - a node with no running node/<id> workflow is handed to one (signalWithStart, "adopt"
//   mode): deletable states (used, failed, aborted, deleting, deleted, unlocked building, and
//   init nodes nobody launched for 10 minutes) get
//   deleted, held and READY nodes get their hold / max-ready-age timers back;
// - a READY node allocated to a request that is gone, and not locked, is deallocated
//   (Nodepool's DeletedNodeWorker, test_node_deallocation);
// - for a provider removed from the config, node workflows are told of state changes (the
//   ZooKeeper watcher only follows configured providers), so used nodes still go away and the
//   provider drains (Nodepool bug A9: its nodes were never processed).
import { type Client } from '@temporalio/client';
import { type Node } from '../../lib/model';
import { type ZkSession } from '../../lib/zk/session';
import { isLocked } from '../../lib/zk/lock';
import { nodeLockPath, requestPath } from '../../lib/zk/paths';
import { deallocateNode } from '../../lib/zk/operations/nodes';
import type { NodeStateEvent } from '../launcher/api';
import { nodeStateSignal, workflowIds } from '../../workflows/messages';
import { LAUNCHER_QUEUE } from '../../workflows/lib/activities';
import type { nodeWorkflow } from '../../workflows';
import { nodeSearchAttributes } from '../../lib/temporal/search-attributes';
import { type CleanupAction, type CleanupTaskReport } from './types';
import { isRunning } from './workflows';

/** A building node's launch may not have taken its lock yet; Nodepool's launcher would hold it. */
const BUILDING_GRACE_S = 120;
/**
 * An `init` node is a request's claim whose node workflow has not started yet (milliseconds
 * normally). One this old with no workflow was claimed by a try that a crash cut short (the
 * retried claim made another node): nobody will launch it. Nodepool's lost-request cleanup
 * deletes such nodes too.
 */
const INIT_GRACE_S = 600;
const ADOPTABLE = new Set(['ready', 'hold', 'used', 'failed', 'aborted', 'deleting', 'deleted', 'in-use', 'building', 'init']);

export interface StuckNodesInput {
  zk: ZkSession;
  client: Client;
  provider: string;
  configured: boolean;
  nodes: Node[];
  /** Removed provider only: node id → state last passed on. */
  drainStates: Record<string, string>;
  nowS: number;
  log: (action: CleanupAction) => void;
}

const event = (n: Node): NodeStateEvent => ({ exists: true, state: n.state, allocatedTo: n.allocated_to, stateTime: n.state_time });

async function adopt(client: Client, n: Node): Promise<void> {
  await client.workflow.signalWithStart<typeof nodeWorkflow, [NodeStateEvent]>('nodeWorkflow', {
    workflowId: workflowIds.node(n.id),
    taskQueue: LAUNCHER_QUEUE,
    args: [{ nodeId: n.id, mode: 'adopt', provider: n.provider ?? undefined, label: n.type[0] }],
    signal: nodeStateSignal,
    signalArgs: [event(n)],
    typedSearchAttributes: nodeSearchAttributes({ nodeId: n.id, provider: n.provider, label: n.type[0], state: n.state }),
  });
}

export async function stuckNodes(input: StuckNodesInput): Promise<{ report: CleanupTaskReport; drainStates: Record<string, string> }> {
  const done: CleanupAction[] = [];
  const drainStates: Record<string, string> = {};
  let found = 0;
  const errors: string[] = [];
  for (const n of input.nodes) {
    try {
      if (n.state === 'ready' && n.allocated_to && !(await input.zk.exists(requestPath(n.allocated_to)))) {
        // a lead node still carrying that request holds the node's lock, so deallocate skips it
        if (await deallocateNode(input.zk, n.id, { keep: async (requestId) => (await input.zk.exists(requestPath(requestId))) !== null })) {
          const action = { kind: 'deallocate', id: n.id, reason: `allocated to request ${n.allocated_to}, which no longer exists` };
          input.log(action);
          done.push(action);
        }
      }
      if (!ADOPTABLE.has(n.state)) continue;
      const running = await isRunning(input.client, workflowIds.node(n.id));
      if (running && input.configured) continue;
      if (running) {
        // removed provider: the watcher no longer passes state changes on
        drainStates[n.id] = n.state;
        if (input.drainStates[n.id] === n.state) continue;
        await adopt(input.client, n);
        continue;
      }
      const grace = n.state === 'building' ? BUILDING_GRACE_S : n.state === 'init' ? INIT_GRACE_S : null;
      if (grace !== null && (input.nowS - n.state_time < grace || (await isLocked(input.zk, nodeLockPath(n.id))))) continue;
      found++;
      await adopt(input.client, n);
      drainStates[n.id] = n.state;
      const action = { kind: 'adopt', id: n.id, reason: `${n.state} node with no running workflow` };
      input.log(action);
      done.push(action);
    } catch (err) {
      errors.push(`node ${n.id}: ${(err as Error).message}`);
    }
  }
  const report: CleanupTaskReport = { ok: errors.length === 0, found, done };
  if (errors.length) report.error = errors.slice(0, 5).join('; ');
  return { report, drainStates: input.configured ? {} : drainStates };
}
