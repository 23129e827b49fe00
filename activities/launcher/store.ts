// Read-modify-write of nodes and requests through the typed codecs. Writes use the znode
// version read, and retry on a concurrent change, so a field Zuul wrote in between is kept.
import { type Node, type NodeRequest } from '../../lib/model';
import { decodeNode, encodeNode } from '../../lib/zk/codec-node';
import { decodeRequest, encodeRequest } from '../../lib/zk/codec-request';
import { isBadVersion, isNoNode } from '../../lib/zk/errors';
import { NODES, nodePath, requestPath } from '../../lib/zk/paths';
import { type ZkSession } from '../../lib/zk/session';

export interface Versioned<T> {
  value: T;
  version: number;
}

export async function readNode(session: ZkSession, id: string): Promise<Versioned<Node> | null> {
  const r = await session.getIfExists(nodePath(id));
  if (!r || r.data.length === 0) return null;
  return { value: decodeNode(id, r.data), version: r.stat.version };
}

export async function readRequest(session: ZkSession, id: string): Promise<Versioned<NodeRequest> | null> {
  const r = await session.getIfExists(requestPath(id));
  if (!r || r.data.length === 0) return null;
  return { value: decodeRequest(id, r.data), version: r.stat.version };
}

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
  let ids: string[];
  try {
    ids = await session.getChildren(NODES);
  } catch (e) {
    if (isNoNode(e)) return [];
    throw e;
  }
  const nodes = await Promise.all(
    ids.map(async (id) => {
      try {
        return (await readNode(session, id))?.value ?? null;
      } catch {
        return null;
      }
    }),
  );
  return nodes.filter((n): n is Node => n !== null);
}
