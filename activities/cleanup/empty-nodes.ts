// Empty node znodes (nodepool-behaviour.md §2.13 step 6, test_empty_node_deleted): a lock taken
// on a node that was just deleted re-creates its parent with no data. Nothing writes a node
// znode without data, so one that stayed empty for a while is garbage; its lock must be free.
import { type ZkSession } from '../../lib/zk/session';
import { isLocked } from '../../lib/zk/lock';
import { isNoNode } from '../../lib/zk/errors';
import { NODES, nodeLockPath, nodePath } from '../../lib/zk/paths';
import { type CleanupAction, type CleanupTaskReport } from './types';

/** How long an empty node znode is left alone (a racing lock holder is done by then). */
export const EMPTY_NODE_AGE_MS = 10_000;

export async function emptyNodes(zk: ZkSession, log: (a: CleanupAction) => void, now = Date.now()): Promise<CleanupTaskReport> {
  let ids: string[];
  try {
    ids = await zk.getChildren(NODES);
  } catch (e) {
    if (isNoNode(e)) return { ok: true, found: 0, done: [] };
    throw e;
  }
  const done: CleanupAction[] = [];
  let found = 0;
  for (const id of ids) {
    const got = await zk.getIfExists(nodePath(id));
    if (!got || got.data.length > 0) continue;
    found++;
    if (now - got.stat.mtime < EMPTY_NODE_AGE_MS || (await isLocked(zk, nodeLockPath(id)))) continue;
    await zk.deleteRecursive(nodePath(id));
    const action = { kind: 'empty-node', id, reason: 'node znode without data' };
    log(action);
    done.push(action);
  }
  return { ok: true, found, done };
}
