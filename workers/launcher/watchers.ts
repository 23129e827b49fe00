// The launcher's eyes on ZooKeeper: caches of every request and node znode, kept current by
// watches alone (a child watch per parent, a data watch per znode, everything re-read after a
// new session), so nothing is polled and a waiting request costs nothing until it changes.
// What changes is passed on: node state changes to node workflows (started in "adopt" mode
// for nodes that have none, e.g. used nodes after a restart), a withdrawn request to its
// workflow, and 'requests' / 'nodes' / 'min-ready' events to admission and min-ready ('requests'
// and 'nodes' once the cache has read a whole change, so a burst is seen in one piece).
import { EventEmitter } from 'node:events';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { type Node, type NodeRequest } from '../../lib/model';
import { decodeNode } from '../../lib/zk/codec-node';
import { decodeRequest } from '../../lib/zk/codec-request';
import { isRequestId, NODES, REQUESTS } from '../../lib/zk/paths';
import { type ZkSession } from '../../lib/zk/session';
import { ChildrenCache, type CacheEvent } from '../../lib/zk/watchers/children-cache';
import { type NodepoolConfig } from '../../lib/config';
import { log } from '../../lib/log';
import { MIN_READY_REQUESTOR } from '../../activities/launcher/requests';
import { type NodeGauges } from './gauges';
import { type OwnWrites } from '../../activities/launcher/own-writes';
import type { NodeStateEvent } from '../../activities/launcher/api';
import { LAUNCHER_QUEUE } from '../../workflows/lib/activities';
import { nodeStateSignal, requestWithdrawnSignal, workflowIds } from '../../workflows/messages';
import type { nodeWorkflow } from '../../workflows';
import { nodeSearchAttributes } from '../../lib/temporal/search-attributes';
import { launchesNodes } from '../../drivers/registry';

/** Node gauges are re-sent this often even when nothing changed (as Nodepool's stats worker). */
const GAUGES_REFRESH_MS = 60_000;

export class LauncherWatchers extends EventEmitter {
  readonly requestCache: ChildrenCache<NodeRequest>;
  readonly nodeCache: ChildrenCache<Node>;
  private readonly logger = log('watchers');
  private gaugesTimer?: NodeJS.Timeout;
  private gaugesDue = false;

  constructor(
    session: ZkSession,
    private readonly client: Client,
    private readonly config: () => NodepoolConfig,
    private readonly gauges?: NodeGauges,
    private readonly ownWrites?: OwnWrites,
  ) {
    super();
    // only Nodepool-style ids: launchers split them on '-' (Zuul's own launcher uses others)
    this.requestCache = new ChildrenCache(session, REQUESTS, decodeRequest, (id) => !isRequestId(id));
    this.nodeCache = new ChildrenCache(session, NODES, decodeNode);
    this.requestCache.on('event', (ev: CacheEvent<NodeRequest>) => this.onRequest(ev));
    this.nodeCache.on('event', (ev: CacheEvent<Node>) => this.onNode(ev));
    // admission acts on the whole queue: tell it once a listing is read completely, not per child
    this.requestCache.on('settled', () => this.flush('requests'));
    this.nodeCache.on('settled', () => this.flush('nodes'));
  }

  private readonly pendingNews = new Set<'requests' | 'nodes'>();

  private flush(what: 'requests' | 'nodes'): void {
    if (this.pendingNews.delete(what)) this.emit(what);
  }

  async start(): Promise<void> {
    await Promise.all([this.nodeCache.start(), this.requestCache.start()]);
    this.gaugesTimer = setInterval(() => this.sendGauges(), GAUGES_REFRESH_MS);
    this.sendGauges();
  }

  stop(): void {
    this.requestCache.stop();
    this.nodeCache.stop();
    if (this.gaugesTimer) clearInterval(this.gaugesTimer);
  }

  nodes(): Node[] {
    return this.nodeCache.values();
  }

  /** Every request with its ephemeral owner (min-ready finds its own requests by it). */
  requests(): Array<{ req: NodeRequest; owner: bigint }> {
    return this.requestCache.ids().flatMap((id) => {
      const e = this.requestCache.get(id);
      return e ? [{ req: e.value, owner: e.owner }] : [];
    });
  }

  private onRequest(ev: CacheEvent<NodeRequest>): void {
    this.pendingNews.add('requests');
    // a request come or gone changes the stats leader's addressable_requests
    if (ev.type !== 'changed') this.scheduleGauges();
    const req = ev.type === 'deleted' ? ev.previous : ev.value;
    if (req.requestor === MIN_READY_REQUESTOR && (ev.type !== 'changed' || ev.previous.state !== ev.value.state)) this.emit('min-ready');
    // an accepted (pending) request is carried by its lead node's workflow, one of the nodes
    // allocated to it (the others ignore the signal)
    if (ev.type === 'deleted' && ev.previous.state === 'pending') {
      for (const n of this.nodeCache.values()) {
        if (n.allocated_to === ev.id && this.ours(n)) void this.signal(workflowIds.node(n.id), async (h) => h.signal(requestWithdrawnSignal));
      }
    }
  }

  private onNode(ev: CacheEvent<Node>): void {
    const node = ev.type === 'deleted' ? ev.previous : ev.value;
    const before = ev.type === 'changed' ? ev.previous : null;
    const moved = ev.type !== 'changed' || before?.state !== ev.value.state || before?.allocated_to !== ev.value.allocated_to;
    if (!moved) return;
    // what can let a waiting request in: a node gone, a READY node free to reuse, a launch ended
    const building = (n: Node | null) => n?.state === 'init' || n?.state === 'building';
    if (ev.type === 'deleted' || (node.state === 'ready' && !node.allocated_to) || (building(before) && !building(node))) this.pendingNews.add('nodes');
    this.scheduleGauges();
    if (node.type.some((l) => (this.config().labels[l]?.minReady ?? 0) > 0)) this.emit('min-ready');
    if (ev.type === 'deleted') this.ownWrites?.forget(ev.id);
    if (!this.ours(node)) return;
    // A delete's last steps (`deleted`, then the znode gone) come from whoever is deleting; the
    // node workflow already knows, from its own delete or the `deleting` it was told of.
    if (node.state === 'deleted' || (ev.type === 'deleted' && node.state === 'deleting')) return;
    // nor is a state the node workflow wrote itself news to it
    if (ev.type !== 'deleted' && this.ownWrites?.take(node.id, node.state)) return;
    if (ev.type === 'deleted') {
      const gone: NodeStateEvent = { exists: false, state: null, allocatedTo: null, stateTime: null };
      this.toNode(ev.id, () => this.signal(workflowIds.node(ev.id), async (h) => h.signal(nodeStateSignal, gone)));
      return;
    }
    // A launch's own steps (init → building → ready) are not news to its node workflow, which
    // reads the node itself when the launch ends; a signal would only cost it a workflow task.
    const launchStep = node.state === 'init' || node.state === 'building' || (node.state === 'ready' && (before?.state === 'init' || before?.state === 'building'));
    if (!launchStep) this.toNode(node.id, () => this.tellNode(node));
  }

  /** Per node, one signal at a time and only the newest waiting: in-use must not overtake used. */
  private readonly nodeSignals = new Map<string, { next: (() => Promise<void>) | null }>();

  private toNode(id: string, send: () => Promise<void>): void {
    const queued = this.nodeSignals.get(id);
    if (queued) {
      queued.next = send;
      return;
    }
    const q = { next: send as (() => Promise<void>) | null };
    this.nodeSignals.set(id, q);
    void (async () => {
      for (let f = q.next; f; f = q.next) {
        q.next = null;
        await f();
      }
      this.nodeSignals.delete(id);
    })();
  }

  private ours(n: Node): boolean {
    const p = n.provider ? this.config().providers[n.provider] : undefined;
    return launchesNodes(p);
  }

  /** Sends the gauges again soon, changed or not (e.g. this launcher was just elected stats leader). */
  refreshGauges(): void {
    this.gauges?.forget();
    this.scheduleGauges();
  }

  private scheduleGauges(): void {
    if (this.gaugesDue || !this.gauges) return;
    this.gaugesDue = true;
    // after a second, so a burst of changes makes one update
    setTimeout(() => {
      this.gaugesDue = false;
      this.sendGauges();
    }, 1000).unref();
  }

  private sendGauges(): void {
    this.gauges?.update(this.nodes(), this.config());
  }

  private async tellNode(n: Node): Promise<void> {
    const ev: NodeStateEvent = { exists: true, state: n.state, allocatedTo: n.allocated_to, stateTime: n.state_time };
    try {
      await this.client.workflow.signalWithStart<typeof nodeWorkflow, [NodeStateEvent]>('nodeWorkflow', {
        workflowId: workflowIds.node(n.id),
        taskQueue: LAUNCHER_QUEUE,
        args: [{ nodeId: n.id, mode: 'adopt', provider: n.provider ?? undefined, label: n.type[0] }],
        signal: nodeStateSignal,
        signalArgs: [ev],
        typedSearchAttributes: nodeSearchAttributes({ nodeId: n.id, provider: n.provider, label: n.type[0], state: n.state }),
      });
    } catch (err) {
      this.logger.warn({ nodeId: n.id, err }, 'could not signal node workflow');
    }
  }

  private async signal(workflowId: string, send: (h: ReturnType<Client['workflow']['getHandle']>) => Promise<void>): Promise<void> {
    try {
      await send(this.client.workflow.getHandle(workflowId));
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) this.logger.warn({ workflowId, err }, 'signal failed');
    }
  }
}
