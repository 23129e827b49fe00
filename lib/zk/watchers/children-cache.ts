// A cache of every child of one znode with its decoded data, kept current with one-shot watches
// (node-zookeeper-client has no persistent recursive watches): a children watch on the parent,
// a data watch on each child, re-armed as they fire. On a new session every watch is gone, so
// it re-lists everything and reports the difference — nothing missed while we were away.
import { EventEmitter } from 'node:events';
import { log } from '../../log';
import { isNoNode } from '../errors';
import { type ZkSession } from '../session';

export type CacheEvent<T> =
  | { type: 'added'; id: string; value: T; version: number }
  | { type: 'changed'; id: string; value: T; previous: T; version: number }
  | { type: 'deleted'; id: string; previous: T };

export interface Entry<T> {
  value: T;
  version: number;
  /** Session id of the owner of an ephemeral znode, 0n otherwise. */
  owner: bigint;
}

/** Children read at once when a listing brings many new ones (a burst of requests). */
const READ_PARALLEL = 64;

export class ChildrenCache<T> extends EventEmitter {
  protected readonly entries = new Map<string, Entry<T>>();
  /** Reads in flight (a second fetch of the same child waits for the first, then reads again). */
  private readonly fetching = new Map<string, Promise<void>>();
  /** Watches that fired while a read was in flight: read again when it ends. */
  private readonly again = new Set<string>();
  private listing = false;
  private relist = false;
  /** The next listing re-reads every child (start, new session). */
  private fullPending = false;
  private stopped = false;
  private readonly onSession = () => void this.resync();
  /** A read or listing failed (connection lost): its watch is not armed, so re-list on resume. */
  private dirty = false;
  private readonly onResumed = () => {
    if (this.dirty) void this.resync();
  };
  private readonly logger = log('zk');
  private started?: Promise<void>;

  constructor(
    protected readonly session: ZkSession,
    readonly parent: string,
    private readonly decode: (id: string, data: Buffer) => T,
    /** Children to ignore (e.g. "lock"). */
    private readonly skip: (id: string) => boolean = () => false,
  ) {
    super();
  }

  /** Lists and starts watching; resolves once the first listing is loaded. */
  start(): Promise<void> {
    this.session.on('session', this.onSession);
    this.session.on('resumed', this.onResumed);
    this.started ??= this.resync();
    return this.started;
  }

  stop(): void {
    this.stopped = true;
    this.session.off('session', this.onSession);
    this.session.off('resumed', this.onResumed);
    this.emit('stopped');
  }

  get(id: string): Entry<T> | undefined {
    return this.entries.get(id);
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  values(): T[] {
    return [...this.entries.values()].map((e) => e.value);
  }

  private emitEvent(ev: CacheEvent<T>): void {
    this.emit('event', ev);
  }

  /** The same events as an async iterator (ends when the signal aborts or stop() is called). */
  async *events(signal?: AbortSignal): AsyncGenerator<CacheEvent<T>> {
    const queue: CacheEvent<T>[] = [];
    let wake: (() => void) | undefined;
    const push = (ev: CacheEvent<T>) => {
      queue.push(ev);
      wake?.();
    };
    const onStop = () => wake?.();
    this.on('event', push);
    this.on('stopped', onStop);
    signal?.addEventListener('abort', onStop);
    try {
      for (;;) {
        const ev = queue.shift();
        if (ev) {
          yield ev;
          continue;
        }
        if (this.stopped || signal?.aborted) return;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    } finally {
      this.off('event', push);
      this.off('stopped', onStop);
      signal?.removeEventListener('abort', onStop);
    }
  }

  /** Full re-list: after start and after a new session. */
  async resync(): Promise<void> {
    if (this.stopped) return;
    this.dirty = false;
    try {
      await this.session.ensurePath(this.parent);
    } catch (e) {
      this.dirty = true;
      this.logger.warn({ err: e, path: this.parent }, 'cannot create the watched path; will retry on reconnect');
      return;
    }
    // through the same one-at-a-time listing as child watches, re-reading every child
    this.fullPending = true;
    await this.onChildren();
  }

  /**
   * Records a child we just wrote ourselves (so a check made before the watch fires counts it),
   * and reads a new one to arm its data watch; the read reports nothing unless it changed since.
   */
  note(id: string, value: T, version: number, owner = 0n): void {
    if (this.stopped) return;
    const prev = this.entries.get(id);
    if (prev && prev.version >= version) return;
    this.entries.set(id, { value, version, owner });
    // a known child's data watch is armed already (a second one would fire twice from now on)
    if (!prev) void this.fetch(id);
  }

  /**
   * Lists the children now and reads the ones not known yet, without waiting for a watch: after
   * it resolves the cache holds every child that existed when it was called (e.g. znodes another
   * process created just before it told us so through ZooKeeper).
   */
  async catchUp(): Promise<void> {
    const children = (await this.session.getChildren(this.parent)).filter((c) => !this.skip(c));
    await Promise.all(children.filter((id) => !this.entries.has(id)).map((id) => this.fetch(id)));
  }

  private async listChildren(): Promise<string[] | null> {
    try {
      const children = await this.session.getChildren(this.parent, () => void this.onChildren());
      return children.filter((c) => !this.skip(c));
    } catch (e) {
      this.dirty = true;
      if (!this.stopped) this.logger.warn({ err: e, path: this.parent }, 'listing failed; will re-list on reconnect');
      return null;
    }
  }

  /**
   * Child watches can fire while a listing is in flight; listings are applied one at a time (and
   * repeated once for any that came in meanwhile), so a stale listing can never drop a child a
   * newer one added.
   */
  private async onChildren(): Promise<void> {
    if (this.stopped) return;
    if (this.listing) {
      this.relist = true;
      return;
    }
    this.listing = true;
    try {
      do {
        this.relist = false;
        await this.applyListing();
      } while (this.relist && !this.stopped);
    } finally {
      this.listing = false;
      this.settled();
    }
  }

  /**
   * Emits 'settled' once the cache has taken in a change completely: a listing with all the new
   * children it brought, or one child's new data. Whoever acts on the whole set (e.g. in order)
   * waits for this instead of acting on each child's event while a listing is half read.
   */
  private settled(): void {
    if (!this.listing && !this.stopped) this.emit('settled');
  }

  private async applyListing(): Promise<void> {
    const full = this.fullPending;
    this.fullPending = false;
    const children = await this.listChildren();
    if (!children) return;
    const present = new Set(children);
    const toRead = full ? children : children.filter((id) => !this.entries.has(id));
    for (let i = 0; i < toRead.length; i += READ_PARALLEL) await Promise.all(toRead.slice(i, i + READ_PARALLEL).map((id) => this.fetch(id)));
    for (const [id, e] of [...this.entries]) {
      if (!present.has(id)) {
        this.entries.delete(id);
        this.emitEvent({ type: 'deleted', id, previous: e.value });
      }
    }
  }

  /** (Re-)reads one child and arms its data watch. */
  private fetch(id: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const inFlight = this.fetching.get(id);
    if (inFlight) {
      this.again.add(id);
      return inFlight;
    }
    const run = this.read(id);
    this.fetching.set(id, run);
    return run;
  }

  private async read(id: string): Promise<void> {
    try {
      const path = `${this.parent}/${id}`;
      let got;
      try {
        got = await this.session.get(path, (ev) => {
          if (ev.type !== 'deleted' && ev.type !== 'children') void this.fetch(id).then(() => this.settled());
          else if (ev.type === 'deleted') {
            this.dropped(id);
            this.settled();
          }
        });
      } catch (e) {
        if (isNoNode(e)) return this.dropped(id);
        throw e;
      }
      const prev = this.entries.get(id);
      if (prev && prev.version === got.stat.version) return;
      if (got.data.length === 0) return; // Nodepool skips empty znodes (not yet written)
      let value: T;
      try {
        value = this.decode(id, got.data);
      } catch (e) {
        this.logger.warn({ err: e, path }, 'cannot decode; skipping');
        return;
      }
      this.entries.set(id, { value, version: got.stat.version, owner: got.stat.ephemeralOwner });
      if (prev) this.emitEvent({ type: 'changed', id, value, previous: prev.value, version: got.stat.version });
      else this.emitEvent({ type: 'added', id, value, version: got.stat.version });
    } catch (e) {
      this.dirty = true;
      if (!this.stopped) this.logger.warn({ err: e, id }, 'read failed; will re-read on reconnect');
    } finally {
      this.fetching.delete(id);
      if (this.again.delete(id)) void this.fetch(id);
    }
  }

  private dropped(id: string): void {
    const prev = this.entries.get(id);
    if (!prev) return;
    this.entries.delete(id);
    this.emitEvent({ type: 'deleted', id, previous: prev.value });
  }
}
