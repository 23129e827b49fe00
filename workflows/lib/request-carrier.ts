// The node request a lead node workflow carries. Admission took the request in Nodepool's order
// once a pool could serve it whole, and in one ZooKeeper write set it `pending`, allocated the
// READY nodes it reuses and created the `init` nodes to launch; then it started the workflow of
// the first `init` node with this claim. That "lead" node workflow holds the request lock and
// the reused nodes' locks, starts the other launches as children, and when every launch has
// ended fulfils (nodes in requested order, unlocked before the request is written), declines (a
// launch failed), hands the request back to the queue (a launch hit the cloud's quota) or lets
// go (Zuul withdrew it). One workflow per node, none per request: a one-node request costs one
// workflow. A request never waits for capacity here: waiting requests stay in ZooKeeper.
import { condition, getExternalWorkflowHandle, log, ParentClosePolicy, patched, setHandler, startChild } from '@temporalio/workflow';
import type { AcceptedClaim, HeldNode, NodeEndState } from '../../activities/launcher/api';
import { HeldLock } from './held-lock';
import { nodeSearchAttributes } from '../../lib/temporal/search-attributes';
import { LAUNCHER_QUEUE, zkActivities } from './activities';
import { failureMessage } from './failures';
import { nodeLaunchedSignal, releaseNodeSignal, requestWithdrawnSignal, workflowIds, type RequestStatus } from '../messages';

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

/** The lead's own node, as the carrier needs it. */
export interface LeadNode {
  nodeId: string;
  /** Its node lock (held by the lead's node workflow). */
  lock: HeldLock;
  /**
   * Tells the lead's node workflow to stop holding its node (as releaseNode does for others);
   * `unlocked`: fulfilment has deleted its contender already.
   */
  release(deallocate: boolean, unlocked: boolean): void;
}

const requestLockPath = (id: string) => `/nodepool/requests-lock/${id}`;

/**
 * Patch id (tools/replay/README.md says how workflow code changes): the carrier decides only
 * once every launch has ended, and never on the state of a lock holder. Why: a local activity
 * that runs past a workflow task's heartbeat (markReady waiting for a lock to be taken back after
 * a crash, any ZooKeeper call while ZooKeeper is down) can be resolved before an activity
 * completion or signal that arrived meanwhile, and replayed after it. A decision that compares
 * the two (the lead's own launch ending — after markReady — against "Zuul withdrew it" or "our
 * request lock holder ended") could then go another way on replay: bench/chaos.ts found 1 node
 * workflow in 100 failing with a non-determinism error. Waiting for every launch first and
 * letting the ZooKeeper step tell (fulfilRequest: 'gone' or 'lost', a recorded result) makes the
 * order irrelevant.
 */
export const SETTLE_AFTER_LAUNCHES = 'settle-after-launches';
/**
 * Patch id: a launch's locks have no holder activity — neither the request lock nor the launching
 * node's lock (node.ts). Admission's contender and beginLaunch's stay with the session that made
 * them; if that launcher dies, a lock is free until the next ZooKeeper step under it takes it
 * back: markReady for the node (activities/launcher/nodes.ts: still `building`), fulfilment or
 * decline for the request (requestLockIsOurs in activities/launcher/requests.ts: still
 * `pending`, our nodes still allocated to it). Lost-request cleanup leaves a request its lead
 * carries alone, and stuck-node cleanup leaves a node whose workflow runs alone. The holders only
 * ever shortened that window, and cost every launch two activities (three events each, a task
 * through matching, a ZooKeeper watch and a workflow task when they ended).
 */
export const LAUNCH_LOCKS_UNHELD = 'launch-locks-unheld';
const nodeLockPath = (id: string) => `/nodepool/nodes/${id}/lock`;

export class RequestCarrier {
  readonly status: RequestStatus;
  private withdrawn = false;
  /** SETTLE_AFTER_LAUNCHES is in force (false only while replaying a history from before it). */
  readonly settlesAfterLaunches: boolean;
  private readonly launched = new Map<string, { state: NodeEndState; lockToken: string | null }>();
  private readonly requestLock: HeldLock;
  private readonly slots: Slot[];
  /** Settles with the outcome; the lead's workflow must not end before it does. */
  done!: Promise<RequestOutcome>;

  constructor(
    private readonly requestId: string,
    private readonly claim: AcceptedClaim,
    private readonly lead: LeadNode,
  ) {
    const { pool } = claim;
    // LAUNCH_LOCKS_UNHELD came with SETTLE_AFTER_LAUNCHES in force (no decision there depends on
    // a lock holder), so a new workflow records one patch marker, not two (each also costs a
    // TemporalChangeVersion upsert); a history from before it still finds its own marker
    const unheld = patched(LAUNCH_LOCKS_UNHELD);
    this.settlesAfterLaunches = unheld || patched(SETTLE_AFTER_LAUNCHES);
    this.status = { requestId, phase: 'pending', pool: `${pool.provider}-${pool.pool}`, outcome: null, nodes: [] };
    setHandler(requestWithdrawnSignal, () => {
      this.withdrawn = true;
      if (this.settlesAfterLaunches && this.status.outcome === null) this.setPhase('withdrawn by Zuul; waiting for launches to end');
    });
    setHandler(nodeLaunchedSignal, ({ nodeId, state, lockToken }) => {
      this.launched.set(nodeId, { state, lockToken });
    });
    // Admission took these locks in its ZooKeeper session; holders keep the nodes' from here on
    // (the request's too, before LAUNCH_LOCKS_UNHELD).
    this.requestLock = new HeldLock(requestLockPath(requestId), { blocking: false }, claim.lockToken);
    this.requestLock.adoptTaken({ holder: !unheld });
    this.slots = claim.slots.map((c) => {
      if (!c.reused) return { label: c.label, nodeId: c.nodeId, kind: 'launching', lock: null, lockToken: null };
      const lock = new HeldLock(nodeLockPath(c.nodeId), { blocking: false }, c.lockToken ?? undefined);
      lock.adoptTaken();
      return { label: c.label, nodeId: c.nodeId, kind: 'reused', lock, lockToken: c.lockToken };
    });
    this.refreshStatus();
  }

  /** Starts the other launches and carries the request to its end (await `done`). */
  start(): void {
    this.done = this.run().then((outcome) => {
      this.status.outcome = outcome;
      return outcome;
    });
  }

  /** The lead's own launch ended (it holds its node lock with `lockToken` when READY). */
  ownLaunchEnded(state: NodeEndState, lockToken: string | null): void {
    this.launched.set(this.lead.nodeId, { state, lockToken });
  }

  private setPhase(phase: string): void {
    this.status.phase = phase;
  }

  private refreshStatus(): void {
    this.status.nodes = this.slots.map((s) => ({ label: s.label, nodeId: s.nodeId, state: s.kind }));
  }

  private async run(): Promise<RequestOutcome> {
    const { pool } = this.claim;
    // ---- launch what admission claimed; every node outlives its request --------------------
    await Promise.all(
      this.slots
        .filter((s) => s.kind === 'launching' && s.nodeId !== this.lead.nodeId)
        .map((s) =>
          startChild('nodeWorkflow', {
            workflowId: workflowIds.node(s.nodeId),
            taskQueue: LAUNCHER_QUEUE,
            args: [{ nodeId: s.nodeId, mode: 'launch', provider: pool.provider, label: s.label, requestId: this.requestId, parentWorkflowId: workflowIds.node(this.lead.nodeId) }],
            parentClosePolicy: ParentClosePolicy.ABANDON,
            typedSearchAttributes: nodeSearchAttributes({ nodeId: s.nodeId, provider: pool.provider, label: s.label, requestId: this.requestId, state: 'building' }),
          }),
        ),
    );

    // ---- wait for every launch to end -------------------------------------------------------
    const launching = () => this.slots.filter((s) => s.kind === 'launching');
    const allEnded = () => launching().every((s) => this.launched.has(s.nodeId));
    if (!this.withdrawn) this.setPhase('waiting for launches');
    if (this.settlesAfterLaunches) {
      // a withdrawn request or a lost lock is found by the ZooKeeper step (fulfil: 'gone'/'lost')
      await condition(allEnded);
      return this.settle(launching());
    }
    await condition(() => this.withdrawn || !this.requestLock.held || allEnded());

    // Once every launch has ended the request is settled even if our lock holder has finished:
    // after a crash, the holder may report the release our own fulfilment made; the ZooKeeper
    // step checks the lock itself ('lost').
    if (this.withdrawn || !allEnded()) {
      // Zuul gave up (or our lock is gone): nodes stay READY for others; launches go on.
      this.setPhase('withdrawn');
      this.letGo();
      await zkActivities.abandonRequest({ requestId: this.requestId, nodes: this.heldReused(), requestLock: this.requestLock.ref });
      await this.freeLaunched();
      await this.settleLocks();
      return 'withdrawn';
    }

    return this.settle(launching());
  }

  /** Every launch has ended: fulfil, decline or hand back. */
  private settle(launching: Slot[]): Promise<RequestOutcome> {
    let failed = false;
    let aborted = false;
    for (const slot of launching) {
      const end = this.launched.get(slot.nodeId);
      if (end?.state === 'ready') {
        slot.kind = 'ready';
        slot.lockToken = end.lockToken;
      } else if (end?.state === 'aborted') {
        aborted = true;
      } else {
        failed = true;
      }
    }
    this.refreshStatus();
    if (failed) return this.decline('a node launch failed');
    if (aborted) return this.handBack('a launch hit the cloud quota');
    return this.fulfil();
  }

  /**
   * Reused nodes whose locks we hold (launched nodes' locks are their workflows'). With
   * SETTLE_AFTER_LAUNCHES every reused node: the activity checks in ZooKeeper which locks are still
   * ours, so the holders' state (an order-dependent view) does not matter.
   */
  private heldReused(): HeldNode[] {
    return this.slots
      .filter((s) => s.kind === 'reused' && (this.settlesAfterLaunches || s.lock?.held))
      .map((s) => ({ nodeId: s.nodeId, lock: (s.lock as HeldLock).ref }));
  }

  /** Before an activity deletes our contenders: the holders must not take them back. */
  private letGo(): void {
    this.requestLock.markReleasing();
    for (const s of this.slots) if (s.kind === 'reused') s.lock?.markReleasing();
  }

  /** After that activity: wait for our holders to finish. */
  private async settleLocks(): Promise<void> {
    for (const s of this.slots) if (s.kind === 'reused') await s.lock?.settle();
    await this.requestLock.settle();
  }

  private async releaseNode(nodeId: string, deallocate: boolean, unlocked = false): Promise<void> {
    if (nodeId === this.lead.nodeId) return this.lead.release(deallocate, unlocked);
    try {
      await getExternalWorkflowHandle(workflowIds.node(nodeId)).signal(releaseNodeSignal, { deallocate, ...(unlocked ? { unlocked } : {}) });
    } catch (err) {
      log.warn('node workflow not reachable', { nodeId, error: failureMessage(err) });
    }
  }

  /** Launched nodes (READY or not) go free: READY ones can be reused, failed ones delete themselves. */
  private async freeLaunched(): Promise<void> {
    for (const s of this.slots) if (s.kind !== 'reused') await this.releaseNode(s.nodeId, true);
  }

  private async fulfil(): Promise<RequestOutcome> {
    this.setPhase('fulfilling');
    const nodeIds = this.slots.map((s) => s.nodeId);
    const nodeLocks = this.slots.map((s) => (s.kind === 'reused' ? (s.lock as HeldLock).ref : { lockPath: nodeLockPath(s.nodeId), token: s.lockToken ?? '' }));
    this.letGo();
    this.lead.lock.markReleasing();
    const r = await zkActivities.fulfilRequest({ requestId: this.requestId, nodeIds, nodeLocks, requestLock: this.requestLock.ref });
    if (r === 'lost' || (r === 'gone' && this.settlesAfterLaunches)) {
      // withdrawn by Zuul, or someone else's now: free our nodes (reused ones too)
      await zkActivities.abandonRequest({ requestId: this.requestId, nodes: this.heldReused(), requestLock: this.requestLock.ref });
      await this.freeLaunched();
    } else {
      // our contenders are deleted: tell the node workflows, let the holders finish
      for (const s of this.slots) if (s.kind === 'ready') await this.releaseNode(s.nodeId, r === 'gone', r === 'fulfilled');
    }
    await this.settleLocks();
    this.setPhase(r);
    return r === 'fulfilled' ? 'fulfilled' : 'withdrawn';
  }

  private async decline(reason: string): Promise<RequestOutcome> {
    this.setPhase(`declining: ${reason}`);
    const reused = this.heldReused();
    this.letGo();
    const r = await zkActivities.declineRequest({ requestId: this.requestId, pools: [this.claim.pool], reason, nodes: reused, requestLock: this.requestLock.ref });
    await this.freeLaunched();
    await this.settleLocks();
    this.setPhase(`declined (${r})`);
    return r === 'failed' ? 'failed' : r === 'gone' ? 'withdrawn' : 'declined';
  }

  /**
   * Nodepool would pause and launch a replacement; here the request goes back to the queue
   * (`requested`, nodes freed) and admission takes it again, in order, when the pool has room.
   */
  private async handBack(reason: string): Promise<RequestOutcome> {
    this.setPhase(`handing back: ${reason}`);
    const reused = this.heldReused();
    this.letGo();
    await zkActivities.returnRequest({ requestId: this.requestId, reason, nodes: reused, requestLock: this.requestLock.ref });
    await this.freeLaunched();
    await this.settleLocks();
    this.setPhase('returned to the queue');
    return 'returned';
  }
}
