// The launcher's eyes on ZooKeeper. Requests: every `requested` request some pool of ours has
// not declined gets a request workflow (idempotent start), and a withdrawn request's workflow is
// told. Nodes: state changes are signalled to node workflows (started in "adopt" mode for nodes
// that have none, e.g. used nodes after a restart); the node list doubles as the node cache the
// activities read. Child watches make new znodes show up at once; a 1 s poll catches the rest.
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
  private readonly armed = new Set<string>();
  private watchSession?: ZkSession;

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
      await this.pollNodes();
      await this.pollRequests();
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

  /** Lists children; arms one child watch per path at a time (each armed watch is a listener). */
  private async children(path: string): Promise<string[]> {
    const zk = this.zk();
    if (this.watchSession !== zk) {
      this.watchSession = zk;
      this.armed.clear();
    }
    const watch = this.armed.has(path)
      ? undefined
      : () => {
          this.armed.delete(path);
          this.poke();
        };
    try {
      const kids = await zk.getChildren(path, watch);
      if (watch) this.armed.add(path);
      return kids;
    } catch (e) {
      if (!isNoNode(e)) throw e;
      await zk.ensurePath(path);
      return [];
    }
  }

  private async pollRequests(): Promise<void> {
    const zk = this.zk();
    const ids = await this.children(REQUESTS);
    const ours = this.pools.ours();
    const toStart: string[] = [];
    const present = new Set(ids);
    await inBatches(ids, async (id) => {
      const got = await zk.getIfExists(requestPath(id));
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
        });
      } catch (err) {
        this.requestVersions.delete(requestId); // try again next tick
        this.logger.warn({ requestId, err }, 'could not start request workflow');
      }
    });
    const gone = [...this.requestVersions.keys()].filter((id) => !present.has(id));
    await inBatches(gone, async (requestId) => {
      this.requestVersions.delete(requestId);
      await this.signal(workflowIds.request(requestId), async (h) => h.signal(requestWithdrawnSignal));
    });
  }

  private async pollNodes(): Promise<void> {
    const zk = this.zk();
    const ids = await this.children(NODES);
    const next = new Map<string, Node>();
    await inBatches(ids, async (id) => {
      const got = await zk.getIfExists(nodePath(id));
      if (!got || got.data.length === 0) return;
      try {
        next.set(id, decodeNode(id, got.data));
      } catch {
        // malformed node znodes must not stop launches (Nodepool test_node_launch_with_broken_znodes)
      }
    });
    const previous = this.nodeCache;
    this.nodeCache = next;
    this.gauges?.update([...next.values()], this.config());
    const ourProviders = new Set(Object.values(this.config().providers).filter((p) => p.driver === 'openstack').map((p) => p.name));
    const changed = [...next.values()].filter((n) => {
      const before = previous.get(n.id);
      return n.provider !== null && ourProviders.has(n.provider) && (!before || before.state !== n.state || before.allocated_to !== n.allocated_to);
    });
    await inBatches(changed, (n) => this.tellNode(n));
    const vanished = [...previous.values()].filter((n) => !next.has(n.id) && n.provider !== null && ourProviders.has(n.provider));
    await inBatches(vanished, async (n) => {
      const ev: NodeStateEvent = { exists: false, state: null, allocatedTo: null, stateTime: null };
      await this.signal(workflowIds.node(n.id), async (h) => h.signal(nodeStateSignal, ev));
    });
  }

  private async tellNode(n: Node): Promise<void> {
    const ev: NodeStateEvent = { exists: true, state: n.state, allocatedTo: n.allocated_to, stateTime: n.state_time };
    const workflowId = workflowIds.node(n.id);
    if (n.state === 'init' || n.state === 'building') {
      // its launch workflow is starting: never race it with an adopting one
      await this.signal(workflowId, async (h) => h.signal(nodeStateSignal, ev));
      return;
    }
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
