// takeRequest: a request workflow's first step in one local activity: evaluate the request,
// and when one of our pools will act on it, take its lock and accept or decline it there and
// then. One call instead of three (evaluate, lock, accept) on every request's critical path.
import { Context } from '@temporalio/activity';
import type { AcceptResult, DeclineResult, PoolRef, ReleaseLockInput, RequestPlan } from './api';

export type TakeResult =
  | Exclude<RequestPlan, { kind: 'decline' | 'accept' }>
  /** Someone else (another launcher, Zuul) holds the request lock: look again shortly. */
  | { kind: 'busy' }
  /** Declined by these pools (the lock is released again). */
  | { kind: 'declined'; reason: string; result: DeclineResult }
  /** It changed between evaluation and the accept (the lock is released again). */
  | { kind: 'changed'; why: string }
  /** Accepted: `pending`, and the lock (token = input lock) is the caller's to hold. */
  | { kind: 'accepted'; pool: PoolRef; request: Extract<AcceptResult, { ok: true }>['request'] };

interface Steps {
  evaluateRequest(input: { requestId: string }): Promise<RequestPlan>;
  tryLock(input: ReleaseLockInput): Promise<boolean>;
  releaseLock(input: ReleaseLockInput): Promise<void>;
  acceptRequest(input: { requestId: string; pool: PoolRef }): Promise<AcceptResult>;
  declineRequest(input: { requestId: string; pools: PoolRef[]; reason: string; nodes: []; requestLock: ReleaseLockInput }): Promise<DeclineResult>;
}

export function createTakeRequest(steps: Steps) {
  return async function takeRequest(input: { requestId: string; lock: ReleaseLockInput }): Promise<TakeResult> {
    // A retried call starts clean: a lock an earlier try took is let go (a request it already
    // accepted is left pending and unlocked, which lost-request cleanup hands back).
    if (Context.current().info.attempt > 1) await steps.releaseLock(input.lock);
    const plan = await steps.evaluateRequest({ requestId: input.requestId });
    if (plan.kind !== 'accept' && plan.kind !== 'decline') return plan;
    if (!(await steps.tryLock(input.lock))) return { kind: 'busy' };
    if (plan.kind === 'decline') {
      const result = await steps.declineRequest({ requestId: input.requestId, pools: plan.pools, reason: plan.reason, nodes: [], requestLock: input.lock });
      return { kind: 'declined', reason: plan.reason, result };
    }
    const accepted = await steps.acceptRequest({ requestId: input.requestId, pool: plan.pool });
    if (!accepted.ok) {
      await steps.releaseLock(input.lock);
      return { kind: 'changed', why: accepted.why };
    }
    return { kind: 'accepted', pool: plan.pool, request: accepted.request };
  };
}
