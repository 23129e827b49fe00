// The launcher's eyes on ZooKeeper. Requests: every `requested` request some pool of ours has
// not declined gets a request workflow (idempotent start), and a withdrawn request's workflow is
// told. Nodes: state changes are signalled to node workflows (started in "adopt" mode for nodes
// that have none, e.g. used nodes after a restart); the node list doubles as the node cache the
// activities read. Child watches make new znodes show up at once and data watches make changed
// ones re-read, so a pass reads only what is new or changed (a request storm must not make
// every pass read every znode); a full re-read every FULL_RESYNC_MS and after a new ZooKeeper
// session is the safety net.
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { decodeNode } from '../../lib/zk/codec-node';
import { decodeRequest } from '../../lib/zk/codec-request';
import { isNoNode } from '../../lib/zk/errors';
import { NODES, nodePath, REQUESTS, requestPath } from '../../lib/zk/paths';
import { type ZkSession } from '../../lib/zk/session';
import { type Node } from '../../lib/model';
import { type NodepoolConfig } from '../../lib/config';
import { log } from '../../lib/log';
import { type PoolRegistry } from '../../activities/launcher/pools';
import { type NodeGauges } from './gauges';
import type { NodeStateEvent } from '../../activities/launcher/api';
import { LAUNCHER_QUEUE } from '../../workflows/lib/activities';
import { nodeStateSignal, requestWithdrawnSignal, workflowIds } from '../../workflows/messages';
import type { nodeWorkflow, requestWorkflow } from '../../workflows';

const PARALLEL = 16;
/** Every znode is read again this often, whatever the watches said. */
const FULL_RESYNC_MS = 30_000;

async function inBatches<T>(items: T[], fn: (t: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += PARALLEL) await Promise.all(items.slice(i, i + PARALLEL).map(fn));
}

export class LauncherWatchers {
  private nodeCache = new Map<string, Node>();
  private readonly requestVersions = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private stopped = false;
  private readonly logger = log('watchers');
  /** Paths with a child or data watch set (a watch is one-shot; one listener per path). */
  private readonly armed = new Set<string>();
  /** Znodes whose data watch fired: read them on the next pass. */
  private readonly dirty = new Set<string>();
  private lastFull = 0;
  /** A new ZooKeeper session dropped every watch: forget them and read everything. */
  private rearm = true;

  constructor(
    private readonly zk: () => ZkSession,
    private readonly client: Client,
    private readonly pools: PoolRegistry,
    private readonly config: () => NodepoolConfig,
    private readonly intervalMs = 1000,
    private readonly gauges?: NodeGauges,
  ) {}

  start(): void {
    this.stopped = false;
    this.zk().on('session', () => {
      this.rearm = true;
      this.poke();
    });
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** The node cache (refreshed every tick). */
  nodes(): Node[] {
    return [...this.nodeCache.values()];
  }

  noteCreated(node: Node): void {
    this.nodeCache.set(node.id, node);
  }

  /** Runs a pass now (or right after the current one). */
  poke(): void {
    if (this.running) this.again = true;
    else void this.tick();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.running = true;
    try {
      // a full re-read in the same session keeps the armed watches: they are still set, and
      // arming them again would pile up one listener per znode per re-read
      const full = this.rearm || Date.now() - this.lastFull >= FULL_RESYNC_MS;
      if (this.rearm) {
        this.rearm = false;
        this.armed.clear();
      }
      if (full) this.lastFull = Date.now();
      await this.pollNodes(full);
      await this.pollRequests(full);
    } catch (err) {
      this.logger.warn({ err }, 'ZooKeeper poll failed; trying again');
    } finally {
      this.running = false;
    }
    if (this.stopped) return;
    if (this.again) {
      this.again = false;
      setImmediate(() => void this.tick());
    } else {
      this.timer = setTimeout(() => void this.tick(), this.intervalMs);
    }
  }

  /** A one-shot watch for `path` unless one is set; when it fires, `then` runs and a pass follows. */
  private watchOnce(path: string, then?: () => void): ((ev: unknown) => void) | undefined {
    if (this.armed.has(path)) return undefined;
    this.armed.add(path);
    return () => {
      this.armed.delete(path);
      then?.();
      this.poke();
    };
  }

  /** Lists children, with a child watch. */
  private async children(path: string): Promise<string[]> {
    const zk = this.zk();
    try {
      return await zk.getChildren(path, this.watchOnce(`children:${path}`));
    } catch (e) {
      this.armed.delete(`children:${path}`);
      if (!isNoNode(e)) throw e;
      await zk.ensurePath(path);
      return [];
    }
  }

  /** Reads a znode, with a data watch that marks it for the next pass. */
  private async read(path: string): Promise<{ data: Buffer; stat: { version: number } } | null> {
    try {
      const got = await this.zk().getIfExists(path, this.watchOnce(path, () => this.dirty.add(path)));
      // no znode, no data watch (getIfExists sets none then)
      if (!got) this.armed.delete(path);
      return got;
    } catch (e) {
      this.armed.delete(path);
      throw e;
    }
  }

  /** The children to read this pass: all of them, or the new and the changed ones. */
  private toRead(ids: string[], known: (id: string) => boolean, pathOf: (id: string) => string, full: boolean): string[] {
    if (full) return ids;
    return ids.filter((id) => !known(id) || this.dirty.has(pathOf(id)) || !this.armed.has(pathOf(id)));
  }

  private async pollRequests(full: boolean): Promise<void> {
    const ids = await this.children(REQUESTS);
    const ours = this.pools.ours();
    const toStart: string[] = [];
    const present = new Set(ids);
    const reading = this.toRead(ids, (id) => this.requestVersions.has(id), requestPath, full);
    await inBatches(reading, async (id) => {
      this.dirty.delete(requestPath(id));
      const got = await this.read(requestPath(id));
      if (!got || got.data.length === 0) return;
      if (this.requestVersions.get(id) === got.stat.version) return;
      this.requestVersions.set(id, got.stat.version);
      try {
        const req = decodeRequest(id, got.data);
        if (req.state === 'requested' && ours.some((p) => !req.declined_by.includes(p.id))) toStart.push(id);
      } catch (err) {
        // a malformed request is not ours to crash on; Zuul will see it never served
        this.logger.warn({ requestId: id, error: (err as Error).message }, 'ignoring malformed node request');
      }
    });
    await inBatches(toStart, async (requestId) => {
      try {
        await this.client.workflow.start<typeof requestWorkflow>('requestWorkflow', {
          workflowId: workflowIds.request(requestId),
          taskQueue: LAUNCHER_QUEUE,
          args: [{ requestId }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          requestEagerStart: true,
        });
      } catch (err) {
        this.requestVersions.delete(requestId); // try again next tick
        this.logger.warn({ requestId, err }, 'could not start request workflow');
      }
    });
    const gone = [...this.requestVersions.keys()].filter((id) => !present.has(id));
    await inBatches(gone, async (requestId) => {
      this.requestVersions.delete(requestId);
      this.dirty.delete(requestPath(requestId));
      await this.signal(workflowIds.request(requestId), async (h) => h.signal(requestWithdrawnSignal));
    });
  }

  private async pollNodes(full: boolean): Promise<void> {
    const ids = await this.children(NODES);
    const present = new Set(ids);
    const previous = new Map<string, Node>();
    const reading = this.toRead(ids, (id) => this.nodeCache.has(id), nodePath, full);
    await inBatches(reading, async (id) => {
      this.dirty.delete(nodePath(id));
      const got = await this.read(nodePath(id));
      const before = this.nodeCache.get(id);
      if (before) previous.set(id, before);
      if (!got || got.data.length === 0) {
        this.nodeCache.delete(id);
        return;
      }
      try {
        this.nodeCache.set(id, decodeNode(id, got.data));
      } catch {
        // malformed node znodes must not stop launches (Nodepool test_node_launch_with_broken_znodes)
        this.nodeCache.delete(id);
      }
    });
    const vanished: Node[] = [];
    for (const [id, n] of this.nodeCache) {
      if (present.has(id)) continue;
      this.nodeCache.delete(id);
      this.dirty.delete(nodePath(id));
      vanished.push(n);
    }
    this.gauges?.update([...this.nodeCache.values()], this.config());
    const ourProviders = new Set(Object.values(this.config().providers).filter((p) => p.driver === 'openstack').map((p) => p.name));
    const ours = (n: Node) => n.provider !== null && ourProviders.has(n.provider);
    const changed = reading
      .map((id) => this.nodeCache.get(id))
      .filter((n): n is Node => {
        if (!n || !ours(n)) return false;
        const before = previous.get(n.id);
        return !before || before.state !== n.state || before.allocated_to !== n.allocated_to;
      });
    // A launch's own steps (init → building → ready) are not news to its node workflow, which
    // reads the node itself when the launch ends; a signal would only cost it a workflow task.
    const launchStep = (n: Node) => {
      const before = previous.get(n.id)?.state;
      return n.state === 'init' || n.state === 'building' || (n.state === 'ready' && (before === 'init' || before === 'building'));
    };
    await inBatches(
      changed.filter((n) => !launchStep(n)),
      (n) => this.tellNode(n),
    );
    await inBatches(
      [...vanished, ...[...previous.values()].filter((n) => !this.nodeCache.has(n.id))].filter(ours),
      async (n) => {
        const ev: NodeStateEvent = { exists: false, state: null, allocatedTo: null, stateTime: null };
        await this.signal(workflowIds.node(n.id), async (h) => h.signal(nodeStateSignal, ev));
      },
    );
  }

  private async tellNode(n: Node): Promise<void> {
    const ev: NodeStateEvent = { exists: true, state: n.state, allocatedTo: n.allocated_to, stateTime: n.state_time };
    const workflowId = workflowIds.node(n.id);
    try {
      await this.client.workflow.signalWithStart<typeof nodeWorkflow, [NodeStateEvent]>('nodeWorkflow', {
        workflowId,
        taskQueue: LAUNCHER_QUEUE,
        args: [{ nodeId: n.id, mode: 'adopt', provider: n.provider ?? undefined, label: n.type[0] }],
        signal: nodeStateSignal,
        signalArgs: [ev],
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
