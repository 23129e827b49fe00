// Nodepool's web cache: each (path, sorted query, format) answer is kept for `expiry` seconds
// and served with that time as Last-Modified. Unlike Nodepool, expired entries are dropped on
// every put (random query strings cannot grow it forever) and concurrent misses for one key
// share a single ZooKeeper read.
export interface CacheEntry {
  /** Seconds since the epoch when the answer was computed. */
  lastModified: number;
  body: string;
}

export class ResponseCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<CacheEntry>>();

  constructor(
    readonly expirySeconds = 1,
    private readonly clock: () => number = () => Date.now() / 1000,
  ) {}

  get(key: string): CacheEntry | null {
    const e = this.entries.get(key);
    if (!e) return null;
    if (this.clock() > e.lastModified + this.expirySeconds) {
      this.entries.delete(key);
      return null;
    }
    return e;
  }

  /** The cached entry, or compute() once however many callers ask at the same time. */
  async getOrCompute(key: string, compute: () => Promise<string>): Promise<CacheEntry> {
    const hit = this.get(key);
    if (hit) return hit;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const p = compute()
      .then((body) => this.put(key, body))
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  put(key: string, body: string): CacheEntry {
    const now = this.clock();
    for (const [k, e] of this.entries) if (now > e.lastModified + this.expirySeconds) this.entries.delete(k);
    const entry = { lastModified: now, body };
    this.entries.set(key, entry);
    return entry;
  }
}

/** Nodepool's index: path, then json.dumps(params.dict_of_lists(), sort_keys=True) if any, then format. */
export function cacheKey(path: string, params: URLSearchParams, format: string): string {
  const lists: Record<string, string[]> = {};
  for (const [k, v] of params) (lists[k] ??= []).push(v);
  const keys = Object.keys(lists).sort();
  if (keys.length === 0) return `${path}.${format}`;
  return `${path}.${JSON.stringify(Object.fromEntries(keys.map((k) => [k, lists[k]])))}.${format}`;
}
