// Admission: how this launcher's pools take requests from the queue, the way a Nodepool pool
// worker does (nodepool-behaviour.md §2.4) but woken by events instead of a loop. ZooKeeper is
// the queue: a waiting request is just a `requested` znode, with no workflow, no timer and no
// lock, so a backlog of thousands costs nothing while nothing can happen. A pass runs when
// something that could change the answer happens — a request created, changed (Zuul revising
// relative_priority) or deleted; a node freed or deleted; another launcher's pool registration;
// the config; a lock someone else held let go; the cloud-quota cache expiring while a pool
// waits on it — and walks the `requested` requests in Nodepool's order (priority prefix,
// relative_priority, sequence):
//   - decline at once what our pools cannot serve (labels, images, impossible quota);
//   - accept in order while the chosen pool can serve the whole request now (reused READY nodes
//     plus launches within max-servers and cloud quota): claim.ts writes it atomically and the
//     request's durable workflow takes it from there;
//   - the first request a pool cannot fit stops that pool for the rest of the pass (it is
//     `paused`, as Nodepool's pool component says), so a smaller, later request never jumps
//     the queue; the pool's oldest unused READY node may be deleted to make room (wedge
//     prevention); min-ready requests are declined instead of waiting.
import { randomUUID } from 'node:crypto';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { compareRequests, type Node, type NodeRequest } from '../../../lib/model';
import { log } from '../../../lib/log';
import { nodeLockPath, requestLockPath } from '../../../lib/zk/paths';
import { type LauncherContext } from '../../../activities/launcher/context';
import { createEvaluator, poolRef, type Evaluator, type PassView, type Route } from '../../../activities/launcher/evaluate';
import { createRequestActivities, MIN_READY_REQUESTOR } from '../../../activities/launcher/requests';
import { type OurPool } from '../../../activities/launcher/pools';
import { ZkLock } from '../../../lib/zk/lock';
import { readRequest } from '../../../lib/zk/operations/requests';
import type { AcceptedClaim, PoolRef } from '../../../activities/launcher/api';
import { deleteNodeSignal, workflowIds } from '../../../workflows/messages';
import { type LauncherWatchers } from '../watchers';
import { type RegistryCache } from '../registry';
import { createCapacity, type Capacity } from './capacity';
import { Claims, CLAIMS_ROOT } from './claim';
import { startLeadNode } from './start';
import { QueueStatus } from './queue-status';

/** Declines running at once (each is a few ZooKeeper round trips). */
const DECLINE_PARALLEL = 16;
/** A pool's wedge-prevention delete is not asked for again within this time. */
const WEDGE_REPEAT_MS = 30_000;
/** After a pass failed (ZooKeeper or cloud trouble), the next one runs this much later. */
const RETRY_MS = 5000;
/** How many request ids a pool's status lists as next in line. */
const NEXT_SHOWN = 5;

export interface AdmissionDeps {
  ctx: LauncherContext;
  client: Client;
  watchers: LauncherWatchers;
  registry: RegistryCache;
  hostname: string;
}

interface PoolQueue {
  waiting: number;
  reasons: Record<string, number>;
  next: string[];
}

export class Admission {
  private started = false;
  private running = false;
  private again = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  /** Requests being declined or handed to their workflow right now. */
  private readonly inFlight = new Set<string>();
  /** Requests whose lock someone else holds: a watch on the lock pokes us when it frees. */
  private readonly busy = new Set<string>();
  private readonly starts = new Set<Promise<unknown>>();
  private declining = 0;
  private readonly declineQueue: Array<() => Promise<void>> = [];
  private readonly wedged = new Map<string, { nodeId: string; at: number }>();
  private readonly evaluate: Evaluator;
  private readonly capacity: Capacity;
  private readonly claims: Claims;
  private readonly status: QueueStatus;
  private readonly requests;
  private readonly logger = log('admission');
  /** Passes run (for the tests and the bench). */
  passes = 0;

  constructor(private readonly deps: AdmissionDeps) {
    this.evaluate = createEvaluator(deps.ctx);
    this.capacity = createCapacity(deps.ctx);
    this.claims = new Claims(() => deps.ctx.zk(), deps.hostname, {
      node: (n, v) => deps.watchers.nodeCache.note(n.id, n, v),
      request: (r, v) => deps.watchers.requestCache.note(r.id, r, v),
    });
    this.status = new QueueStatus(deps.client);
    this.requests = createRequestActivities(deps.ctx);
  }

  /** Call once the caches (requests, nodes, registry) are loaded: a pass before would misjudge. */
  async start(): Promise<void> {
    await this.deps.ctx.zk().ensurePath(CLAIMS_ROOT);
    this.status.start();
    this.started = true;
    this.poke();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.status.stop();
    // starts still retrying give up: their requests stay pending and locked by our session,
    // which ends with the process; lost-request cleanup then hands them back to the queue
    await Promise.race([Promise.allSettled([...this.starts]), new Promise((r) => setTimeout(r, 5000))]);
  }

  /** Something changed: run a pass now, or right after the one running. */
  poke(): void {
    if (this.stopped || !this.started) return;
    if (this.running) {
      this.again = true;
      return;
    }
    void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      do {
        this.again = false;
        await this.pass();
      } while (this.again && !this.stopped);
    } catch (err) {
      this.logger.warn({ err }, 'admission pass failed; trying again');
      this.later(RETRY_MS);
    } finally {
      this.running = false;
    }
  }

  /** One pass at most `ms` from now (a timer per launcher, never per request). */
  private later(ms: number): void {
    if (this.stopped || (this.timer && ms >= RETRY_MS)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.poke();
    }, ms);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    const { ctx, watchers } = this.deps;
    const ours = ctx.pools.ours();
    this.passes++;
    if (ours.length === 0) return;
    let snapshot: Node[] | null = null;
    const view: PassView = {
      registered: this.deps.registry.list(),
      blocked: new Map<string, string>(),
      nodes: () => (snapshot ??= watchers.nodes()),
      memo: new Map(),
    };
    const blocked = view.blocked as Map<string, string>;
    const changedNodes = () => {
      snapshot = null;
      view.memo.clear();
    };
    const queues = new Map<string, PoolQueue>(ours.map((p) => [p.id, { waiting: 0, reasons: {}, next: [] }]));
    const exclude = new Set<string>();
    let quotaRecheck: number | null = null;

    const queue = watchers.requestCache.values().filter((r) => r.state === 'requested');
    queue.sort(compareRequests);
    for (const req of queue) {
      if (this.stopped) return;
      if (this.inFlight.has(req.id) || this.busy.has(req.id)) continue;
      let route: Route | null = await this.evaluate(req, view);
      for (let tries = 0; route?.kind === 'accept' && tries < 10; tries++) {
        const pool: OurPool = route.pool;
        if (!this.claims.knows(pool.provider)) {
          // the claims counter first, then every node claimed up to it
          await this.claims.refreshVersion(pool.provider);
          await watchers.nodeCache.catchUp();
          changedNodes();
        }
        const plan = await this.capacity.plan(pool, req, view.nodes(), exclude);
        if (plan.kind === 'full') {
          if (req.requestor === MIN_READY_REQUESTOR) {
            this.decline(req, [poolRef(pool)], `${plan.why} (min-ready requests do not wait)`);
            route = null;
            break;
          }
          blocked.set(pool.id, `waiting for room: ${plan.why}`);
          if (plan.why.startsWith('cloud quota')) quotaRecheck = Math.min(quotaRecheck ?? Infinity, ctx.quota.expiresAt(pool.provider) ?? Date.now() + RETRY_MS);
          this.wedge(pool, plan.wedgeNodeId);
          // another pool of ours may take it; else it waits
          route = await this.evaluate(req, view);
          continue;
        }
        const out = await this.claims.accept(pool, req, plan.slots, plan.az);
        if (out.kind === 'accepted') {
          changedNodes();
          this.handOver(req, pool, out);
          route = null;
        } else if (out.kind === 'busy') {
          this.watchLock(req.id);
          route = null;
        } else if (out.kind === 'node-taken') {
          exclude.add(out.nodeId);
        } else if (out.kind === 'conflict') {
          // another launcher claimed in this provider: see its nodes before planning again
          await watchers.nodeCache.catchUp();
          changedNodes();
        } else {
          // changed under us: its watch brings the new version and another pass
          route = null;
        }
      }
      if (route?.kind === 'decline') this.decline(req, route.pools, route.reason);
      else if (route?.kind === 'defer' && route.pool) {
        const q = queues.get(route.pool.id) as PoolQueue;
        q.waiting++;
        q.reasons[route.why] = (q.reasons[route.why] ?? 0) + 1;
        if (q.next.length < NEXT_SHOWN) q.next.push(req.id);
      }
    }

    for (const p of ours) {
      const paused = blocked.has(p.id);
      await ctx.pools.setPaused(p.id, paused, ctx.config());
      const q = queues.get(p.id) as PoolQueue;
      const nodes = view.nodes().filter((n) => n.provider === p.provider && n.pool === p.pool).length;
      this.status.report({ provider: p.provider, pool: p.pool }, { launcher: this.deps.hostname, poolId: p.id, paused, ...q, nodes, maxServers: p.config.maxServers });
    }
    // waiting on the cloud's quota: look again when the cached limits expire (nothing else tells us)
    if (quotaRecheck !== null) this.later(Math.max(1000, quotaRecheck - Date.now()));
  }

  private handOver(req: NodeRequest, pool: OurPool, claim: Extract<Awaited<ReturnType<Claims['accept']>>, { kind: 'accepted' }>): void {
    this.inFlight.add(req.id);
    this.logger.info({ requestId: req.id, pool: pool.id, nodes: claim.slots.map((s) => s.nodeId) }, 'accepted node request');
    const accepted: AcceptedClaim = { pool: poolRef(pool), request: claim.request, lockToken: claim.lockToken, slots: claim.slots };
    // only READY nodes reused: nothing to launch, so fulfil here (a crash before this is a
    // lost request: cleanup hands it back and frees the nodes)
    const handed = accepted.slots.some((s) => !s.reused)
      ? startLeadNode(this.deps.client, req.id, accepted, () => this.stopped)
      : this.fulfilReused(req.id, accepted);
    const started = handed.finally(() => {
      this.inFlight.delete(req.id);
      this.starts.delete(started);
    });
    this.starts.add(started);
  }

  private async fulfilReused(requestId: string, claim: AcceptedClaim): Promise<boolean> {
    const nodeLock = (nodeId: string, token: string | null) => ({ lockPath: nodeLockPath(nodeId), token: token ?? '' });
    try {
      await this.requests.fulfilRequest({
        requestId,
        nodeIds: claim.slots.map((s) => s.nodeId),
        nodeLocks: claim.slots.map((s) => nodeLock(s.nodeId, s.lockToken)),
        requestLock: { lockPath: requestLockPath(requestId), token: claim.lockToken },
      });
      return true;
    } catch (err) {
      this.logger.warn({ requestId, err }, 'fulfilling with READY nodes failed; lost-request cleanup will hand it back');
      return false;
    }
  }

  /** Declines for these pools under the request lock (several at a time, in the background). */
  private decline(req: NodeRequest, pools: PoolRef[], reason: string): void {
    this.inFlight.add(req.id);
    this.declineQueue.push(async () => {
      const zk = this.deps.ctx.zk();
      const lock = new ZkLock(zk, requestLockPath(req.id), randomUUID().replace(/-/g, ''));
      try {
        if (!(await lock.acquire({ blocking: false }))) return this.watchLock(req.id);
        const cur = await readRequest(zk, req.id);
        if (!cur || cur.value.state !== 'requested' || pools.every((p) => cur.value.declined_by.includes(p.id))) return void (await lock.release());
        lock.abandon();
        // declineRequest writes declined_by (and `failed` once every pool declined), then unlocks
        await this.requests.declineRequest({ requestId: req.id, pools, reason, nodes: [], requestLock: { lockPath: requestLockPath(req.id), token: lock.identifier } });
      } catch (err) {
        await lock.release().catch(() => undefined);
        this.logger.warn({ requestId: req.id, err }, 'decline failed; trying again at the next pass');
        this.later(RETRY_MS);
      } finally {
        this.inFlight.delete(req.id);
      }
    });
    this.drainDeclines();
  }

  private drainDeclines(): void {
    while (this.declining < DECLINE_PARALLEL && this.declineQueue.length) {
      const job = this.declineQueue.shift() as () => Promise<void>;
      this.declining++;
      void job().finally(() => {
        this.declining--;
        this.drainDeclines();
      });
    }
  }

  /** Someone else holds the request's lock: look at it again once they let go. */
  private watchLock(requestId: string): void {
    if (this.busy.has(requestId)) return;
    this.busy.add(requestId);
    const done = () => {
      if (!this.busy.delete(requestId)) return;
      this.poke();
    };
    this.deps.ctx
      .zk()
      .getChildren(requestLockPath(requestId), () => done())
      .then((children) => {
        if (children.length === 0) done();
      })
      .catch(() => done());
  }

  /** Wedge prevention: ask the pool's oldest unused READY node to delete itself. */
  private wedge(pool: OurPool, nodeId: string | null): void {
    if (!nodeId) return;
    const last = this.wedged.get(pool.id);
    if (last && (last.nodeId === nodeId || Date.now() - last.at < WEDGE_REPEAT_MS)) return;
    this.wedged.set(pool.id, { nodeId, at: Date.now() });
    this.logger.info({ pool: pool.id, nodeId }, 'pool at quota: deleting its oldest unused READY node');
    this.deps.client.workflow
      .getHandle(workflowIds.node(nodeId))
      .signal(deleteNodeSignal, { reason: 'oldest unused node at quota' })
      .catch((err: unknown) => {
        if (!(err instanceof WorkflowNotFoundError)) this.logger.warn({ nodeId, err }, 'could not ask node to delete itself');
      });
  }
}
