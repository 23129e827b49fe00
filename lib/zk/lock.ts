// kazoo's Lock recipe (kazoo/recipe/lock.py 2.6–2.10), the lock every Python party uses
// (zk-protocol.md §0.2). Interop depends on doing exactly what kazoo does:
//   * ensure_path(lock parent) — persistent, never deleted on release;
//   * contender = create(parent + "/" + uuid4().hex + "__lock__", data=identifier,
//     ephemeral, sequence) → "<32 hex>__lock__<seq10>";
//   * contenders are children matching (?:__lock__)(-?\d{10})$ sorted by that sequence text;
//     the lowest holds the lock; a waiter watches its predecessor;
//   * release deletes our own contender.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isConnectionError, isNoNode, ZkError } from './errors';
import { type SessionBound, type ZkSession } from './session';
import { log } from '../log';

export const CONTENDER_RE = /(?:__lock__)(-?\d{10})$/;

/** Contender child names in lock order (lowest sequence first), as kazoo sorts them. */
export function sortContenders(children: string[]): string[] {
  return children
    .map((c) => [c, CONTENDER_RE.exec(c)?.[1]] as const)
    .filter((x): x is readonly [string, string] => x[1] !== undefined)
    .sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([c]) => c);
}

export interface AcquireOptions {
  /** false: fail at once if someone else holds it (what launchers do). Default true, as kazoo. */
  blocking?: boolean;
  /** Blocking only: give up after this long (Zuul uses 30 s, the CLI 5 s). */
  timeoutMs?: number;
  /** false: a persistent contender that survives the session (NP24 metastatic only). */
  ephemeral?: boolean;
  /** Blocking only: stop waiting when aborted (the contender is deleted, acquire gives false). */
  signal?: AbortSignal;
}

/**
 * One lock object per lock path and holder, like a kazoo Lock. Emits 'lost' when the session
 * that held it ends (the contender is gone on the server).
 */
export class ZkLock extends EventEmitter implements SessionBound {
  /** Our contender's child name while we contend or hold. */
  node: string | null = null;
  private held = false;
  private lost = false;
  private wake?: () => void;
  private readonly prefix: string;

  constructor(
    readonly session: ZkSession,
    /** The lock parent, e.g. /nodepool/nodes/0000000123/lock. */
    readonly path: string,
    readonly identifier = '',
  ) {
    super();
    this.prefix = `${randomUUID().replace(/-/g, '')}__lock__`;
  }

  get isAcquired(): boolean {
    return this.held;
  }

  /** True once the session holding this lock has ended; the lock is no longer ours. */
  get isLost(): boolean {
    return this.lost;
  }

  get nodePath(): string | null {
    return this.node ? `${this.path}/${this.node}` : null;
  }

  sessionLost(): void {
    const wasHeld = this.held;
    this.held = false;
    this.node = null;
    this.wake?.();
    if (wasHeld) {
      this.lost = true;
      log('zk').warn({ lock: this.path }, 'lock lost with the ZooKeeper session');
      this.emit('lost', this);
    }
  }

  /** Returns true when acquired, false when not (non-blocking and taken, or timed out). */
  async acquire(opts: AcquireOptions = {}): Promise<boolean> {
    if (this.held) throw new Error(`lock ${this.path} already acquired by this object`);
    const blocking = opts.blocking ?? true;
    const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
    const signal = opts.signal;
    if (signal?.aborted) return false;
    this.lost = false;
    await this.session.ensurePath(this.path);
    this.session.track(this);
    try {
      for (;;) {
        if (signal?.aborted) {
          await this.deleteContender();
          return false;
        }
        if (!this.node) {
          // (again after a lost session, which forgot every tracked lock: a lock acquired in
          // the new session must still hear when that one ends)
          this.session.track(this);
          await this.createContender(opts.ephemeral ?? true);
        }
        const order = sortContenders(await this.session.getChildren(this.path));
        const mine = this.node ? order.indexOf(this.node) : -1;
        if (mine < 0) {
          // our contender vanished (session replaced, or someone force-unlocked): start over
          this.node = null;
          continue;
        }
        if (mine === 0) {
          this.held = true;
          return true;
        }
        if (!blocking || Date.now() >= deadline) {
          await this.deleteContender();
          return false;
        }
        const predecessor = `${this.path}/${order[mine - 1]}`;
        const gone = await this.waitDeleted(predecessor, deadline, signal);
        if (!gone && Date.now() >= deadline) {
          await this.deleteContender();
          return false;
        }
      }
    } catch (e) {
      await this.deleteContender().catch(() => undefined);
      throw e;
    } finally {
      if (!this.held) this.session.untrack(this);
    }
  }

  private async createContender(ephemeral: boolean): Promise<void> {
    const data = Buffer.from(this.identifier, 'utf8');
    try {
      const created = await this.session.create(`${this.path}/${this.prefix}`, data, { ephemeral, sequential: true });
      this.node = created.slice(created.lastIndexOf('/') + 1);
    } catch (e) {
      if (!isConnectionError(e)) throw e;
      // The create may have happened before the connection dropped (kazoo's _find_node);
      // if it did not, the caller's loop creates it again, as kazoo retries.
      await this.session.waitConnected();
      const found = (await this.session.getChildren(this.path)).find((c) => c.startsWith(this.prefix));
      if (found) this.node = found;
    }
  }

  private async waitDeleted(path: string, deadline: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      let done = false;
      const onAbort = () => finish(false);
      const settle = () => {
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const finish = (v: boolean) => {
        if (done) return;
        settle();
        this.wake = undefined;
        resolve(v);
      };
      const timer = deadline === Infinity ? undefined : setTimeout(() => finish(false), Math.max(0, deadline - Date.now()));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.wake = () => finish(true);
      this.session
        .exists(path, () => finish(true))
        .then((stat) => {
          if (!stat) finish(true);
        })
        .catch((e) => {
          if (done) return;
          settle();
          reject(e instanceof Error ? e : new ZkError('SYSTEM_ERROR', -1, path));
        });
    });
  }

  private async deleteContender(): Promise<void> {
    const node = this.node;
    this.node = null;
    this.held = false;
    if (!node) return;
    const path = `${this.path}/${node}`;
    try {
      await this.session.delete(path);
    } catch (e) {
      if (isNoNode(e)) return;
      if (!isConnectionError(e)) throw e;
      // Still our session's znode: left alone it would block everyone until the session ends.
      deleteWhenResumed(this.session, path);
      throw e;
    }
  }

  /**
   * Takes over a contender this session already holds the lock with (created by another ZkLock
   * object, e.g. in a short call that acquired and returned): from now on this object reports
   * the lock lost with the session and can release it.
   */
  adopt(node: string): void {
    if (this.held) throw new Error(`lock ${this.path} already acquired by this object`);
    this.node = node;
    this.held = true;
    this.lost = false;
    this.session.track(this);
  }

  /** Forgets the lock without deleting the contender (someone else will release it). */
  abandon(): void {
    this.session.untrack(this);
    this.node = null;
    this.held = false;
  }

  /** Deletes our contender. Releasing a lock we no longer hold is harmless. */
  async release(): Promise<void> {
    this.session.untrack(this);
    if (this.lost) return;
    await this.deleteContender();
  }

  /**
   * kazoo is_still_valid-style check before a write that needs the lock: we think we hold it,
   * the session is live, and our contender still exists and is owned by this session.
   */
  async isStillValid(): Promise<boolean> {
    if (!this.held || this.lost || this.session.state !== 'connected' || !this.node) return false;
    try {
      const stat = await this.session.exists(`${this.path}/${this.node}`);
      return stat !== null && (stat.ephemeralOwner === 0n || stat.ephemeralOwner === this.session.sessionId);
    } catch {
      return false;
    }
  }

  /** kazoo Lock.contenders(): identifiers of all contenders in order (ensure_path first, as kazoo). */
  async contenders(): Promise<string[]> {
    return lockContenders(this.session, this.path, true);
  }
}

/** Deletes a contender once the connection is back (same session); a new session lost it anyway. */
function deleteWhenResumed(session: ZkSession, path: string): void {
  const owner = session.sessionId;
  const retry = () => {
    session.off('session', forget);
    if (session.sessionId !== owner) return;
    session.delete(path).catch((e: unknown) => {
      if (!isNoNode(e)) log('zk').warn({ err: e, path }, 'could not delete a lock contender after reconnecting');
    });
  };
  const forget = () => session.off('resumed', retry);
  session.once('resumed', retry);
  session.once('session', forget);
  log('zk').warn({ path }, 'lock contender delete failed; retrying when reconnected');
}

/** Identifiers (contender data) in lock order. kazoo calls ensure_path first; pass create=false not to. */
export async function lockContenders(session: ZkSession, path: string, create = false): Promise<string[]> {
  if (create) await session.ensurePath(path);
  let children: string[];
  try {
    children = await session.getChildren(path);
  } catch (e) {
    if (isNoNode(e)) return [];
    throw e;
  }
  const out: string[] = [];
  for (const c of sortContenders(children)) {
    const got = await session.getIfExists(`${path}/${c}`);
    if (got) out.push(got.data.toString('utf8'));
  }
  return out;
}

/** Is anybody holding (or waiting for) this lock? For `nodepool list`'s Locked column. */
export async function isLocked(session: ZkSession, path: string): Promise<boolean> {
  try {
    return sortContenders(await session.getChildren(path)).length > 0;
  } catch (e) {
    if (isNoNode(e)) return false;
    throw e;
  }
}

/** NP24 forceUnlockNode: delete the lowest contender (matched by ^.*?(\d{10})$). */
export async function forceUnlock(session: ZkSession, path: string): Promise<string | null> {
  let children: string[];
  try {
    children = await session.getChildren(path);
  } catch (e) {
    if (isNoNode(e)) return null;
    throw e;
  }
  const seq = (c: string) => /^.*?(\d{10})$/.exec(c)?.[1];
  const lowest = children.filter((c) => seq(c) !== undefined).sort((a, b) => ((seq(a) as string) < (seq(b) as string) ? -1 : 1))[0];
  if (!lowest) return null;
  try {
    await session.delete(`${path}/${lowest}`);
  } catch (e) {
    if (!isNoNode(e)) throw e;
  }
  return lowest;
}
