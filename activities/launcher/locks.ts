// Lock-holding activities: how a workflow holds a ZooKeeper lock (an ephemeral znode of a
// launcher's session) for as long as it needs it. holdLock acquires, tells the workflow, and
// stays running while the lock is ours; if its process dies, Temporal retries it after the
// heartbeat timeout and the retry takes the lock back. Our contender carries the workflow's
// token as its data, so a release (or fulfilment) can delete it from any process.
// The fast path: tryLock (a local activity) takes a free lock at once and the workflow goes on;
// holdLock then adopts that contender ("adopt" mode) without a signal round trip.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { isNoNode } from '../../lib/zk/errors';
import { sortContenders, ZkLock } from '../../lib/zk/lock';
import { type ZkSession } from '../../lib/zk/session';
import { lockEventSignal, lockWantedQuery } from '../../workflows/messages';
import type { HoldLockInput, HoldLockResult, ReleaseLockInput } from './api';
import { log } from '../../lib/log';

const HEARTBEAT_MS = 5000;

/** Contender child names (lock order) whose data is this token. */
export async function contendersWithToken(session: ZkSession, lockPath: string, token: string): Promise<Array<{ name: string; owner: bigint }>> {
  let children: string[];
  try {
    children = await session.getChildren(lockPath);
  } catch (e) {
    if (isNoNode(e)) return [];
    throw e;
  }
  const found: Array<{ name: string; owner: bigint }> = [];
  for (const name of sortContenders(children)) {
    const got = await session.getIfExists(`${lockPath}/${name}`);
    if (got && got.data.toString('utf8') === token) found.push({ name, owner: got.stat.ephemeralOwner });
  }
  return found;
}

/**
 * Whether our contender (by token) holds the lock: it is there and first in line. A step re-run
 * after a crash (its first run already let go of the lock) or a lock lost with a session must
 * not write what someone else may have taken since; a holder retried after the crash queues a
 * new contender behind Zuul's, which is not holding.
 */
export async function holdsLock(session: ZkSession, lock: ReleaseLockInput): Promise<boolean> {
  let children: string[];
  try {
    children = sortContenders(await session.getChildren(lock.lockPath));
  } catch (e) {
    if (isNoNode(e)) return false;
    throw e;
  }
  const first = children[0];
  if (!first) return false;
  const got = await session.getIfExists(`${lock.lockPath}/${first}`);
  return got?.data.toString('utf8') === lock.token;
}

/**
 * Takes a lock nobody holds or waits for, with our token, in this session (the contender stays
 * when this returns true; the workflow's holder adopts or replaces it). False if anyone is there.
 */
export async function takeIfFree(session: ZkSession, lock: ReleaseLockInput): Promise<boolean> {
  try {
    if ((await session.getChildren(lock.lockPath)).length > 0) return false;
  } catch (e) {
    if (!isNoNode(e)) throw e;
  }
  return takeAndLeave(session, lock);
}

/**
 * Takes back a lock whose contender died with its session (no holder activity retakes it): a free
 * lock is taken with our token, and kept only if `stillOurs()` — read again under the lock, so a
 * change between the caller's check and the take is seen — still holds. 'busy': someone holds or
 * waits for it; 'changed': we let go again.
 */
export async function takeBackFreeLock(session: ZkSession, lock: ReleaseLockInput, stillOurs: () => Promise<boolean>): Promise<'taken' | 'busy' | 'changed'> {
  if (!(await takeIfFree(session, lock))) return 'busy';
  if (await stillOurs()) return 'taken';
  await deleteContenders(session, lock);
  return 'changed';
}

/** Takes the lock if no one is ahead, leaving our contender with this session for a holder to adopt. */
async function takeAndLeave(session: ZkSession, lock: ReleaseLockInput): Promise<boolean> {
  const zkLock = new ZkLock(session, lock.lockPath, lock.token);
  const got = await zkLock.acquire({ blocking: false });
  if (got) zkLock.abandon();
  return got;
}

/** Deletes our contenders (by token): releases the lock, from any process. */
export async function deleteContenders(session: ZkSession, lock: ReleaseLockInput): Promise<void> {
  for (const c of await contendersWithToken(session, lock.lockPath, lock.token)) {
    try {
      await session.delete(`${lock.lockPath}/${c.name}`);
    } catch (e) {
      if (!isNoNode(e)) throw e;
    }
  }
}

export function createLockActivities(session: () => ZkSession) {
  /**
   * Asks the workflow whether it still wants the lock (false when it is gone or letting go). A
   * query that fails for any other reason (Temporal unreachable, no worker to answer) throws, so
   * the holder is retried: taking "no answer" for "not wanted" would give up a lock the workflow
   * still counts on.
   */
  const wanted = (ctx: Context, input: HoldLockInput): Promise<boolean> =>
    ctx.client.workflow
      .getHandle(input.workflowId)
      .query(lockWantedQuery, input.token)
      .catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      });

  return {
    async holdLock(input: HoldLockInput): Promise<HoldLockResult> {
      const ctx = Context.current();
      const zk = session();
      const retry = ctx.info.attempt > 1;
      const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_MS);
      const lock = new ZkLock(zk, input.lockPath, input.token);
      try {
        if (input.adopt && !retry) {
          const mine = await contendersWithToken(zk, input.lockPath, input.token);
          const first = mine[0];
          if (first) {
            // contenders only ever queue behind existing ones: ours still holds the lock
            if (first.owner === zk.sessionId) {
              lock.adopt(first.name);
              return await hold(zk, lock, ctx);
            }
            return await holdForeign(zk, lock, `${input.lockPath}/${first.name}`, ctx, () => wanted(ctx, input));
          }
          // released before we started (fulfilled already), or lost with its session
          if (!(await wanted(ctx, input))) return { kind: 'released' };
          return (await lock.acquire({ blocking: false })) ? await hold(zk, lock, ctx) : { kind: 'lost' };
        }
        if (retry) {
          // An earlier attempt's contender (its process died or stalled) is ours: clear it; then
          // take the lock back only if the workflow still wants it (it may have been let go of).
          await deleteContenders(zk, input);
          if (!(await wanted(ctx, input))) return { kind: 'released' };
        }
        const acquired = await lock.acquire({ blocking: retry ? false : input.blocking, timeoutMs: input.timeoutMs });
        if (!acquired) return { kind: retry ? 'lost' : 'unavailable' };
        if (!input.adopt) await ctx.client.workflow.getHandle(input.workflowId).signal(lockEventSignal, { token: input.token, state: 'acquired' });
        return await hold(zk, lock, ctx);
      } finally {
        clearInterval(beat);
      }
    },

    async tryLock(input: ReleaseLockInput): Promise<boolean> {
      const zk = session();
      // A retried call may find the contender an earlier try made: the lowest one still holds.
      const mine = await contendersWithToken(zk, input.lockPath, input.token);
      if (mine.length) {
        const order = sortContenders(await zk.getChildren(input.lockPath));
        if (order[0] === mine[0]?.name) return true;
        await deleteContenders(zk, input);
      }
      // the contender stays with this session; the workflow's holder activity adopts it
      return takeAndLeave(zk, input);
    },

    async releaseLock(input: ReleaseLockInput): Promise<void> {
      await deleteContenders(session(), input);
    },
  };
}

/**
 * Calls `gone` once the znode is deleted (or found missing), re-arming the one-shot exists watch
 * on other events while `watching()`; `failed` when a watch cannot be set.
 */
function whenDeleted(zk: ZkSession, path: string, watching: () => boolean, gone: () => void, failed: (err: unknown) => void): void {
  zk.exists(path, (ev) => {
    if (ev.type === 'deleted') gone();
    else if (watching()) whenDeleted(zk, path, watching, gone, failed);
  })
    .then((stat) => (stat ? undefined : gone()))
    .catch(failed);
}

/**
 * Holds a contender another process's session made (its worker ran tryLock; we got the holder
 * activity). Its deletion is either a release (the workflow no longer wants the lock) or that
 * session's end (it still does: take the lock in our own session and hold it from here).
 */
function holdForeign(zk: ZkSession, lock: ZkLock, contender: string, ctx: Context, wanted: () => Promise<boolean>): Promise<HoldLockResult> {
  return new Promise<HoldLockResult>((resolve, reject) => {
    let done = false;
    const onGone = () => {
      if (done) return;
      done = true;
      wanted()
        .then(async (w) => {
          if (!w) return resolve({ kind: 'released' });
          if (!(await lock.acquire({ blocking: false }))) return resolve({ kind: 'lost' });
          resolve(await hold(zk, lock, ctx));
        })
        .catch(reject);
    };
    whenDeleted(zk, contender, () => !done, onGone, (err) => {
      done = true;
      reject(err instanceof Error ? err : new Error(String(err)));
    });
    ctx.cancelled.catch(() => {
      if (done) return;
      done = true;
      zk.delete(contender).then(
        () => resolve({ kind: 'released' }),
        () => resolve({ kind: 'released' }),
      );
    });
  });
}

/** Resolves 'released' once our contender is deleted on purpose; throws (retry) if the session dies. */
function hold(zk: ZkSession, lock: ZkLock, ctx: Context): Promise<HoldLockResult> {
  const contender = lock.nodePath as string;
  return new Promise<HoldLockResult>((resolve, reject) => {
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      fn();
    };
    lock.once('lost', () =>
      finish(() => reject(ApplicationFailure.retryable(`lock ${lock.path} lost with the ZooKeeper session`, 'LockLost'))),
    );
    // deferred a tick: a contender gone with the session is 'lost' (that event comes first), not released
    whenDeleted(
      zk,
      contender,
      () => !done,
      () => setTimeout(() => (lock.isLost ? undefined : finish(() => resolve({ kind: 'released' }))), 0),
      (err) => log('lock').warn({ err, lock: lock.path }, 'watch on lock contender failed; the session watchdog will tell'),
    );
    ctx.cancelled.catch(() =>
      finish(() => {
        lock.release().then(
          () => resolve({ kind: 'released' }),
          () => resolve({ kind: 'released' }),
        );
      }),
    );
  });
}
