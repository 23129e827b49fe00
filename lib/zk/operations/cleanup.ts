// Launcher housekeeping that keeps a shared tree healthy (zk-protocol.md §1.10, §1.11):
// lost requests (pending, lock free) go back to `requested` with their nodes deallocated, and
// request-lock parents of vanished requests are removed after LOCK_CLEANUP.
import { isNoNode } from '../errors';
import { REQUESTS_LOCK, requestLockPath } from '../paths';
import { type ZkSession } from '../session';
import { setNodeState } from '../codec-node';
import { setRequestState } from '../codec-request';
import { lockNode, nodeIds, readNode, storeNode } from './nodes';
import { lockRequest, readRequest, requestIds, storeRequest } from './requests';
import { log } from '../../log';

/** NP24 LOCK_CLEANUP: 8 hours. */
export const LOCK_CLEANUP_MS = 8 * 3600 * 1000;

/**
 * Resets every lost request; returns the ids reset. `skip` leaves a request alone (e.g. one whose
 * durable request workflow is running and only lost its lock for a moment). `candidates` narrows
 * the requests looked at (a backlog of waiting requests need not be read every pass).
 */
export async function resetLostRequests(
  s: ZkSession,
  opts: { skip?: (id: string) => Promise<boolean>; candidates?: () => Promise<string[]> } = {},
): Promise<string[]> {
  const reset: string[] = [];
  // candidates: the ids a cache says are pending (each is read again here), not every request
  for (const id of await (opts.candidates ?? (() => requestIds(s)))()) {
    const r = await readRequest(s, id);
    if (r?.value.state !== 'pending') continue;
    if (opts.skip && (await opts.skip(id))) continue;
    const lock = await lockRequest(s, id, { blocking: false });
    if (!lock) continue; // someone is working on it
    try {
      if (await resetLostRequest(s, id)) reset.push(id);
    } catch (e) {
      log('zk').error({ err: e, request: id }, 'error resetting lost request');
    } finally {
      await lock.release();
    }
  }
  return reset;
}

/** NP24 _resetLostRequest, under the request lock held by the caller. */
async function resetLostRequest(s: ZkSession, id: string): Promise<boolean> {
  const r = await readRequest(s, id);
  if (r?.value.state !== 'pending') return false;
  const req = r.value;
  for (const nid of await nodeIds(s)) {
    const n = await readNode(s, nid);
    if (n?.value.allocated_to !== id) continue;
    const lock = await lockNode(s, nid, { blocking: true, timeoutMs: 10_000 });
    if (!lock) {
      log('zk').warn({ node: nid, request: id }, 'cannot lock node to deallocate it from a lost request');
      return false;
    }
    try {
      const fresh = await readNode(s, nid);
      if (!fresh || fresh.value.allocated_to !== id) continue;
      // an init node means the launcher died between create and lock: it is leaked, delete it
      if (fresh.value.state === 'init') setNodeState(fresh.value, 'deleting');
      fresh.value.allocated_to = null;
      await storeNode(s, fresh.value);
    } finally {
      await lock.release();
    }
  }
  setRequestState(req, 'requested');
  req.nodes = [];
  await storeRequest(s, req);
  log('zk').info({ request: id }, 'reset lost request');
  return true;
}

/** Deletes /nodepool/requests-lock/<id> for requests that are gone, once older than maxAgeMs. */
export async function cleanupRequestLocks(s: ZkSession, maxAgeMs = LOCK_CLEANUP_MS, now = Date.now()): Promise<string[]> {
  let locks: string[];
  try {
    locks = await s.getChildren(REQUESTS_LOCK);
  } catch (e) {
    if (isNoNode(e)) return [];
    throw e;
  }
  const requests = new Set(await requestIds(s));
  const removed: string[] = [];
  for (const id of locks) {
    if (requests.has(id)) continue;
    const stat = await s.exists(requestLockPath(id));
    if (!stat || now - stat.mtime <= maxAgeMs) continue;
    await s.deleteRecursive(requestLockPath(id));
    removed.push(id);
  }
  return removed;
}
