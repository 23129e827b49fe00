// Signals and queries of the launcher's workflows, shared by the workflows, the ZooKeeper
// watchers that feed them and the CLI that steers them.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { NodeEndState, NodeStateEvent } from '../activities/launcher/api';

/** From a lock-holding activity to its workflow: the lock is held (again). */
export const lockEventSignal = defineSignal<[{ token: string; state: 'acquired' }]>('lockEvent');
/** Asked by a lock holder retried after a crash: does the workflow still want this lock? */
export const lockWantedQuery = defineQuery<boolean, [string]>('lockWanted');

// the lead node workflow, which carries a request (workflows/lib/request-carrier.ts)
/** The request znode was deleted (Zuul withdrew it); sent to the nodes allocated to it. */
export const requestWithdrawnSignal = defineSignal('requestWithdrawn');
/** From a node workflow to the lead node workflow that started it. */
export const nodeLaunchedSignal = defineSignal<[{ nodeId: string; state: NodeEndState; lockToken: string | null }]>('nodeLaunched');

// node workflow
/** From the lead node workflow: stop holding the node (its request was fulfilled, declined or withdrawn). */
/** `unlocked`: the lead's fulfilment has deleted the node's lock contender already. */
export const releaseNodeSignal = defineSignal<[{ deallocate: boolean; unlocked?: boolean }]>('releaseNode');
/** From the node watcher: the znode changed (state set by Zuul, or gone). */
export const nodeStateSignal = defineSignal<[NodeStateEvent]>('nodeState');
/** From the CLI (`nodepool delete`), wedge prevention or cleanup. */
export const deleteNodeSignal = defineSignal<[{ reason: string }]>('deleteNode');

export interface NodeWorkflowStatus {
  nodeId: string;
  phase: string;
  state: string | null;
  attempts: number;
  serverId: string | null;
  /** The request this node's workflow carries (the lead node of an accepted request). */
  request?: RequestStatus | null;
}
export const nodeStatusQuery = defineQuery<NodeWorkflowStatus>('status');

export interface RequestStatus {
  requestId: string;
  phase: string;
  pool: string | null;
  /** fulfilled / failed / declined / withdrawn / returned, once carried to its end. */
  outcome: string | null;
  nodes: Array<{ label: string; nodeId: string | null; state: string | null }>;
}

// pool workflow (the queue as admission sees it, for the Web UI)
export interface PoolQueueStatus {
  /** The launcher's hostname. */
  launcher: string;
  /** Its pool id (what goes into declined_by). */
  poolId: string;
  /** At quota: takes no more requests until nodes are freed (the pool component's `paused`). */
  paused: boolean;
  /** Requests this pool would take once it has room, or that wait for another reason. */
  waiting: number;
  /** Why they wait, with how many. */
  reasons: Record<string, number>;
  /** The next request ids in line, in Nodepool's order. */
  next: string[];
  /** Node znodes of the pool (any state) and max-servers (null: unlimited). */
  nodes: number;
  maxServers: number | null;
  /** Epoch ms of this report. */
  updatedAt: number;
}
export const poolQueueSignal = defineSignal<[PoolQueueStatus]>('poolQueue');
export const poolStatusQuery = defineQuery<{ provider: string; pool: string; launchers: Record<string, PoolQueueStatus> }>('status');

export const workflowIds = {
  node: (nodeId: string): string => `node/${nodeId}`,
  minReady: (): string => 'min-ready',
  pool: (provider: string, pool: string): string => `pool/${provider}/${pool}`,
};
