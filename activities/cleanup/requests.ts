// ZooKeeper-wide housekeeping (zk-protocol.md §1.10–1.11): lost requests (pending, unlocked,
// and no node workflow of ours carrying it: a running one only lost its lock for the heartbeat
// timeout and takes it back) go back to `requested`; request-lock parents of vanished
// requests older than Nodepool's 8 h are removed.
import { type Client } from '@temporalio/client';
import { type ZkSession } from '../../lib/zk/session';
import { cleanupRequestLocks, LOCK_CLEANUP_MS, resetLostRequests } from '../../lib/zk/operations/cleanup';
import { type CleanupAction, type CleanupTaskReport } from './types';
import { isCarried } from './workflows';

export async function lostRequests(zk: ZkSession, client: Client, log: (a: CleanupAction) => void, pending?: () => Promise<string[]>): Promise<CleanupTaskReport> {
  const reset = await resetLostRequests(zk, { skip: (id) => isCarried(client, id), candidates: pending });
  const done = reset.map((id) => ({ kind: 'request-reset', id, reason: 'pending with no lock and no node workflow carrying it' }));
  done.forEach(log);
  return { ok: true, found: done.length, done };
}

export async function requestLocks(zk: ZkSession, log: (a: CleanupAction) => void, maxAgeMs = LOCK_CLEANUP_MS): Promise<CleanupTaskReport> {
  const removed = await cleanupRequestLocks(zk, maxAgeMs);
  const done = removed.map((id) => ({ kind: 'request-lock', id, reason: `request gone, lock older than ${maxAgeMs / 3_600_000} h` }));
  done.forEach(log);
  return { ok: true, found: done.length, done };
}
