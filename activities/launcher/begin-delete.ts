// beginDelete: a node delete's first step in one local activity: take the node lock when it is
// free (the contender stays with this launcher's session; the recursive znode delete at the end
// removes it), set `deleting`, and say what to delete in the cloud. The lock is not handed to a
// lock-holding activity: a delete is short, and if this launcher dies the lock goes with it, as
// Nodepool's does, while the node workflow goes on deleting (idempotent) elsewhere.
import type { ReleaseLockInput } from './api';

export type BeginDeleteResult =
  /** Someone holds the node lock (Zuul, the CLI): wait for it the blocking way. */
  | { kind: 'busy' }
  /** The node znode is gone. */
  | { kind: 'gone' }
  /** `deleting` under our lock: delete this server (provider null: nothing in a cloud). */
  | { kind: 'deleting'; provider: string | null; serverId: string | null };

interface Steps {
  tryLock(input: ReleaseLockInput): Promise<boolean>;
  releaseLock(input: ReleaseLockInput): Promise<void>;
  prepareDelete(input: { nodeId: string }): Promise<{ provider: string | null; serverId: string | null } | null>;
}

export function createBeginDelete(steps: Steps) {
  return async function beginDelete(input: { nodeId: string; lock: ReleaseLockInput }): Promise<BeginDeleteResult> {
    if (!(await steps.tryLock(input.lock))) return { kind: 'busy' };
    try {
      const target = await steps.prepareDelete({ nodeId: input.nodeId });
      if (!target) {
        await steps.releaseLock(input.lock);
        return { kind: 'gone' };
      }
      return { kind: 'deleting', ...target };
    } catch (err) {
      await steps.releaseLock(input.lock).catch(() => undefined);
      throw err;
    }
  };
}
