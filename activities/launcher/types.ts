// The activity interfaces the launcher's workflows are written against. The implementations
// (activities/launcher/*.ts, activities/cloud) are built from the worker's dependencies.
import type {
  DeclineInput,
  DeclineResult,
  FulfilInput,
  FulfilResult,
  HeldNode,
  HoldLockInput,
  HoldLockResult,
  NodeStateEvent,
  ReleaseLockInput,
  ServerInfo,
} from './api';
import type { BeginLaunchResult } from './begin-launch';
import type { BeginDeleteResult } from './begin-delete';
import type { MinReadyPassResult } from './min-ready';

export interface LockActivities {
  holdLock(input: HoldLockInput): Promise<HoldLockResult>;
}

/** What createServer needs; the worker resolves flavor, networks, userdata... from its config. */
export interface CreateServerInput {
  provider: string;
  pool: string;
  label: string;
  nodeId: string;
  serverName: string;
  az: string | null;
  /** Cloud image id of the newest ready upload, or null for a cloud-image label. */
  imageExternalId: string | null;
  /** Diskimage name for the nodepool_image_name metadata, or the cloud-image name. */
  imageName: string;
  requestId: string | null;
  tenantName: string | null;
}

/**
 * What the launcher's workflows call as local activities. startLaunch is a step inside
 * beginLaunch (see index.ts), not called by workflows on its own.
 */
export interface LauncherActivities {
  /** Non-blocking acquire in this worker's session; the contender (token as data) stays. */
  tryLock(input: ReleaseLockInput): Promise<boolean>;
  releaseLock(input: ReleaseLockInput): Promise<void>;

  // requests (accepted by admission: workers/launcher/admission)
  declineRequest(input: DeclineInput): Promise<DeclineResult>;
  fulfilRequest(input: FulfilInput): Promise<FulfilResult>;
  /** The request znode is gone: clear allocations, unlock nodes and the request. */
  abandonRequest(input: { requestId: string; nodes: HeldNode[]; requestLock: ReleaseLockInput }): Promise<void>;
  /** Back to `requested` (nodes freed, then unlocked): admission takes it again in order. */
  returnRequest(input: { requestId: string; reason: string; nodes: HeldNode[]; requestLock: ReleaseLockInput }): Promise<void>;

  // nodes
  readNodeEvent(input: { nodeId: string }): Promise<NodeStateEvent>;
  /** Lock (when given and free), `building`, plan and first attempt, in one call (begin-launch.ts). */
  beginLaunch(input: { nodeId: string; lock: ReleaseLockInput | null }): Promise<BeginLaunchResult>;
  /** Resolves image and node fields for one attempt and stores them on the node. */
  prepareAttempt(input: { nodeId: string; attempt: number }): Promise<CreateServerInput>;
  keyscan(input: { nodeId: string; host: string; port: number; timeoutMs: number; connectionType: string }): Promise<string[]>;
  /** READY with its host keys; also sends the launch's `ready` stats. */
  markReady(input: { nodeId: string; hostKeys: string[]; durationMs: number; lock: ReleaseLockInput; takeBack?: boolean }): Promise<boolean>;
  setNodeState(input: { nodeId: string; state: string }): Promise<boolean>;
  deallocateNode(input: { nodeId: string; lock?: ReleaseLockInput }): Promise<void>;
  /** Lock (when free; kept by this session), `deleting`, and what to delete, in one call (begin-delete.ts). */
  beginDelete(input: { nodeId: string; lock: ReleaseLockInput }): Promise<BeginDeleteResult>;
  /**
   * Sets `deleting` and says what to delete in the cloud (provider null: nothing, e.g. a static
   * node or one whose provider is gone); null when the znode is gone.
   */
  prepareDelete(input: { nodeId: string }): Promise<{ provider: string | null; serverId: string | null } | null>;
  /** `deleted`, then the recursive znode delete (which also drops our lock). */
  removeNode(input: { nodeId: string }): Promise<void>;
  /** max-ready-age and hold limits for this node from the current config (0 = none). */
  nodeTimers(input: { nodeId: string }): Promise<{ maxReadyAgeMs: number; holdLimitMs: number; stateTime: number | null }>;
  reportLaunch(input: { nodeId: string; result: string; durationMs: number; requestor: string | null }): Promise<void>;

  // min-ready
  minReadyPass(input: { skip?: string[] }): Promise<MinReadyPassResult>;
}

export interface LaunchServerInput extends CreateServerInput {
  /** launch-timeout: how long the server may take to become ACTIVE. */
  timeoutMs: number;
}

export interface CloudActivities {
  /** Create (or find), record the id on the node, wait for ACTIVE, record the addresses. */
  launchServer(input: LaunchServerInput): Promise<ServerInfo>;
  /** Deletes and waits until the server is gone; a missing server is success. */
  deleteServer(input: { provider: string; serverId: string | null; serverName: string }): Promise<void>;
}
