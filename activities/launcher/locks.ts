// Lock-holding activities: how a workflow holds a ZooKeeper lock (an ephemeral znode of a
// launcher's session) for as long as it needs it. holdLock acquires, tells the workflow, and
// stays running while the lock is ours; if its process dies, Temporal retries it after the
// heartbeat timeout and the retry takes the lock back. Our contender carries the workflow's
// token as its data, so a release (or fulfilment) can delete it from any process.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
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
  return {
    async holdLock(input: HoldLockInput): Promise<HoldLockResult> {
      const ctx = Context.current();
      const zk = session();
      const retry = ctx.info.attempt > 1;
      const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_MS);
      const lock = new ZkLock(zk, input.lockPath, input.token);
      try {
        if (retry) {
          // An earlier attempt's contender (its process died or stalled) is ours: clear it; then
          // take the lock back only if the workflow still wants it (it may have been let go of).
          await deleteContenders(zk, input);
          const wanted = await ctx.client.workflow
            .getHandle(input.workflowId)
            .query(lockWantedQuery, input.token)
            .catch(() => false);
          if (!wanted) return { kind: 'released' };
        }
        const acquired = await lock.acquire({ blocking: retry ? false : input.blocking, timeoutMs: input.timeoutMs });
        if (!acquired) return { kind: retry ? 'lost' : 'unavailable' };
        await ctx.client.workflow.getHandle(input.workflowId).signal(lockEventSignal, { token: input.token, state: 'acquired' });
        return await hold(zk, lock, ctx);
      } finally {
        clearInterval(beat);
      }
    },

    async releaseLock(input: ReleaseLockInput): Promise<void> {
      await deleteContenders(session(), input);
    },
  };
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
    const watch = () => {
      zk.exists(contender, (ev) => {
        if (ev.type === 'deleted') setTimeout(() => (lock.isLost ? undefined : finish(() => resolve({ kind: 'released' }))), 0);
        else if (!done) watch();
      })
        .then((stat) => {
          if (!stat && !lock.isLost) finish(() => resolve({ kind: 'released' }));
        })
        .catch((err: unknown) => log('lock').warn({ err, lock: lock.path }, 'watch on lock contender failed; the session watchdog will tell'));
    };
    watch();
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
