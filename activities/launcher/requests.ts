// Writes to a request the workflow holds the lock for: decline (declined_by, then `failed` once
// every registered pool declined), fulfil in Nodepool's write order (unlock the nodes, write the
// request, unlock the request), hand it back to the queue, and let go of a withdrawn request.
import { setRequestState } from '../../lib/zk/codec-request';
import { type ZkSession } from '../../lib/zk/session';
import { log } from '../../lib/log';
import { readRequest, updateRequest } from './store';
import { deallocateNode } from '../../lib/zk/operations/nodes';
import { registeredPools } from './pools';
import { deleteContenders, holdsLock, takeBackFreeLock } from './locks';
import { readNode } from './store';
import { type LauncherContext } from './context';
import type { DeclineInput, DeclineResult, FulfilInput, FulfilResult, HeldNode, ReleaseLockInput } from './api';

export const MIN_READY_REQUESTOR = 'NodePool:min-ready';

const logger = log('request');

/** Reused nodes go free: deallocated only while our contender still holds the lock. */
/**
 * A node a fulfilled request was given keeps it: Zuul may be taking it. A carrier re-run after a
 * crash (its fulfilment done but not recorded) must not free it for someone else.
 */
export const keepFulfilled = (zk: ZkSession) => async (requestId: string): Promise<boolean> => (await readRequest(zk, requestId))?.value.state === 'fulfilled';

async function freeNodes(zk: ZkSession, nodes: HeldNode[]): Promise<void> {
  for (const h of nodes) {
    await deallocateNode(zk, h.nodeId, { ours: await holdsLock(zk, h.lock), keep: keepFulfilled(zk) });
    await deleteContenders(zk, h.lock);
  }
}

const sameNodes = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Whether the request lock is ours to write under. After the launcher that claimed the request is
 * killed, our contender dies with its session, and nothing takes it back before this step: the
 * request lock has no holder activity (LAUNCH_LOCKS_UNHELD in workflows/lib/request-carrier.ts;
 * in older histories the holder's retry takes it back only once the workflow answers its "still
 * wanted?" query, which it cannot while the very workflow task that runs this step is open). So a
 * lock nobody holds, on a request still `pending` whose nodes (the ones we bring) are allocated to
 * it, is taken back here: no one else can have accepted it (admission takes only `requested`
 * ones, lost-request cleanup leaves a request its lead still carries).
 */
async function requestLockIsOurs(zk: ZkSession, requestId: string, lock: ReleaseLockInput, nodeIds: string[]): Promise<boolean> {
  if (await holdsLock(zk, lock)) return true;
  const cur = await readRequest(zk, requestId);
  if (cur?.value.state !== 'pending') return false;
  for (const id of nodeIds) if ((await readNode(zk, id))?.value.allocated_to !== requestId) return false;
  // under the lock: still pending (a reset between the read and the lock is seen there)
  if ((await takeBackFreeLock(zk, lock, async () => (await readRequest(zk, requestId))?.value.state === 'pending')) !== 'taken') return false;
  logger.info({ requestId }, 'request lock taken back after its session ended');
  return true;
}

export function createRequestActivities(ctx: LauncherContext) {
  return {
    async declineRequest(input: DeclineInput): Promise<DeclineResult> {
      const zk = ctx.zk();
      await freeNodes(zk, input.nodes);
      if (!(await requestLockIsOurs(zk, input.requestId, input.requestLock, []))) {
        logger.info({ requestId: input.requestId, reason: input.reason }, 'not declining: the request lock is no longer ours');
        return (await readRequest(zk, input.requestId)) ? 'requested' : 'gone';
      }
      const registered = await registeredPools(zk);
      const r = await updateRequest(zk, input.requestId, (req) => {
        for (const p of input.pools) if (!req.declined_by.includes(p.id)) req.declined_by.push(p.id);
        // failed only once every pool registered right now has declined it
        const all = registered.length > 0 && registered.every((p) => req.declined_by.includes(p.id));
        setRequestState(req, all ? 'failed' : 'requested');
      });
      await deleteContenders(zk, input.requestLock);
      logger.info({ requestId: input.requestId, reason: input.reason, result: r?.state ?? 'gone' }, 'declined node request');
      return r ? (r.state as 'requested' | 'failed') : 'gone';
    },

    async fulfilRequest(input: FulfilInput): Promise<FulfilResult> {
      const zk = ctx.zk();
      const cur = await readRequest(zk, input.requestId);
      if (!cur) {
        await deleteContenders(zk, input.requestLock);
        return 'gone';
      }
      // a re-run after a crash: the first run fulfilled it (and let go of every lock)
      if (cur.value.state === 'fulfilled' && sameNodes(cur.value.nodes, input.nodeIds)) return 'fulfilled';
      if (!(await requestLockIsOurs(zk, input.requestId, input.requestLock, input.nodeIds))) return 'lost';
      // 1. unlock the nodes first, so Zuul does not wait on them
      for (const l of input.nodeLocks) await deleteContenders(zk, l);
      // 2. the request, nodes in node_types order
      const r = await updateRequest(zk, input.requestId, (req) => {
        req.nodes = [...input.nodeIds];
        setRequestState(req, 'fulfilled');
      });
      // 3. the request lock
      await deleteContenders(zk, input.requestLock);
      if (r) logger.info({ requestId: input.requestId, nodes: input.nodeIds }, 'fulfilled node request');
      return r ? 'fulfilled' : 'gone';
    },

    async abandonRequest(input: { requestId: string; nodes: HeldNode[]; requestLock: ReleaseLockInput }): Promise<void> {
      const zk = ctx.zk();
      await freeNodes(zk, input.nodes);
      await deleteContenders(zk, input.requestLock);
      logger.info({ requestId: input.requestId }, 'node request withdrawn; nodes freed');
    },

    /**
     * Hands an accepted request back to the queue: reused nodes deallocated and unlocked, the
     * request `requested` again (nodes cleared), then unlocked. Admission takes it again, in order.
     */
    async returnRequest(input: { requestId: string; reason: string; nodes: HeldNode[]; requestLock: ReleaseLockInput }): Promise<void> {
      const zk = ctx.zk();
      await freeNodes(zk, input.nodes);
      if (!(await requestLockIsOurs(zk, input.requestId, input.requestLock, []))) return void logger.info({ requestId: input.requestId }, 'not handing back: the request lock is no longer ours');
      const r = await updateRequest(zk, input.requestId, (req) => {
        if (req.state !== 'pending') return false;
        req.nodes = [];
        setRequestState(req, 'requested');
      });
      await deleteContenders(zk, input.requestLock);
      logger.info({ requestId: input.requestId, reason: input.reason, result: r ? 'requested' : 'unchanged' }, 'handed node request back to the queue');
    },
  };
}
