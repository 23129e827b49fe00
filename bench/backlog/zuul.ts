// Zuul for bench/backlog.ts: submits one-node requests the way Zuul writes them, follows each
// with a data watch (no polling: one read per change), and when asked to, accepts fulfilled
// requests as Zuul does (zk-protocol.md §1.8, §6 items 20–25): lock each node (blocking, 30 s),
// check allocated_to, delete the request, set the node in-use, then used, and unlock.
import { encodeRequest, newRequest, decodeRequest } from '../../lib/zk/codec-request';
import { setNodeState } from '../../lib/zk/codec-node';
import { ZkLock } from '../../lib/zk/lock';
import { isNoNode } from '../../lib/zk/errors';
import { readNode } from '../../lib/zk/operations/nodes';
import { basename, nodeLockPath, requestPath, requestPrefix } from '../../lib/zk/paths';
import { type ZkSession } from '../../lib/zk/session';
import { updateNode } from '../../activities/launcher/store';

export type TrackedState = 'requested' | 'pending' | 'fulfilled' | 'failed' | 'gone' | 'served' | 'refused';

export class ZuulStandIn {
  /** Every submitted request in submission (= sequence) order. */
  readonly ids: string[] = [];
  readonly states = new Map<string, TrackedState>();
  readonly nodesOf = new Map<string, string[]>();
  /** When we first saw each request fulfilled (local clock, ms). */
  readonly fulfilledAt = new Map<string, number>();
  /** Watch events on request znodes (each is one write we noticed, at most one per re-arm). */
  watchEvents = 0;
  served = 0;
  /** Accept failed: node not allocated to it, or its lock not had within 30 s. */
  refused = 0;
  failed = 0;
  lastServedAt = 0;
  private draining = false;
  private inFlight = new Set<Promise<void>>();
  private onProgress?: () => void;

  constructor(private readonly zk: ZkSession) {}

  /** Creates one request like Zuul does (priority 200, persistent, sequential); returns its id. */
  async submit(label: string): Promise<string> {
    const req = newRequest({ node_types: [label], requestor: 'bench', created_time: Date.now() / 1000, event_id: null, tenant_name: null });
    const id = basename(await this.zk.create(requestPrefix(200), encodeRequest(req), { sequential: true, makepath: true }));
    this.ids.push(id);
    this.states.set(id, 'requested');
    return id;
  }

  /** Arms a data watch on every request (reads each once), `concurrency` reads in flight. */
  async watchAll(concurrency = 200): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < this.ids.length) await this.read(this.ids[next++] as string);
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  count(state: TrackedState): number {
    let n = 0;
    for (const s of this.states.values()) if (s === state) n++;
    return n;
  }

  /** The oldest request still waiting for the launcher (requested or pending). */
  oldestWaiting(): string | undefined {
    return this.ids.find((id) => {
      const s = this.states.get(id);
      return s === 'requested' || s === 'pending';
    });
  }

  get finished(): number {
    return this.served + this.refused + this.failed;
  }

  /** From now on accept every fulfilled request (those already fulfilled at once). */
  startDraining(onProgress?: () => void): void {
    this.draining = true;
    this.onProgress = onProgress;
    for (const id of this.ids) this.react(id);
  }

  /** Waits for accepts that are under way. */
  async settle(): Promise<void> {
    this.draining = false;
    await Promise.allSettled([...this.inFlight]);
  }

  private read(id: string): Promise<void> {
    return this.zk
      .getIfExists(requestPath(id), (e) => {
        this.watchEvents++;
        if (e.type === 'deleted') this.setState(id, 'gone');
        else void this.read(id);
      })
      .then((got) => {
        if (!got) return this.setState(id, 'gone');
        const req = decodeRequest(id, got.data);
        if (req.state === 'fulfilled') this.nodesOf.set(id, req.nodes);
        this.setState(id, req.state);
      })
      .catch(() => undefined);
  }

  private setState(id: string, state: TrackedState): void {
    const cur = this.states.get(id);
    // our own outcomes are final; a late read of a request we deleted says nothing new
    if (cur === 'served' || cur === 'refused' || (cur === 'failed' && state === 'gone')) return;
    if (cur === 'fulfilled' && (state === 'gone' || state === 'fulfilled')) return;
    this.states.set(id, state);
    if (state === 'fulfilled' && !this.fulfilledAt.has(id)) this.fulfilledAt.set(id, Date.now());
    this.react(id);
  }

  private react(id: string): void {
    if (!this.draining) return;
    const state = this.states.get(id);
    if (state !== 'fulfilled' && state !== 'failed') return;
    // mark it ours at once so a second watch event does not start a second accept
    const p = state === 'fulfilled' ? this.accept(id) : this.dropFailed(id);
    this.inFlight.add(p);
    void p.finally(() => {
      this.inFlight.delete(p);
      this.onProgress?.();
    });
  }

  private async dropFailed(id: string): Promise<void> {
    this.states.set(id, 'refused');
    this.failed++;
    await this.zk.delete(requestPath(id)).catch(() => undefined);
  }

  private async accept(id: string): Promise<void> {
    this.states.set(id, 'served');
    const nodes = this.nodesOf.get(id) ?? [];
    const locks: ZkLock[] = [];
    try {
      for (const nodeId of nodes) {
        const before = await readNode(this.zk, nodeId);
        if (before?.value.allocated_to !== id) throw new Error(`node ${nodeId} not allocated to ${id}`);
        const lock = new ZkLock(this.zk, nodeLockPath(nodeId));
        if (!(await lock.acquire({ blocking: true, timeoutMs: 30_000 }))) throw new Error(`node ${nodeId}: no lock within 30 s`);
        locks.push(lock);
        const after = await readNode(this.zk, nodeId);
        if (after?.value.allocated_to !== id) throw new Error(`node ${nodeId} reallocated while we locked it`);
      }
      await this.zk.delete(requestPath(id)).catch((e: unknown) => {
        if (!isNoNode(e)) throw e;
      });
      // the job starts and ends at once
      for (const nodeId of nodes) await updateNode(this.zk, nodeId, (n) => setNodeState(n, 'in-use'));
      for (const nodeId of nodes) await updateNode(this.zk, nodeId, (n) => (n.state === 'in-use' ? setNodeState(n, 'used') : false));
      this.served++;
      this.lastServedAt = Date.now();
    } catch (err) {
      this.states.set(id, 'refused');
      this.refused++;
      console.error(`accept ${id} failed: ${(err as Error).message}`);
      await this.zk.delete(requestPath(id)).catch(() => undefined);
    } finally {
      for (const lock of locks) await lock.release().catch(() => undefined);
    }
  }
}
