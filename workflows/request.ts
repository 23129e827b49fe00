// request/<id>: one node request a pool of ours has accepted. Admission (workers/launcher/
// admission) took the request in Nodepool's order once the pool could serve it whole, and in
// one ZooKeeper write set it `pending`, allocated the READY nodes it reuses and created the
// `init` nodes to launch. This workflow holds the request lock and the reused nodes' locks,
// starts a node workflow per launch, and fulfils (nodes in requested order, unlocked before the
// request is written), declines (a launch failed), hands the request back to the queue (a
// launch hit the cloud's quota) or lets go (Zuul withdrew it). A request never waits for
// capacity here: waiting requests stay in ZooKeeper and cost nothing.
import {
  condition,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  setHandler,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { AcceptedClaim, HeldNode, NodeEndState } from '../activities/launcher/api';
import { NodepoolProvider, NodepoolRequestId, NodepoolState, NodepoolLabel } from '../lib/temporal/search-attributes';
import { HeldLock } from './lib/held-lock';
import { LAUNCHER_QUEUE, zkActivities } from './lib/activities';
import { failureMessage } from './lib/failures';
import {
  nodeLaunchedSignal,
  releaseNodeSignal,
  requestStatusQuery,
  requestWithdrawnSignal,
  workflowIds,
  type RequestWorkflowStatus,
} from './messages';
import { nodeWorkflow } from './node';

export interface RequestWorkflowInput extends AcceptedClaim {
  requestId: string;
}

/** returned: handed back to the queue (`requested`) after a launch hit the cloud's quota. */
export type RequestOutcome = 'fulfilled' | 'failed' | 'declined' | 'withdrawn' | 'returned';

interface Slot {
  label: string;
  nodeId: string;
  /** 'reused': we hold its lock; 'launching'/'ready': its node workflow holds it. */
  kind: 'reused' | 'launching' | 'ready';
  lock: HeldLock | null;
  lockToken: string | null;
}

const requestLockPath = (id: string) => `/nodepool/requests-lock/${id}`;
const nodeLockPath = (id: string) => `/nodepool/nodes/${id}/lock`;

export async function requestWorkflow(input: RequestWorkflowInput): Promise<RequestOutcome> {
  const { requestId, pool } = input;
  const status: RequestWorkflowStatus = { requestId, phase: 'pending', pool: `${pool.provider}-${pool.pool}`, nodes: [] };
  let withdrawn = false;
  const launched = new Map<string, { state: NodeEndState; lockToken: string | null }>();

  setHandler(requestWithdrawnSignal, () => {
    withdrawn = true;
  });
  setHandler(nodeLaunchedSignal, ({ nodeId, state, lockToken }) => {
    launched.set(nodeId, { state, lockToken });
  });
  setHandler(requestStatusQuery, () => status);
  upsertSearchAttributes([
    { key: NodepoolRequestId, value: requestId },
    { key: NodepoolState, value: 'pending' },
    { key: NodepoolProvider, value: pool.provider },
    { key: NodepoolLabel, value: input.request.nodeTypes[0] ?? '' },
  ]);
  const setPhase = (phase: string, state?: string) => {
    status.phase = phase;
    if (state) upsertSearchAttributes([{ key: NodepoolState, value: state }]);
  };

  // Admission took these locks in its ZooKeeper session; holders keep them from here on.
  const requestLock = new HeldLock(requestLockPath(requestId), { blocking: false }, input.lockToken);
  requestLock.adoptTaken();
  const slots: Slot[] = input.slots.map((c) => {
    if (!c.reused) return { label: c.label, nodeId: c.nodeId, kind: 'launching', lock: null, lockToken: null };
    const lock = new HeldLock(nodeLockPath(c.nodeId), { blocking: false }, c.lockToken ?? undefined);
    lock.adoptTaken();
    return { label: c.label, nodeId: c.nodeId, kind: 'reused', lock, lockToken: c.lockToken };
  });
  const refreshStatus = () => {
    status.nodes = slots.map((s) => ({ label: s.label, nodeId: s.nodeId, state: s.kind }));
  };
  refreshStatus();

  /** Reused nodes whose locks we hold (launched nodes' locks are their workflows'). */
  const heldReused = (): HeldNode[] => slots.filter((s) => s.kind === 'reused' && s.lock?.held).map((s) => ({ nodeId: s.nodeId, lock: (s.lock as HeldLock).ref }));
  /** Before an activity deletes our contenders: the holders must not take them back. */
  const letGo = () => {
    requestLock.markReleasing();
    for (const s of slots) if (s.kind === 'reused') s.lock?.markReleasing();
  };
  /** After that activity: wait for our holders to finish. */
  const settleLocks = async () => {
    for (const s of slots) if (s.kind === 'reused') await s.lock?.settle();
    await requestLock.settle();
  };
  const lockRef = (s: Slot) => ({ lockPath: nodeLockPath(s.nodeId), token: s.lockToken ?? '' });

  async function signalNode(nodeId: string, deallocate: boolean): Promise<void> {
    try {
      await getExternalWorkflowHandle(workflowIds.node(nodeId)).signal(releaseNodeSignal, { deallocate });
    } catch (err) {
      log.warn('node workflow not reachable', { nodeId, error: failureMessage(err) });
    }
  }
  /** Launched nodes (READY or not) go free: READY ones can be reused, failed ones delete themselves. */
  const freeLaunched = async () => {
    for (const s of slots) if (s.kind !== 'reused') await signalNode(s.nodeId, true);
  };

  // ---- launch what admission claimed; the node outlives its request ------------------------
  await Promise.all(
    slots
      .filter((s) => s.kind === 'launching')
      .map((s) =>
        startChild(nodeWorkflow, {
          workflowId: workflowIds.node(s.nodeId),
          taskQueue: LAUNCHER_QUEUE,
          args: [{ nodeId: s.nodeId, mode: 'launch', provider: pool.provider, label: s.label, requestId, parentWorkflowId: workflowIds.request(requestId) }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
        }),
      ),
  );

  // ---- wait for every launch to end ---------------------------------------------------------
  const launching = () => slots.filter((s) => s.kind === 'launching');
  setPhase('waiting for launches');
  await condition(() => withdrawn || !requestLock.held || launching().every((s) => launched.has(s.nodeId)));

  if (withdrawn || !requestLock.held) {
    // Zuul gave up (or our lock is gone): nodes stay READY for others; launches go on.
    setPhase('withdrawn');
    letGo();
    await zkActivities.abandonRequest({ requestId, nodes: heldReused(), requestLock: requestLock.ref });
    await freeLaunched();
    await settleLocks();
    return 'withdrawn';
  }

  let failed = false;
  let aborted = false;
  for (const slot of launching()) {
    const end = launched.get(slot.nodeId);
    if (end?.state === 'ready') {
      slot.kind = 'ready';
      slot.lockToken = end.lockToken;
    } else if (end?.state === 'aborted') {
      aborted = true;
    } else {
      failed = true;
    }
  }
  refreshStatus();
  if (failed) return decline('a node launch failed');
  if (aborted) return handBack('a launch hit the cloud quota');
  return fulfil();

  async function fulfil(): Promise<RequestOutcome> {
    setPhase('fulfilling');
    const nodeIds = slots.map((s) => s.nodeId);
    const nodeLocks = slots.map((s) => (s.kind === 'reused' ? (s.lock as HeldLock).ref : lockRef(s)));
    letGo();
    const r = await zkActivities.fulfilRequest({ requestId, nodeIds, nodeLocks, requestLock: requestLock.ref });
    // our contenders are deleted: tell the node workflows, let the holders finish
    for (const s of slots) if (s.kind === 'ready') await signalNode(s.nodeId, r === 'gone');
    await settleLocks();
    setPhase(r, r === 'fulfilled' ? 'fulfilled' : undefined);
    return r === 'fulfilled' ? 'fulfilled' : 'withdrawn';
  }

  async function decline(reason: string): Promise<RequestOutcome> {
    setPhase(`declining: ${reason}`);
    const reused = heldReused();
    letGo();
    const r = await zkActivities.declineRequest({ requestId, pools: [pool], reason, nodes: reused, requestLock: requestLock.ref });
    await freeLaunched();
    await settleLocks();
    setPhase(`declined (${r})`, r === 'failed' ? 'failed' : 'requested');
    return r === 'failed' ? 'failed' : r === 'gone' ? 'withdrawn' : 'declined';
  }

  /**
   * Nodepool would pause and launch a replacement; here the request goes back to the queue
   * (`requested`, nodes freed) and admission takes it again, in order, when the pool has room.
   */
  async function handBack(reason: string): Promise<RequestOutcome> {
    setPhase(`handing back: ${reason}`);
    const reused = heldReused();
    letGo();
    await zkActivities.returnRequest({ requestId, reason, nodes: reused, requestLock: requestLock.ref });
    await freeLaunched();
    await settleLocks();
    setPhase('returned to the queue', 'requested');
    return 'returned';
  }
}
