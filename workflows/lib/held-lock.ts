// A ZooKeeper lock held by a workflow. The lock is an ephemeral znode of some launcher's
// ZooKeeper session, so a long-running activity holds it: it acquires, signals us, heartbeats,
// and takes the lock back if its process dies and Temporal retries it elsewhere. A free lock is
// taken by a local activity first (no round trip) and the holder adopts it. Releasing is a
// short activity that deletes our contender (found by the token written as its data).
import { condition, isCancellation, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import type { HoldLockResult, ReleaseLockInput } from '../../activities/launcher/api';
import { lockEventSignal, lockWantedQuery } from '../messages';
import { lockActivities, zkActivities } from './activities';

type LockState = 'idle' | 'acquiring' | 'held' | 'unavailable' | 'released' | 'lost';

const locks = new Map<string, HeldLock>();
let handlerInstalled = false;

function installHandler(): void {
  if (handlerInstalled) return;
  handlerInstalled = true;
  setHandler(lockEventSignal, ({ token, state }) => {
    const lock = locks.get(token);
    if (lock && state === 'acquired' && lock.state === 'acquiring') lock.state = 'held';
  });
  // A holder retried after its worker died must not take back a lock we are letting go of.
  setHandler(lockWantedQuery, (token) => {
    const lock = locks.get(token);
    return !!lock && !lock.releasing && (lock.state === 'acquiring' || lock.state === 'held');
  });
}

/** A fresh contender token (deterministic in a workflow: uuid4 is seeded from its history). */
export const newLockToken = (): string => uuid4().replace(/-/g, '');

export class HeldLock {
  state: LockState = 'idle';
  /** Set before an activity deletes our contender (release, fulfilment, decline). */
  releasing = false;
  readonly token: string;
  private holder?: Promise<void>;

  constructor(
    readonly lockPath: string,
    private readonly opts: { blocking: boolean; timeoutMs?: number } = { blocking: false },
    /** A token a local activity already took the lock with (see adoptTaken). */
    token?: string,
  ) {
    this.token = token ?? newLockToken();
  }

  get ref(): ReleaseLockInput {
    return { lockPath: this.lockPath, token: this.token };
  }

  get held(): boolean {
    return (this.state as LockState) === 'held';
  }

  /** Resolves true once held, false when someone else holds it (or the blocking wait timed out). */
  async acquire(): Promise<boolean> {
    installHandler();
    locks.set(this.token, this);
    this.state = 'acquiring';
    // Fast path: a free lock is taken by a local activity, and the holder adopts its contender.
    if (await zkActivities.tryLock(this.ref)) {
      this.adoptTaken();
      return true;
    }
    if (!this.opts.blocking) {
      this.state = 'unavailable';
      locks.delete(this.token);
      return false;
    }
    this.startHolder(false);
    await condition(() => this.state !== 'acquiring');
    return (this.state as LockState) === 'held';
  }

  /**
   * A local activity took the lock with our token (e.g. takeRequest): hold it from now on.
   * `holder: false` leaves the contender with the session that made it and runs no holder
   * activity: nothing takes the lock back if that session ends, so whoever writes under it next
   * must check and take a free lock back (markReady's takeBack, fulfilRequest's requestLockIsOurs).
   */
  adoptTaken(opts: { holder?: boolean } = {}): void {
    installHandler();
    locks.set(this.token, this);
    this.state = 'held';
    if (opts.holder !== false) this.startHolder(true);
  }

  private startHolder(adopt: boolean): void {
    const run = lockActivities.holdLock({
      lockPath: this.lockPath,
      token: this.token,
      blocking: this.opts.blocking,
      timeoutMs: this.opts.timeoutMs,
      workflowId: workflowInfo().workflowId,
      adopt,
    });
    this.holder = run.then(
      (r: HoldLockResult) => this.finished(r.kind),
      (err: unknown) => this.finished(isCancellation(err) ? 'released' : 'lost'),
    );
  }

  private finished(kind: HoldLockResult['kind']): void {
    if (this.state === 'acquiring') this.state = kind === 'unavailable' ? 'unavailable' : 'lost';
    else if (this.state === 'held') this.state = kind === 'released' ? 'released' : 'lost';
    locks.delete(this.token);
  }

  /** The holder is finished (released by someone, or lost): the lock is no longer ours. */
  get gone(): boolean {
    return this.state === 'released' || this.state === 'lost';
  }

  /** Marks the lock as being let go of, before an activity deletes its contender. */
  markReleasing(): void {
    this.releasing = true;
  }

  /** Someone else's step deleted our contender (fulfilment); only without a holder. */
  markReleased(): void {
    this.releasing = true;
    this.state = 'released';
    locks.delete(this.token);
  }

  /**
   * Deletes our contender and waits for the holder to finish. Harmless if not held. `evenIfGone`:
   * delete it even when the holder has already ended, so the commands do not depend on whether
   * its end was seen yet.
   */
  async release(opts: { evenIfGone?: boolean } = {}): Promise<void> {
    if (this.state === 'idle' || this.state === 'unavailable') return;
    this.releasing = true;
    if (!this.gone || opts.evenIfGone) await zkActivities.releaseLock(this.ref);
    await this.settle();
  }

  /**
   * Waits for the holder to notice that our contender is gone (a ZooKeeper watch: at once). A
   * holder whose worker died is retried after its heartbeat timeout and, not wanted any more,
   * ends then; no timer here, which would cost every lock two events and a server timer.
   */
  async settle(): Promise<void> {
    if (!this.holder) return; // no holder: nothing to wait for once our contender is deleted
    await condition(() => this.gone);
    await this.holder;
  }
}
