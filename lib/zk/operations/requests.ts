// Reading, writing, submitting and locking node requests (zk-protocol.md §1).
import { type Versioned } from '../../model/common';
import { type NodeRequest } from '../../model/node-request';
import { decodeRequest, encodeRequest } from '../codec-request';
import { isNoNode, ZkError } from '../errors';
import { type AcquireOptions, ZkLock } from '../lock';
import { basename, REQUESTS, requestLockPath, requestPath, requestPrefix } from '../paths';
import { type ZkSession } from '../session';

export async function readRequest(s: ZkSession, id: string): Promise<Versioned<NodeRequest> | null> {
  const got = await s.getIfExists(requestPath(id));
  if (!got || got.data.length === 0) return null;
  return { value: decodeRequest(id, got.data), version: got.stat.version };
}

/** All request ids (Nodepool-style and others). */
export async function requestIds(s: ZkSession): Promise<string[]> {
  try {
    return await s.getChildren(REQUESTS);
  } catch (e) {
    if (isNoNode(e)) return [];
    throw e;
  }
}

/**
 * Rewrites the whole request as NP24 storeNodeRequest does: refuses to re-create a request that
 * is gone (Zuul cancelled it). Pass a version for compare-and-set; returns the new version.
 */
export async function storeRequest(s: ZkSession, r: NodeRequest, version = -1): Promise<number> {
  const path = requestPath(r.id);
  if (version === -1 && !(await s.exists(path))) throw new ZkError('NO_NODE', -101, path, `request ${r.id} no longer exists`);
  return (await s.set(path, encodeRequest(r), version)).version;
}

export interface SubmitOptions {
  /** The 3-char precedence: Nodepool min-ready 900, metastatic 100, Zuul 100/200/300 (−1 when paused parent). */
  priority?: string | number;
  /** Nodepool's own requests (and Z19's) are ephemeral; Zuul ≥ 5's are persistent. */
  ephemeral?: boolean;
}

/** Creates a request (sequential under /nodepool/requests/<PPP>-); sets and returns r.id. */
export async function submitRequest(s: ZkSession, r: NodeRequest, opts: SubmitOptions = {}): Promise<string> {
  const created = await s.create(requestPrefix(opts.priority ?? '100'), encodeRequest(r), {
    ephemeral: opts.ephemeral ?? true,
    sequential: true,
    makepath: true,
  });
  r.id = basename(created);
  return r.id;
}

/** Lock /nodepool/requests-lock/<id>; launchers lock non-blocking. Returns null when taken. */
export async function lockRequest(s: ZkSession, id: string, opts: AcquireOptions = { blocking: false }): Promise<ZkLock | null> {
  const lock = new ZkLock(s, requestLockPath(id));
  return (await lock.acquire(opts)) ? lock : null;
}

/** Deletes a request (only its requestor does this, or Nodepool for its own min-ready requests). */
export async function deleteRequest(s: ZkSession, id: string): Promise<void> {
  try {
    await s.delete(requestPath(id));
  } catch (e) {
    if (!isNoNode(e)) throw e;
  }
}
