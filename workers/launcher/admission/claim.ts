// Accepting a request for a pool in one atomic ZooKeeper write: under the request lock (and the
// locks of the READY nodes it reuses), one multi-op sets the request `pending`, allocates the
// reused nodes, creates the `init` nodes to launch, and bumps the provider's claims counter.
// The counter is what keeps two launcher processes on the same config from both taking a
// pool's last slot: a claim made from a stale view of the provider's nodes fails as a whole,
// and the caller catches up with ZooKeeper and plans again. Nothing is half-done on failure.
import { randomUUID } from 'node:crypto';
import { type Node, type NodeRequest } from '../../../lib/model';
import { encodeNode, newNode } from '../../../lib/zk/codec-node';
import { encodeRequest, setRequestState } from '../../../lib/zk/codec-request';
import { RawJson } from '../../../lib/zk/json';
import { isBadVersion, isNoNode, isNodeExists } from '../../../lib/zk/errors';
import { ZkLock } from '../../../lib/zk/lock';
import { readNode } from '../../../lib/zk/operations/nodes';
import { readRequest } from '../../../lib/zk/operations/requests';
import { basename, NODE_PREFIX, nodeLockPath, nodePath, requestLockPath, requestPath } from '../../../lib/zk/paths';
import { type MultiOp, type ZkSession } from '../../../lib/zk/session';
import { isCloudPool, type OurPool } from '../../../activities/launcher/pools';
import { MIN_READY_REQUESTOR } from '../../../activities/launcher/requests';
import type { AcceptedRequest, ClaimedSlot } from '../../../activities/launcher/api';
import { type SlotPlan } from './capacity';

/** Our own znodes, outside Nodepool's tree: one claims counter per provider. */
export const CLAIMS_ROOT = '/temporal-nodepool/claims';
export const claimsPath = (provider: string): string => `${CLAIMS_ROOT}/${encodeURIComponent(provider)}`;

export type ClaimOutcome =
  | { kind: 'accepted'; request: AcceptedRequest; lockToken: string; slots: ClaimedSlot[] }
  /** Someone else holds the request lock (another launcher, or Zuul revising it). */
  | { kind: 'busy' }
  /** The request is no longer ours to take (or changed): look at it again from the cache. */
  | { kind: 'changed'; why: string }
  /** A node to reuse was locked or changed: plan again without it. */
  | { kind: 'node-taken'; nodeId: string }
  /** Another launcher claimed in this provider since our last look: catch up and plan again. */
  | { kind: 'conflict' };

const token = (): string => randomUUID().replace(/-/g, '');

export class Claims {
  /** The claims counter version we last wrote or saw, per provider. */
  private readonly versions = new Map<string, number>();

  constructor(
    private readonly zk: () => ZkSession,
    private readonly hostname: string,
    /** Tells the caches about znodes we wrote, before their watches fire. */
    private readonly noted: { node(n: Node, version: number): void; request(r: NodeRequest, version: number): void },
  ) {}

  /** The provider's counter version as ZooKeeper has it now (creating the znode if missing). */
  async refreshVersion(provider: string): Promise<number> {
    const zk = this.zk();
    const path = claimsPath(provider);
    let got = await zk.getIfExists(path);
    if (!got) {
      try {
        await zk.create(path, Buffer.from('{}'), { makepath: true });
      } catch (e) {
        if (!isNodeExists(e)) throw e;
      }
      got = await zk.get(path);
    }
    this.versions.set(provider, got.stat.version);
    return got.stat.version;
  }

  /** Whether we know the provider's counter version (else: refreshVersion, then catch up on nodes). */
  knows(provider: string): boolean {
    return this.versions.has(provider);
  }

  /** Forget every version (a new ZooKeeper session: catch up again before the next claim). */
  reset(): void {
    this.versions.clear();
  }

  async accept(pool: OurPool, req: NodeRequest, slots: SlotPlan[], az: string | null): Promise<ClaimOutcome> {
    const zk = this.zk();
    const held: ZkLock[] = [];
    const releaseAll = () => Promise.all(held.map((l) => l.release().catch(() => undefined)));
    try {
      const requestToken = token();
      const requestLock = new ZkLock(zk, requestLockPath(req.id), requestToken);
      if (!(await requestLock.acquire({ blocking: false }))) return { kind: 'busy' };
      held.push(requestLock);
      // re-read under the lock, as Nodepool does: it may have changed since the cache saw it
      const cur = await readRequest(zk, req.id);
      if (!cur) return (await releaseAll(), { kind: 'changed', why: 'request is gone' });
      if (cur.value.state !== 'requested') return (await releaseAll(), { kind: 'changed', why: `state is ${cur.value.state}` });
      if (cur.value.declined_by.includes(pool.id)) return (await releaseAll(), { kind: 'changed', why: 'already declined by this pool' });

      const ops: MultiOp[] = [];
      const version = this.versions.get(pool.provider);
      if (version === undefined) throw new Error(`claims version of ${pool.provider} not read yet`);
      const stamp = Buffer.from(JSON.stringify({ hostname: this.hostname, request: req.id, time: Date.now() / 1000 }));
      ops.push({ op: 'set', path: claimsPath(pool.provider), data: stamp, version });
      const pending = cur.value;
      setRequestState(pending, 'pending');
      ops.push({ op: 'set', path: requestPath(req.id), data: encodeRequest(pending), version: cur.version });

      const claimed: ClaimedSlot[] = [];
      const reused: Node[] = [];
      const launched: Node[] = [];
      for (const slot of slots) {
        if (slot.reuse) {
          const nodeToken = token();
          const lock = new ZkLock(zk, nodeLockPath(slot.reuse.id), nodeToken);
          if (!(await lock.acquire({ blocking: false }))) return (await releaseAll(), { kind: 'node-taken', nodeId: slot.reuse.id });
          held.push(lock);
          const n = await readNode(zk, slot.reuse.id);
          if (!n || n.value.state !== 'ready' || n.value.allocated_to) return (await releaseAll(), { kind: 'node-taken', nodeId: slot.reuse.id });
          Object.assign(n.value, { allocated_to: req.id, tenant_name: pending.tenant_name, requestor: pending.requestor });
          ops.push({ op: 'set', path: nodePath(n.value.id), data: encodeNode(n.value), version: n.version });
          reused.push(n.value);
          claimed.push({ label: slot.label, nodeId: n.value.id, reused: true, lockToken: nodeToken });
        } else {
          const node = newNode({
            state: 'init',
            provider: pool.provider,
            pool: pool.pool,
            type: [slot.label],
            launcher: pool.id,
            allocated_to: req.id,
            tenant_name: pending.tenant_name,
            requestor: pending.requestor,
            attributes: (pool.config.nodeAttributes as Node['attributes']) ?? null,
            cloud: isCloudPool(pool) ? pool.providerConfig.cloud : null,
            region: isCloudPool(pool) ? pool.providerConfig.regionName : null,
            az,
            // Nodepool 11's Node carries node_properties ({} unless a driver sets some) from its first write
            extra: new Map([['node_properties', new RawJson('{}')]]),
          });
          ops.push({ op: 'create', path: NODE_PREFIX, data: encodeNode(node), sequential: true });
          launched.push(node);
          claimed.push({ label: slot.label, nodeId: '', reused: false, lockToken: null });
        }
      }

      let results;
      try {
        results = await zk.multi(ops);
      } catch (e) {
        if (!isBadVersion(e) && !isNoNode(e)) throw e;
        await releaseAll();
        // which version moved? the counter: another launcher claimed; else the request or a node
        if ((await this.refreshVersion(pool.provider)) !== version) return { kind: 'conflict' };
        return { kind: 'changed', why: 'the request or a node changed while accepting' };
      }
      // From here the request is ours: its locks stay (the request workflow adopts them).
      for (const l of held) l.abandon();
      this.versions.set(pool.provider, results[0]?.stat?.version ?? version + 1);
      this.noted.request(pending, results[1]?.stat?.version ?? cur.version + 1);
      let r = 2;
      for (const n of reused) this.noted.node(n, results[r++]?.stat?.version ?? 0);
      let created = 0;
      for (const slot of claimed) {
        if (slot.reused) continue;
        const path = results[r++]?.path ?? '';
        const node = launched[created++] as Node;
        slot.nodeId = basename(path);
        this.noted.node({ ...node, id: slot.nodeId }, 0);
      }
      return {
        kind: 'accepted',
        lockToken: requestToken,
        slots: claimed,
        request: {
          nodeTypes: pending.node_types,
          reuse: pending.reuse,
          requestor: pending.requestor,
          tenantName: pending.tenant_name,
          minReady: pending.requestor === MIN_READY_REQUESTOR,
        },
      };
    } catch (e) {
      await releaseAll();
      throw e;
    }
  }
}
