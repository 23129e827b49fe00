// beginLaunch: a node workflow's first step in one local activity: take the node lock (when it
// is free), set `building`, and work out the launch plan and the first attempt's server request.
// One call instead of three on every launch's critical path.
import type { LaunchPlan, ReleaseLockInput } from './api';
import type { CreateServerInput } from './types';

export type BeginLaunchResult =
  /** Someone holds the node lock: wait for it (blocking) and call again with lock null. */
  | { kind: 'busy' }
  /** The node znode is gone (the lock, if taken here, is released again). */
  | { kind: 'gone' }
  /** `building`; `attempt` is null when preparing it failed (the attempt loop prepares it again). */
  | { kind: 'started'; plan: LaunchPlan; attempt: CreateServerInput | null };

interface Steps {
  tryLock(input: ReleaseLockInput): Promise<boolean>;
  releaseLock(input: ReleaseLockInput): Promise<void>;
  startLaunch(input: { nodeId: string }): Promise<LaunchPlan | null>;
  prepareAttempt(input: { nodeId: string; attempt: number }): Promise<CreateServerInput>;
}

export function createBeginLaunch(steps: Steps) {
  return async function beginLaunch(input: { nodeId: string; lock: ReleaseLockInput | null }): Promise<BeginLaunchResult> {
    if (input.lock && !(await steps.tryLock(input.lock))) return { kind: 'busy' };
    try {
      const plan = await steps.startLaunch({ nodeId: input.nodeId });
      if (!plan) {
        if (input.lock) await steps.releaseLock(input.lock);
        return { kind: 'gone' };
      }
      const attempt = await steps.prepareAttempt({ nodeId: input.nodeId, attempt: 1 }).catch(() => null);
      return { kind: 'started', plan, attempt };
    } catch (err) {
      // a failed call must not leave the lock taken behind the workflow's back
      if (input.lock) await steps.releaseLock(input.lock).catch(() => undefined);
      throw err;
    }
  };
}
