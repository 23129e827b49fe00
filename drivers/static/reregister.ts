// A used static node comes straight back: Nodepool 11's NodeDeleter.delete followed by the
// static provider's nodeDeletedNotification. The host is never touched; the used znode is
// deleted and, if the host and slot are still configured, a fresh READY znode (new id) is
// registered for the same slot.
import { type StaticProvider } from '../../lib/config/types';
import { type Node } from '../../lib/model/node';
import { setNodeState } from '../../lib/zk/codec-node';
import { type ZkLock } from '../../lib/zk/lock';
import { deleteNode, lockNode, readNode, storeNode } from '../../lib/zk/operations/nodes';
import { type ZkSession } from '../../lib/zk/session';
import { HostFacts, registerSlot, type Skipped, type SlotRef } from './registrar';
import { readProviderNodes } from './registered';
import { resolvePublicIp, type HostResolver } from './resolve';
import { type HostScanner } from './host-check';
import { configuredHosts, describeNode, nodeHostKey, slotTable } from './slots';

export interface ReregisterOptions {
  scan: HostScanner;
  resolve?: HostResolver;
  /** The node's lock if the caller holds it (as Nodepool's deleted-node worker does); otherwise taken without waiting. */
  lock?: ZkLock;
}

export interface ReregisterResult {
  /** The used znode is gone. */
  deleted: boolean;
  /** The fresh READY znode for the slot, if one was registered. */
  registered: SlotRef | null;
  /** Why nothing (more) was done. */
  skipped: Skipped | null;
}

/**
 * Deletes node `id` of a static provider and re-registers its slot. Which states to delete is
 * the caller's call (Nodepool: used, or unlocked in-use/failed/…, or the CLI's `delete`).
 * `provider` null: the provider left the config, so the znode is only deleted.
 */
export async function reregisterUsedSlot(s: ZkSession, provider: StaticProvider | null, id: string, opts: ReregisterOptions): Promise<ReregisterResult> {
  const lock = opts.lock ?? (await lockNode(s, id, { blocking: false }));
  if (!lock) return { deleted: false, registered: null, skipped: { host: '?', nodeId: id, reason: 'locked' } };
  let node: Node;
  try {
    const cur = await readNode(s, id);
    if (!cur) return { deleted: false, registered: null, skipped: { host: '?', nodeId: id, reason: 'vanished' } };
    node = cur.value;
    // NodeDeleter.delete: DELETING first (nothing to destroy for a static host), then DELETED
    // and the recursive removal, which takes the lock with it.
    setNodeState(node, 'deleting');
    await storeNode(s, node, cur.version);
    await deleteNode(s, node);
  } finally {
    await lock.release(); // after the delete its contender is gone already: this only forgets it
  }
  return refillSlot(s, provider, node, opts);
}

/**
 * nodeDeletedNotification: after static node `node` (as it was) is deleted, a fresh READY
 * znode for its slot if the host and slot are still configured. Callers serialise it per
 * provider with the syncs.
 */
export async function refillSlot(s: ZkSession, provider: StaticProvider | null, node: Node, opts: Pick<ReregisterOptions, 'scan' | 'resolve'>): Promise<ReregisterResult> {
  const ref = { host: describeNode(node), nodeId: node.id, slot: node.slot };
  const done = (reason: string): ReregisterResult => ({ deleted: true, registered: null, skipped: { ...ref, reason } });

  // check by check
  if (!provider) return done('provider no longer configured');
  const host = configuredHosts(provider).get(nodeHostKey(node));
  if (!host) return done('host no longer configured');
  if (node.slot === null) return done('node has no slot');
  // Left over from a lowered max-parallel-jobs: it was in use then, now it just goes.
  if (node.slot >= host.sn.maxParallelJobs) return done('slot beyond max-parallel-jobs');
  const registered = (await readProviderNodes(s, provider.name)).map((v) => v.value);
  const slots = slotTable(provider, registered).get(nodeHostKey(node));
  // The periodic sync may have filled the slot already.
  if (!slots || slots[node.slot] !== null) return done('slot already registered');
  // The pool recorded on the node, not the host's current one (Nodepool's provider.pools[node.pool]).
  const pool = node.pool === null ? undefined : provider.pools[node.pool];
  if (!pool) return done(`pool ${String(node.pool)} no longer configured`);
  const skipped: Skipped[] = [];
  const facts = new HostFacts(host.sn, opts.scan, opts.resolve ?? resolvePublicIp);
  return { deleted: true, registered: await registerSlot(s, provider.name, pool, facts, node.slot, skipped), skipped: skipped[0] ?? null };
}
