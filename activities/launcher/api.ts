// The contract between the launcher's workflows and its activities: plain, JSON-safe types
// only (they are recorded in Temporal history and shown in the Web UI), never credentials.
// Workflows import this file with `import type` only.

/** A pool of ours as the rest of the world sees it (its id goes into declined_by). */
export interface PoolRef {
  /** NP24 launcher id: <fqdn>-PoolWorker.<provider>-<pool>-<uuid hex>. */
  id: string;
  provider: string;
  pool: string;
}

// ---- locks --------------------------------------------------------------------------------

export interface HoldLockInput {
  /** Lock parent, e.g. /nodepool/requests-lock/100-0000000001. */
  lockPath: string;
  /** Written as the contender's data, so a retried holder (or a release) can find our contender. */
  token: string;
  blocking: boolean;
  /** Blocking only. */
  timeoutMs?: number;
  /** The workflow to tell once the lock is held ('lockEvent' signal). */
  workflowId: string;
  /**
   * The workflow already holds the lock (tryLock made our contender): hold that contender
   * instead of acquiring, and send no signal.
   */
  adopt?: boolean;
}

export type HoldLockResult =
  /** Non-blocking and someone else holds it, or the blocking wait timed out. */
  | { kind: 'unavailable' }
  /** Our contender was deleted on purpose (release, fulfilment, znode removal). */
  | { kind: 'released' }
  /** The lock went away and could not be taken back (someone else holds it now). */
  | { kind: 'lost' };

export interface ReleaseLockInput {
  lockPath: string;
  token: string;
}

// ---- requests -----------------------------------------------------------------------------

export interface AcceptedRequest {
  nodeTypes: string[];
  reuse: boolean;
  requestor: string | null;
  tenantName: string | null;
  /** requestor == NodePool:min-ready: decline at capacity instead of pausing. */
  minReady: boolean;
}

/** One node of an accepted request, as admission claimed it. */
export interface ClaimedSlot {
  label: string;
  nodeId: string;
  /** true: a READY node handed over, locked with lockToken; false: an `init` node to launch. */
  reused: boolean;
  lockToken: string | null;
}

/** What admission hands a request workflow: the request, accepted and its nodes claimed. */
export interface AcceptedClaim {
  pool: PoolRef;
  request: AcceptedRequest;
  /** The request lock admission took (contender data = this token); the workflow holds it. */
  lockToken: string;
  /** In node_types order. */
  slots: ClaimedSlot[];
}

export interface DeclineInput {
  requestId: string;
  pools: PoolRef[];
  reason: string;
  /** Nodes held for the request: allocation cleared, locks released (by token). */
  nodes: HeldNode[];
  requestLock: ReleaseLockInput;
}

export interface HeldNode {
  nodeId: string;
  lock: ReleaseLockInput;
}

export type DeclineResult = 'requested' | 'failed' | 'gone';

export interface FulfilInput {
  requestId: string;
  /** Node ids in node_types order. */
  nodeIds: string[];
  /** Released first (Nodepool's write order: unlock nodes, then write the request). */
  nodeLocks: ReleaseLockInput[];
  requestLock: ReleaseLockInput;
}

/** lost: our request lock is gone (a lost session); someone else may own the request now. */
export type FulfilResult = 'fulfilled' | 'gone' | 'lost';

// ---- nodes --------------------------------------------------------------------------------

/** Everything a launch needs, resolved from the config on the worker side (no secrets). */
export interface LaunchPlan {
  nodeId: string;
  provider: string;
  pool: string;
  label: string;
  serverName: string;
  launchRetries: number;
  launchTimeoutMs: number;
  bootTimeoutMs: number;
  hostKeyChecking: boolean;
  connectionType: string;
  connectionPort: number;
  consoleLog: boolean;
}

export interface ServerInfo {
  id: string;
  status: string;
  interfaceIp: string | null;
  publicIpv4: string | null;
  publicIpv6: string | null;
  privateIpv4: string | null;
  hostId: string | null;
  az: string | null;
  faultMessage: string | null;
}

/** How a launch step failed, as the node workflow needs to know it. */
export type LaunchErrorKind = 'quota' | 'retryable' | 'fatal';

export type NodeEndState = 'ready' | 'failed' | 'aborted';

/** What the node watcher reports to a node workflow. */
export interface NodeStateEvent {
  exists: boolean;
  state: string | null;
  allocatedTo: string | null;
  stateTime: number | null;
}
