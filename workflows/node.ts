// node/<id>: one node's whole life. Launch attempts (create → ACTIVE → host-key scan → ready),
// delete-before-retry, quota aborts; then the wait for Zuul to use it (or hold it, or the CLI
// to delete it, or max-ready-age), and finally the delete: cloud server first, then the znode.
// The node lock is held whenever Nodepool would hold it: by a lock-holding activity, or during a
// launch by the contender beginLaunch made (LAUNCH_LOCKS_UNHELD, request-carrier.ts).
import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { AcceptedClaim, NodeEndState, NodeStateEvent, LaunchPlan } from '../activities/launcher/api';
import type { CreateServerInput } from '../activities/launcher/types';
import { NodepoolLabel, type NodepoolNodeId, NodepoolProvider, NodepoolState, nodeSearchAttributes } from '../lib/temporal/search-attributes';
import { HeldLock, newLockToken } from './lib/held-lock';
import { LAUNCH_LOCKS_UNHELD, RequestCarrier, SETTLE_AFTER_LAUNCHES } from './lib/request-carrier';
import { cloudActivities, keyscanActivities, zkActivities } from './lib/activities';
import { failureKind, failureMessage, failureServerId, failureStatsKey } from './lib/failures';
import {
  deleteNodeSignal,
  nodeLaunchedSignal,
  nodeStateSignal,
  nodeStatusQuery,
  releaseNodeSignal,
  requestWithdrawnSignal,
  type NodeWorkflowStatus,
} from './messages';

export interface NodeWorkflowInput {
  nodeId: string;
  /** launch: a new node of an accepted request; adopt: an existing znode (delete, age, hold). */
  mode: 'launch' | 'adopt';
  provider?: string;
  label?: string;
  requestId?: string | null;
  /** The lead node workflow (carrying the request) to tell when the launch ends. */
  parentWorkflowId?: string;
  /** The lead node of an accepted request carries it: admission's claim (request-carrier.ts). */
  carry?: AcceptedClaim;
  /** Carried over continue-as-new: a delete asked for, the server we made. */
  deleteReason?: string | null;
  serverId?: string | null;
}

export type NodeOutcome = 'deleted' | 'gone';

const nodeLockPath = (id: string) => `/nodepool/nodes/${id}/lock`;
/** How long to wait for a node lock someone else (Zuul, the CLI) holds before looking again. */
const LOCK_WAIT_MS = 30_000;
/** max-ready-age or a hold expired but someone holds the lock: try again this much later (Nodepool's cleanup interval). */
const EXPIRY_RETRY_MS = 60_000;
/** Start a fresh run (continue-as-new) past this many events, far below Temporal's limits. */
const MAX_HISTORY = 2000;

export async function nodeWorkflow(input: NodeWorkflowInput): Promise<NodeOutcome> {
  const { nodeId } = input;
  const status: NodeWorkflowStatus = { nodeId, phase: 'starting', state: null, attempts: 0, serverId: input.serverId ?? null };
  let event: NodeStateEvent | null = null;
  let eventSeq = 0;
  let deleteReason: string | null = input.deleteReason ?? null;
  let release: { deallocate: boolean; unlocked?: boolean } | null = null;

  setHandler(nodeStateSignal, (ev) => {
    event = ev;
    eventSeq++;
  });
  setHandler(deleteNodeSignal, ({ reason }) => {
    deleteReason ??= reason;
  });
  setHandler(releaseNodeSignal, (r) => {
    release = r;
  });
  setHandler(nodeStatusQuery, () => status);
  // only a lead node carrying its request reacts (request-carrier.ts sets its own handler)
  if (!input.carry) setHandler(requestWithdrawnSignal, () => undefined);

  // Search attributes are given at start (nodeSearchAttributes); each upsert costs an event and
  // a visibility write, so only what is missing or changed is upserted.
  const upsertChanged = (pairs: SearchAttributeUpdatePair[]) => {
    const attrs = workflowInfo().typedSearchAttributes;
    const changed = pairs.filter((p) => attrs.get(p.key as typeof NodepoolNodeId) !== p.value);
    if (changed.length) upsertSearchAttributes(changed);
  };
  upsertChanged(nodeSearchAttributes({ nodeId, provider: input.provider, label: input.label, requestId: input.requestId }));

  const setPhase = (phase: string, state?: string | null) => {
    status.phase = phase;
    if (state !== undefined) {
      status.state = state;
      if (state) upsertChanged([{ key: NodepoolState, value: state }]);
    }
  };

  /** A fresh run would drop the request this lead carries: only once it is carried to its end. */
  const carrying = () => (carrier as RequestCarrier | null)?.status.outcome === null;
  const longHistory = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY;
  /** A fresh run picks the node up as it is now (the state is read again; the server id is carried). */
  const adoptInput = (): NodeWorkflowInput => ({ nodeId, mode: 'adopt', provider: input.provider, label: input.label, requestId: input.requestId, serverId: status.serverId, deleteReason });

  // ---- delete: lock, `deleting`, cloud server, znode --------------------------------------
  async function deleteNode(lock: HeldLock | null, reason: string): Promise<NodeOutcome> {
    setPhase(`deleting (${reason})`);
    log.info('deleting node', { nodeId, reason });
    let target: { provider: string | null; serverId: string | null } | null = null;
    if (!lock?.held) {
      // fast path: a free lock is taken, `deleting` set, in one local activity (no lock holder)
      const begun = await zkActivities.beginDelete({ nodeId, lock: { lockPath: nodeLockPath(nodeId), token: newLockToken() } });
      if (begun.kind === 'gone') return 'gone';
      if (begun.kind === 'deleting') target = begun;
    }
    while (!target && !lock?.held) {
      lock = new HeldLock(nodeLockPath(nodeId), { blocking: true, timeoutMs: LOCK_WAIT_MS });
      if (await lock.acquire()) break;
      const now = await zkActivities.readNodeEvent({ nodeId });
      if (!now.exists) return 'gone';
      // Zuul may hold an in-use node's lock for a whole job: wait in fresh runs, not one long history
      if (longHistory() && !carrying()) await continueAsNew<typeof nodeWorkflow>({ ...adoptInput(), deleteReason: reason });
    }
    target ??= await zkActivities.prepareDelete({ nodeId });
    if (!target) {
      await lock?.release();
      return 'gone';
    }
    setPhase(`deleting (${reason})`, 'deleting');
    if (target.provider) {
      await cloudActivities(target.provider).deleteServer({ provider: target.provider, serverId: target.serverId, serverName: `np${nodeId}` });
    }
    lock?.markReleasing();
    // the recursive delete removes our contender too
    await zkActivities.removeNode({ nodeId });
    await lock?.settle();
    setPhase('deleted', 'deleted');
    return 'deleted';
  }

  // ---- launch --------------------------------------------------------------------------------
  /** `unheld`: no holder keeps the lock (LAUNCH_LOCKS_UNHELD); markReady takes it back if free. */
  async function launch(lock: HeldLock, plan: LaunchPlan, firstAttempt: CreateServerInput | null, unheld: boolean): Promise<NodeEndState> {
    const cloud = cloudActivities(plan.provider, { launchTimeoutMs: plan.launchTimeoutMs });
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      status.attempts = attempt;
      setPhase(`launch attempt ${attempt}/${plan.launchRetries}`, 'building');
      try {
        const create = attempt === 1 && firstAttempt ? firstAttempt : await zkActivities.prepareAttempt({ nodeId, attempt });
        const server = await cloud.launchServer({ ...create, timeoutMs: plan.launchTimeoutMs });
        status.serverId = server.id;
        let hostKeys: string[] = [];
        if (plan.hostKeyChecking) {
          setPhase('scanning host keys');
          const host = server.interfaceIp ?? server.publicIpv4 ?? server.privateIpv4;
          hostKeys = await keyscanActivities(plan.bootTimeoutMs).keyscan({
            nodeId,
            host: host ?? '',
            port: plan.connectionPort,
            timeoutMs: plan.bootTimeoutMs,
            connectionType: plan.connectionType,
          });
        }
        if (!lock.held) throw new Error('node lock lost during launch');
        await zkActivities.markReady({ nodeId, hostKeys, durationMs: Date.now() - started, lock: lock.ref, ...(unheld ? { takeBack: true } : {}) });
        setPhase('ready', 'ready');
        return 'ready';
      } catch (err) {
        status.serverId ??= failureServerId(err);
        const kind = failureKind(err);
        log.warn(`Launch attempt ${attempt}/${plan.launchRetries} failed for node ${nodeId}`, { error: failureMessage(err), kind });
        await zkActivities.reportLaunch({ nodeId, result: failureStatsKey(err), durationMs: Date.now() - started, requestor: null });
        if (kind === 'quota') {
          // Nodepool: ABORTED does not use up an attempt; the request pauses and relaunches.
          await zkActivities.setNodeState({ nodeId, state: 'aborted' });
          setPhase('aborted (quota)', 'aborted');
          return 'aborted';
        }
        if (attempt >= plan.launchRetries) {
          await zkActivities.setNodeState({ nodeId, state: 'failed' });
          setPhase('failed', 'failed');
          return 'failed';
        }
        // Delete before retrying, so there is never a second server for this node id.
        setPhase(`cleaning up attempt ${attempt}`);
        await cloud.deleteServer({ provider: plan.provider, serverId: status.serverId, serverName: `np${nodeId}` });
        status.serverId = null;
      }
    }
  }

  /** The lead node carries the request (created with its node lock, at the start of a launch). */
  let carrier: RequestCarrier | null = null;

  async function tellParent(state: NodeEndState, lockToken: string | null): Promise<void> {
    if (carrier) return carrier.ownLaunchEnded(state, lockToken);
    if (!input.parentWorkflowId) return;
    try {
      await getExternalWorkflowHandle(input.parentWorkflowId).signal(nodeLaunchedSignal, { nodeId, state, lockToken });
    } catch (err) {
      // the lead is gone (withdrawn and finished): nothing waits for us, so a READY node goes
      // free at once instead of waiting for a release that will never come
      log.info('lead node workflow not reachable', { error: failureMessage(err) });
      release ??= { deallocate: true };
    }
  }

  const outcome = await live();
  // the lead's workflow ends only once its request is carried to its end
  const carried = carrier as RequestCarrier | null; // assigned inside live()
  if (carried) await carried.done;
  return outcome;

  async function live(): Promise<NodeOutcome> {
    if (input.mode === 'launch') {
      const lock = new HeldLock(nodeLockPath(nodeId), { blocking: true, timeoutMs: 60_000 });
      if (input.carry && input.requestId) {
        carrier = new RequestCarrier(input.requestId, input.carry, {
          nodeId,
          lock,
          release: (deallocate, unlocked) => {
            release = { deallocate, unlocked };
          },
        });
        status.request = carrier.status;
        carrier.start();
      }
      // fast path: lock, `building`, plan and first attempt in one local activity
      let begun = await zkActivities.beginLaunch({ nodeId, lock: lock.ref });
      const unheld = begun.kind === 'started' && patched(LAUNCH_LOCKS_UNHELD);
      if (begun.kind === 'started') lock.adoptTaken({ holder: !unheld });
      if (begun.kind === 'busy') {
        if (!(await lock.acquire())) {
          await tellParent('failed', null);
          return deleteNode(null, 'lock unavailable at launch');
        }
        begun = await zkActivities.beginLaunch({ nodeId, lock: null });
      }
      if (begun.kind !== 'started') {
        await lock.release();
        await tellParent('failed', null);
        return 'gone';
      }
      const { plan, attempt: firstAttempt } = begun;
      upsertChanged([
        { key: NodepoolProvider, value: plan.provider },
        { key: NodepoolLabel, value: plan.label },
      ]);
      const end = await launch(lock, plan, firstAttempt, unheld);
      await tellParent(end, end === 'ready' ? lock.token : null);
      if (end !== 'ready') return deleteNode(lock, end === 'aborted' ? 'aborted (quota)' : 'launch failed');
      // Held until the request is fulfilled (the lead deletes our contender) or declined/withdrawn
      // (it asks us to let go).
      setPhase('ready, held for request');
      const lead = carrier as RequestCarrier | null;
      if (lead?.settlesAfterLaunches) {
        // the carrier always releases its own lead, once it has written the request; waking on the
        // lock holder too could wake in another order on replay (SETTLE_AFTER_LAUNCHES)
        await condition(() => release !== null);
      } else {
        await condition(() => release !== null || lock.gone || deleteReason !== null);
      }
      lock.markReleasing();
      const told = release as { deallocate: boolean; unlocked?: boolean } | null;
      if (told?.deallocate) await zkActivities.deallocateNode({ nodeId, lock: lock.ref });
      // after a local activity, whether the holder has ended yet depends on the order (see
      // SETTLE_AFTER_LAUNCHES): delete our contender whatever it says (harmless when gone)
      if (unheld && told?.unlocked) lock.markReleased(); // the fulfilment deleted it; no holder to wait for
      else if (unheld || patched(SETTLE_AFTER_LAUNCHES)) await lock.release({ evenIfGone: true });
      else if (!lock.gone) await lock.release();
    }

    // ---- lifecycle: wait for used / hold / delete / max-ready-age -------------------------------
    let expiryRetryAt = 0;
    let current = await zkActivities.readNodeEvent({ nodeId });
    let seen = eventSeq;
    for (;;) {
      if (eventSeq !== seen) {
        current = event as unknown as NodeStateEvent;
        seen = eventSeq;
      }
      if (deleteReason) return deleteNode(null, deleteReason);
      if (!current.exists) {
        setPhase('znode gone');
        if (status.serverId && input.provider) {
          await cloudActivities(input.provider).deleteServer({ provider: input.provider, serverId: status.serverId, serverName: `np${nodeId}` });
        }
        return 'gone';
      }
      const state = current.state ?? '';
      setPhase(`waiting (${state})`, state);
      if (['used', 'failed', 'aborted', 'deleting', 'deleted', 'building', 'init'].includes(state)) {
        // building/init here means nobody is launching it any more (an adopted orphan)
        return deleteNode(null, state);
      }
      let waitMs: number | undefined;
      let onTimeout: (() => Promise<NodeOutcome | null>) | undefined;
      if ((state === 'ready' && !current.allocatedTo) || state === 'hold') {
        const timers = await zkActivities.nodeTimers({ nodeId });
        const limit = state === 'hold' ? timers.holdLimitMs : timers.maxReadyAgeMs;
        if (limit > 0 && timers.stateTime !== null) {
          waitMs = Math.max(0, timers.stateTime * 1000 + limit - Date.now(), expiryRetryAt - Date.now());
          onTimeout = async () => {
            const lock = new HeldLock(nodeLockPath(nodeId), { blocking: false });
            if (!(await lock.acquire())) {
              // someone holds it (Zuul about to take the node, the CLI): look again later, not at once
              expiryRetryAt = Date.now() + EXPIRY_RETRY_MS;
              return null;
            }
            const check = await zkActivities.nodeTimers({ nodeId });
            const still = await zkActivities.readNodeEvent({ nodeId });
            const expired = check.stateTime !== null && Date.now() >= check.stateTime * 1000 + limit;
            if (still.exists && still.state === state && (state === 'hold' || !still.allocatedTo) && expired) {
              return deleteNode(lock, state === 'hold' ? 'hold expired' : 'max-ready-age');
            }
            await lock.release();
            return null;
          };
        }
      }
      const wake = () => eventSeq !== seen || deleteReason !== null;
      // condition(fn, 0) has a legacy meaning; an overdue timer waits 1 ms
      const woke = waitMs === undefined ? (await condition(wake), true) : await condition(wake, Math.max(1, waitMs));
      if (!woke && onTimeout) {
        const done = await onTimeout();
        if (done) return done;
        current = await zkActivities.readNodeEvent({ nodeId });
      }
      if (longHistory() && !carrying()) await continueAsNew<typeof nodeWorkflow>(adoptInput());
    }
  }
}
