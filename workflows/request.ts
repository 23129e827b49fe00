// request/<id>: one node request, served the way a Nodepool pool worker serves it. Decide per
// pool (accept / decline / defer); under the request lock, set `pending`, reuse READY nodes or
// start node workflows, pause at quota, and finally fulfil (nodes in requested order, unlocked
// before the request is written) or decline. Reacts to Zuul withdrawing the request.
import {
  condition,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { HeldNode, NodeEndState, PoolRef } from '../activities/launcher/api';
import type { FillSlotResult } from '../activities/launcher/fill-slot';
import { NodepoolProvider, NodepoolRequestId, NodepoolState, NodepoolLabel } from '../lib/temporal/search-attributes';
import { HeldLock, newLockToken } from './lib/held-lock';
import { LAUNCHER_QUEUE, zkActivities } from './lib/activities';
import { failureMessage } from './lib/failures';
import {
  deleteNodeSignal,
  nodeLaunchedSignal,
  releaseNodeSignal,
  requestChangedSignal,
  requestStatusQuery,
  requestWithdrawnSignal,
  workflowIds,
  type RequestWorkflowStatus,
} from './messages';
import { nodeWorkflow } from './node';

export interface RequestWorkflowInput {
  requestId: string;
}

export type RequestOutcome = 'fulfilled' | 'failed' | 'declined' | 'withdrawn' | 'not-ours';

/** While paused at quota, how often to look again even without news. */
const PAUSED_RECHECK = '5 seconds';

interface Slot {
  label: string;
  nodeId: string | null;
  /** 'reused': we hold its lock; 'launching'/'ready': its node workflow holds it. */
  kind: 'reused' | 'launching' | 'ready' | null;
  lock: HeldLock | null;
  lockToken: string | null;
}

export async function requestWorkflow(input: RequestWorkflowInput): Promise<RequestOutcome> {
  const { requestId } = input;
  const status: RequestWorkflowStatus = { requestId, phase: 'evaluating', pool: null, nodes: [] };
  let withdrawn = false;
  let changed = 0;
  const launched = new Map<string, { state: NodeEndState; lockToken: string | null }>();

  setHandler(requestWithdrawnSignal, () => {
    withdrawn = true;
  });
  setHandler(requestChangedSignal, () => {
    changed++;
  });
  setHandler(nodeLaunchedSignal, ({ nodeId, state, lockToken }) => {
    launched.set(nodeId, { state, lockToken });
    changed++;
  });
  setHandler(requestStatusQuery, () => status);
  upsertSearchAttributes([
    { key: NodepoolRequestId, value: requestId },
    { key: NodepoolState, value: 'requested' },
  ]);
  const setPhase = (phase: string, state?: string) => {
    status.phase = phase;
    if (state) upsertSearchAttributes([{ key: NodepoolState, value: state }]);
  };

  // ---- evaluate until we decline, accept, or it is not ours ---------------------------------
  // takeRequest evaluates, and when a pool of ours acts, locks and accepts or declines at once.
  for (;;) {
    if (withdrawn) return 'withdrawn';
    const lock = new HeldLock(`/nodepool/requests-lock/${requestId}`, { blocking: false });
    const taken = await zkActivities.takeRequest({ requestId, lock: lock.ref });
    switch (taken.kind) {
      case 'gone':
        return 'withdrawn';
      case 'done':
        log.info('request not ours to handle', { requestId, why: taken.why });
        return 'not-ours';
      case 'defer': {
        setPhase(`deferred: ${taken.why}`);
        const seen = changed;
        await condition(() => withdrawn || changed !== seen, taken.retryMs);
        continue;
      }
      case 'busy':
        // another launcher (or Zuul revising priority) holds it: look again shortly
        await sleep('1 second');
        continue;
      case 'changed':
        log.info('request changed before accept', { requestId, why: taken.why });
        continue;
      case 'declined':
        setPhase(`declined (${taken.result}): ${taken.reason}`, taken.result === 'failed' ? 'failed' : 'requested');
        // still `requested`: another pool of ours may take it, or evaluation says it is done
        if (taken.result === 'requested') continue;
        return taken.result === 'failed' ? 'failed' : 'withdrawn';
      case 'accepted':
        lock.adoptTaken();
        upsertSearchAttributes([
          { key: NodepoolProvider, value: taken.pool.provider },
          { key: NodepoolLabel, value: taken.request.nodeTypes[0] ?? '' },
        ]);
        status.pool = `${taken.pool.provider}-${taken.pool.pool}`;
        return serve(taken.pool, taken.request, lock);
    }
  }

  // ---- accepted: fill the node set, pause at quota, fulfil or decline ------------------------
  async function serve(
    pool: PoolRef,
    req: { nodeTypes: string[]; reuse: boolean; requestor: string | null; tenantName: string | null; minReady: boolean },
    requestLock: HeldLock,
  ): Promise<RequestOutcome> {
    setPhase('pending', 'pending');
    const slots: Slot[] = req.nodeTypes.map((label) => ({ label, nodeId: null, kind: null, lock: null, lockToken: null }));
    status.nodes = slots.map((s) => ({ label: s.label, nodeId: null, state: null }));
    let az: string | null = null;
    let paused = false;
    const triedReuse = new Set<string>();

    /** Reused nodes whose locks we hold (launched nodes' locks are their workflows'). */
    const heldReused = (): HeldNode[] =>
      slots.filter((s) => s.kind === 'reused' && s.lock?.held).map((s) => ({ nodeId: s.nodeId as string, lock: (s.lock as HeldLock).ref }));
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
    const lockRef = (s: Slot) => ({ lockPath: `/nodepool/nodes/${s.nodeId}/lock`, token: s.lockToken ?? '' });
    const refreshStatus = () => {
      status.nodes = slots.map((s) => ({ label: s.label, nodeId: s.nodeId, state: s.kind }));
    };

    async function signalNode(nodeId: string, deallocate: boolean): Promise<void> {
      try {
        await getExternalWorkflowHandle(workflowIds.node(nodeId)).signal(releaseNodeSignal, { deallocate });
      } catch (err) {
        log.warn('node workflow not reachable', { nodeId, error: failureMessage(err) });
      }
    }

    async function setPaused(p: boolean): Promise<void> {
      if (p === paused) return;
      paused = p;
      await zkActivities.setPoolPaused({ pool, requestId, paused: p });
    }

    for (;;) {
      if (withdrawn || !requestLock.held) {
        // Zuul gave up (or our lock is gone): nodes stay READY for others; launches go on.
        setPhase('withdrawn');
        await setPaused(false);
        letGo();
        await zkActivities.abandonRequest({ requestId, nodes: heldReused(), requestLock: requestLock.ref });
        for (const s of slots) if (s.nodeId && s.kind !== 'reused') await signalNode(s.nodeId, true);
        await settleLocks();
        return 'withdrawn';
      }

      // 1. fill empty slots: reuse first (unless min-ready), else launch within quota
      let atQuota = false;
      for (const slot of slots) {
        if (slot.nodeId) continue;
        const lockToken = newLockToken();
        const claim: FillSlotResult = await zkActivities.fillSlot({
          requestId,
          pool,
          label: slot.label,
          az,
          tenantName: req.tenantName,
          requestor: req.requestor,
          minReady: req.minReady,
          reuse: req.reuse,
          lockToken,
          exclude: [...triedReuse],
        });
        if (claim.kind === 'reused') {
          // fillSlot locked and allocated a READY node with our token: hold that lock from here
          for (const id of claim.tried) triedReuse.add(id);
          const nodeLock = new HeldLock(claim.lock.lockPath, { blocking: false }, lockToken);
          nodeLock.adoptTaken();
          az ??= claim.az;
          Object.assign(slot, { nodeId: claim.nodeId, kind: 'reused', lock: nodeLock });
          continue;
        }
        if (claim.kind === 'decline') {
          return decline(claim.why);
        }
        if (claim.kind === 'paused') {
          atQuota = true;
          setPhase(`paused: ${claim.why}`);
          if (claim.wedgeNodeId) {
            // wedge prevention: free the pool by deleting its oldest unused READY node
            try {
              await getExternalWorkflowHandle(workflowIds.node(claim.wedgeNodeId)).signal(deleteNodeSignal, { reason: 'oldest unused node at quota' });
            } catch (err) {
              log.warn('could not ask node to delete itself', { nodeId: claim.wedgeNodeId, error: failureMessage(err) });
            }
          }
          break;
        }
        const created = claim;
        az ??= created.az;
        Object.assign(slot, { nodeId: created.nodeId, kind: 'launching' });
        await startChild(nodeWorkflow, {
          workflowId: workflowIds.node(created.nodeId),
          taskQueue: LAUNCHER_QUEUE,
          args: [{ nodeId: created.nodeId, mode: 'launch', provider: pool.provider, label: slot.label, requestId, parentWorkflowId: workflowIds.request(requestId) }],
          // the node outlives its request
          parentClosePolicy: ParentClosePolicy.ABANDON,
        });
      }
      refreshStatus();
      await setPaused(atQuota);

      // 2. wait for launches to end (or for a reason to look again while paused)
      const launching = () => slots.filter((s) => s.kind === 'launching');
      const seen = changed;
      if (atQuota) {
        setPhase('paused at quota');
        await condition(() => withdrawn || changed !== seen, PAUSED_RECHECK);
      } else {
        setPhase('waiting for launches');
        await condition(() => withdrawn || !requestLock.held || launching().every((s) => launched.has(s.nodeId as string)));
      }
      if (withdrawn || !requestLock.held) continue;

      // 3. take in finished launches (a node we do not know of was claimed by a try of ours
      //    that a crash cut short: it is not part of the request, let it go free)
      for (const nodeId of launched.keys()) {
        if (slots.some((s) => s.nodeId === nodeId)) continue;
        launched.delete(nodeId);
        await signalNode(nodeId, true);
      }
      let failed = false;
      for (const slot of launching()) {
        const end = launched.get(slot.nodeId as string);
        if (!end) continue;
        if (end.state === 'ready') {
          slot.kind = 'ready';
          slot.lockToken = end.lockToken;
        } else if (end.state === 'aborted') {
          // quota abort: the node deletes itself; launch a replacement (after a pause if needed)
          launched.delete(slot.nodeId as string);
          Object.assign(slot, { nodeId: null, kind: null, lockToken: null });
        } else {
          failed = true;
        }
      }
      refreshStatus();
      if (failed) return decline('a node launch failed');
      if (slots.every((s) => s.kind === 'ready' || s.kind === 'reused')) return fulfil();
    }

    async function fulfil(): Promise<RequestOutcome> {
      setPhase('fulfilling');
      await setPaused(false);
      const nodeIds = slots.map((s) => s.nodeId as string);
      const nodeLocks = slots.map((s) => (s.kind === 'reused' ? (s.lock as HeldLock).ref : lockRef(s)));
      letGo();
      const r = await zkActivities.fulfilRequest({ requestId, nodeIds, nodeLocks, requestLock: requestLock.ref });
      // our contenders are deleted: tell the node workflows, let the holders finish
      for (const s of slots) if (s.kind === 'ready') await signalNode(s.nodeId as string, r === 'gone');
      await settleLocks();
      setPhase(r, r === 'fulfilled' ? 'fulfilled' : undefined);
      return r === 'fulfilled' ? 'fulfilled' : 'withdrawn';
    }

    async function decline(reason: string): Promise<RequestOutcome> {
      setPhase(`declining: ${reason}`);
      await setPaused(false);
      const reused = heldReused();
      letGo();
      const r = await zkActivities.declineRequest({ requestId, pools: [pool], reason, nodes: reused, requestLock: requestLock.ref });
      // launched nodes go free (READY ones can be reused; failed ones delete themselves)
      for (const s of slots) if (s.nodeId && s.kind !== 'reused') await signalNode(s.nodeId, true);
      await settleLocks();
      setPhase(`declined (${r})`, r === 'failed' ? 'failed' : 'requested');
      return r === 'failed' ? 'failed' : r === 'gone' ? 'withdrawn' : 'declined';
    }
  }
}
