// Reading, writing, creating, locking and deleting nodes (zk-protocol.md §2).
import { type Versioned } from '../../model/common';
import { type Node } from '../../model/node';
import { decodeNode, encodeNode, setNodeState } from '../codec-node';
import { isNoNode, ZkError } from '../errors';
import { type AcquireOptions, ZkLock } from '../lock';
import { basename, NODE_PREFIX, NODES, nodeLockPath, nodePath } from '../paths';
import { type ZkSession } from '../session';

export async function readNode(s: ZkSession, id: string): Promise<Versioned<Node> | null> {
  const got = await s.getIfExists(nodePath(id));
  if (!got || got.data.length === 0) return null;
  return { value: decodeNode(id, got.data), version: got.stat.version };
}

export async function nodeIds(s: ZkSession): Promise<string[]> {
  try {
    return await s.getChildren(NODES);
  } catch (e) {
    if (isNoNode(e)) return [];
    throw e;
  }
}

/**
 * NP24 storeNode: a node without id is created (sequential, created_time = state_time),
 * otherwise the whole document is replaced. Returns the new data version.
 */
export async function storeNode(s: ZkSession, n: Node, version = -1): Promise<number> {
  if (!n.id) {
    n.created_time = n.state_time;
    const created = await s.create(NODE_PREFIX, encodeNode(n), { sequential: true, makepath: true });
    n.id = basename(created);
    return 0;
  }
  return (await s.set(nodePath(n.id), encodeNode(n), version)).version;
}

export async function lockNode(s: ZkSession, id: string, opts: AcquireOptions = { blocking: false }, identifier = ''): Promise<ZkLock | null> {
  const lock = new ZkLock(s, nodeLockPath(id), identifier);
  return (await lock.acquire(opts)) ? lock : null;
}

/**
 * Clears a READY node's allocated_to under its lock: the caller's (`ours`: its contender holds
 * it already) or taken without waiting. Someone else holding it — Zuul, which took the node of a
 * request we fulfilled and then deleted — means the node is theirs: false, nothing written.
 * `keep(requestId)` re-checks under the lock whether to leave the allocation after all.
 */
export async function deallocateNode(s: ZkSession, id: string, opts: { ours?: boolean; keep?: (requestId: string) => Promise<boolean> } = {}): Promise<boolean> {
  const taken = opts.ours ? null : await lockNode(s, id, { blocking: false });
  if (!opts.ours && !taken) return false;
  try {
    const cur = await readNode(s, id);
    const requestId = cur?.value.allocated_to;
    if (!cur || cur.value.state !== 'ready' || !requestId || (await opts.keep?.(requestId))) return false;
    cur.value.allocated_to = null;
    await storeNode(s, cur.value, cur.version);
    return true;
  } finally {
    await taken?.release();
  }
}

/**
 * A new node for a request, the NP24 way: store it `init` (unlocked init nodes are never
 * cleaned up by launchers), lock it, and only then move it to `building` — an unlocked
 * `building` node would be deleted as an orphan.
 */
export async function createNodeLocked(s: ZkSession, n: Node, lockTimeoutMs = 10_000): Promise<{ node: Node; lock: ZkLock; version: number }> {
  n.id = '';
  setNodeState(n, 'init');
  await storeNode(s, n);
  const lock = await lockNode(s, n.id, { blocking: true, timeoutMs: lockTimeoutMs });
  if (!lock) throw new ZkError('TIMEOUT', 0, nodeLockPath(n.id), `could not lock new node ${n.id}`);
  setNodeState(n, 'building');
  const version = await storeNode(s, n, 0);
  return { node: n, lock, version };
}

/**
 * NP24 deleteNode: mark it `deleted` (so a racing reader that sees the lock vanish knows why),
 * then delete it recursively — the lock parent and any contenders go with it.
 */
export async function deleteNode(s: ZkSession, n: Node): Promise<void> {
  setNodeState(n, 'deleted');
  try {
    await s.set(nodePath(n.id), encodeNode(n));
  } catch (e) {
    if (isNoNode(e)) return;
    throw e;
  }
  await s.deleteRecursive(nodePath(n.id));
}

/** Deletes a node znode and everything under it without touching its data (empty znodes). */
export async function deleteRawNode(s: ZkSession, id: string): Promise<void> {
  await s.deleteRecursive(nodePath(id));
}
