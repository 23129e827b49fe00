// Read-modify-write of nodes and requests through the typed codecs. Writes use the znode
// version read, and retry on a concurrent change, so a field Zuul wrote in between is kept.
import { type Node, type NodeRequest } from '../../lib/model';
import { encodeNode } from '../../lib/zk/codec-node';
import { nodeIds, readNode } from '../../lib/zk/operations/nodes';
import { readRequest } from '../../lib/zk/operations/requests';
import { encodeRequest } from '../../lib/zk/codec-request';
import { isBadVersion, isNoNode } from '../../lib/zk/errors';
import { nodePath, requestPath } from '../../lib/zk/paths';
import { type ZkSession } from '../../lib/zk/session';

export { readNode } from '../../lib/zk/operations/nodes';
export { readRequest } from '../../lib/zk/operations/requests';

/**
 * Applies `change` to the current node and writes it back (compare-and-set). `change` returns
 * false to write nothing. Resolves to the written node, or null when the znode is gone or
 * `change` declined.
 */
export async function updateNode(session: ZkSession, id: string, change: (n: Node) => boolean | void): Promise<Node | null> {
  for (;;) {
    const cur = await readNode(session, id);
    if (!cur) return null;
    if (change(cur.value) === false) return null;
    try {
      await session.set(nodePath(id), encodeNode(cur.value), cur.version);
      return cur.value;
    } catch (e) {
      if (isNoNode(e)) return null;
      if (!isBadVersion(e)) throw e;
    }
  }
}

export async function updateRequest(session: ZkSession, id: string, change: (r: NodeRequest) => boolean | void): Promise<NodeRequest | null> {
  for (;;) {
    const cur = await readRequest(session, id);
    if (!cur) return null;
    if (change(cur.value) === false) return null;
    try {
      await session.set(requestPath(id), encodeRequest(cur.value), cur.version);
      return cur.value;
    } catch (e) {
      if (isNoNode(e)) return null;
      if (!isBadVersion(e)) throw e;
    }
  }
}

/** Every node znode (malformed ones are skipped: they must not stop the launcher). */
export async function listNodes(session: ZkSession): Promise<Node[]> {
  const nodes = await Promise.all(
    (await nodeIds(session)).map(async (id) => {
      try {
        return (await readNode(session, id))?.value ?? null;
      } catch {
        return null;
      }
    }),
  );
  return nodes.filter((n): n is Node => n !== null);
}
