// Server status for every launch and delete of one provider from one shared listing, as Nodepool's
// OpenStack adapter reads a server's progress from its cached server list instead of asking for
// each server. Callers wait for a server to reach a state (`waitFor`); while anyone waits, the
// watcher lists `GET servers/detail` (all pages) at most once per interval, hands each waiter its
// server (or "gone"), and stops listing when nobody waits.
//
// Interval: 250 ms by default. A single launch sees ACTIVE at most ~250 ms (plus one listing) after
// the cloud reports it, where per-server polling with backoff (100 ms doubling to 2 s) was up to
// 2 s late, and 20 or 200 concurrent launches cost 4 listings a second instead of 20 or 200 GETs.
// With a provider `rate`, the interval is at least twice the time the last listing's pages take
// at that rate, so the status listing never uses more than half of the provider's call budget
// (creates and deletes get the rest). A listing never overlaps the previous one and starts at
// least half an interval after it ended, so a slow cloud is not listed back to back.
//
// "Gone" needs care: a listing that started before a waiter registered may not contain a server
// created just before that. Only a listing numbered after the waiter's registration may report a
// server absent (gone, or deleted for a delete waiter); any listing that contains the server may
// report its state.
import { type Logger } from '../../../lib/log';
import { isCloudError, ServerWaitTimeoutError } from '../../errors';
import { type CloudServer } from '../../provider';

/** What the caller waits for: given the server as listed, or null when it is gone. */
export type ServerPredicate = (server: CloudServer | null) => boolean;

export interface WaitForOptions {
  /** Give up (ServerWaitTimeoutError) after this long. */
  timeoutMs?: number;
  /** Abort the wait (e.g. the activity's cancellationSignal): rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface ServerStatusOptions {
  /** One full listing (all pages). */
  list: () => Promise<CloudServer[]>;
  /** Target interval between listing starts while anyone waits (default 250 ms). */
  intervalMs?: number;
  /** The provider's rate: milliseconds per API call (0 = unlimited). */
  rateMs?: number;
  /** Page size of the listing, to count the calls one listing takes. */
  pageSize?: number;
  log?: Logger;
}

export const DEFAULT_STATUS_INTERVAL_MS = 250;

interface Waiter {
  id: string;
  until: ServerPredicate;
  /** Listings started before this waiter registered; later ones may report the server gone. */
  registeredAfter: number;
  last?: CloudServer | null;
  resolve(s: CloudServer | null): void;
  reject(e: unknown): void;
}

export class ServerStatusWatcher {
  private readonly waiters = new Set<Waiter>();
  private readonly intervalMs: number;
  private started = 0;
  private inflight = false;
  private timer?: NodeJS.Timeout;
  private lastStart = -Infinity;
  private lastEnd = -Infinity;
  private lastPages = 1;
  /** A Retry-After from the cloud: no listing before this (performance.now() ms). */
  private notBefore = -Infinity;
  /** Failed listings in a row (only the first of a run is logged as a warning). */
  private failing = 0;
  /** Listings made and listings that failed (for tests and logs). */
  readonly stats = { listings: 0, failures: 0 };

  constructor(private readonly opts: ServerStatusOptions) {
    this.intervalMs = opts.intervalMs ?? DEFAULT_STATUS_INTERVAL_MS;
  }

  /** How many callers are waiting. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** The interval in force: the configured one, or more when the provider's rate asks for it. */
  interval(): number {
    return Math.max(this.intervalMs, 2 * (this.opts.rateMs ?? 0) * this.lastPages);
  }

  /**
   * Resolves with the server (or null when it is gone) once `until` accepts what a listing shows.
   * Rejects with ServerWaitTimeoutError after timeoutMs, with the signal's reason when aborted, and
   * with the listing's error when it is not a transient one (fatal, e.g. credentials refused).
   */
  waitFor(id: string, until: ServerPredicate, opts: WaitForOptions = {}): Promise<CloudServer | null> {
    const { signal, timeoutMs } = opts;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<CloudServer | null>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => waiter.reject(abortReason(signal));
      const settle = (f: () => void): void => {
        if (!this.waiters.delete(waiter)) return;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        f();
        if (this.waiters.size === 0) this.idle();
      };
      const waiter: Waiter = {
        id,
        until,
        registeredAfter: this.started,
        resolve: (s) => settle(() => resolve(s)),
        reject: (e) => settle(() => reject(e)),
      };
      this.waiters.add(waiter);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => waiter.reject(new ServerWaitTimeoutError(id, timeoutMs, waiter.last)), Math.max(0, timeoutMs));
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.schedule();
    });
  }

  /** Nobody waits: no listing is scheduled (one in flight finishes and is not followed). */
  private idle(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.inflight || this.timer || this.waiters.size === 0) return;
    const interval = this.interval();
    const at = Math.max(this.lastStart + interval, this.lastEnd + interval / 2, this.notBefore);
    const delay = at - performance.now();
    if (delay <= 0) {
      void this.poll();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll();
    }, Math.ceil(delay));
  }

  private async poll(): Promise<void> {
    if (this.waiters.size === 0) return;
    this.inflight = true;
    const number = ++this.started;
    this.lastStart = performance.now();
    this.stats.listings++;
    let servers: CloudServer[] | undefined;
    let error: unknown;
    try {
      servers = await this.opts.list();
    } catch (e) {
      error = e;
    }
    this.lastEnd = performance.now();
    this.inflight = false;
    if (servers) {
      if (this.failing > 0) this.opts.log?.info({ failed: this.failing }, 'server status listing works again');
      this.failing = 0;
      const pageSize = this.opts.pageSize ?? 1000;
      this.lastPages = Math.floor(servers.length / pageSize) + 1; // Nova links a next page after a full one
      this.deliver(number, servers);
    } else {
      this.failed(error);
    }
    this.schedule();
  }

  private deliver(number: number, servers: CloudServer[]): void {
    const byId = new Map(servers.map((s) => [s.id, s]));
    for (const w of [...this.waiters]) {
      const s = byId.get(w.id);
      // absent from a listing that may predate the server: no news
      if (s === undefined && number <= w.registeredAfter) continue;
      const seen = s ?? null;
      w.last = seen;
      try {
        if (w.until(seen)) w.resolve(seen);
      } catch (e) {
        w.reject(e);
      }
    }
  }

  private failed(error: unknown): void {
    this.stats.failures++;
    if (isCloudError(error) && error.kind !== 'retryable') {
      // it will not get better by listing again (refused credentials, forbidden, ...)
      for (const w of [...this.waiters]) w.reject(error);
      return;
    }
    // transient (5xx, 429, timeout, connection reset): the waiters wait for the next listing,
    // which honours a Retry-After
    if (isCloudError(error) && error.retryAfter !== undefined) this.notBefore = performance.now() + error.retryAfter * 1000;
    const line = { err: (error as Error)?.message ?? String(error), waiting: this.waiters.size, failedInARow: ++this.failing };
    if (this.failing === 1) this.opts.log?.warn(line, 'server status listing failed; retrying');
    else this.opts.log?.debug(line, 'server status listing failed again; retrying');
  }
}

function abortReason(signal: AbortSignal | undefined): unknown {
  const r: unknown = signal?.reason;
  return r ?? Object.assign(new Error('wait for server aborted'), { name: 'AbortError' });
}
