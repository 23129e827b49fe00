// Short-lived caches for what rarely changes (flavors, networks, AZs), as Nodepool keeps them.
// Nodepool drops them when Nova answers 400 to a create (stale AZ/flavor/network), so can we.
export class TtlCache<T> {
  private value?: { at: number; v: Promise<T> };

  constructor(private readonly ttlMs: number) {}

  get(load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    if (this.value && now - this.value.at < this.ttlMs) return this.value.v;
    const v = load();
    this.value = { at: now, v };
    // A failed load is not cached.
    v.catch(() => {
      if (this.value?.v === v) this.value = undefined;
    });
    return v;
  }

  clear(): void {
    this.value = undefined;
  }
}

/** The last list and when it was fetched; concurrent callers share one in-flight fetch. */
export class SharedList<T> {
  private last?: { at: number; v: T };
  private inflight?: Promise<T>;

  async get(maxAgeMs: number, load: () => Promise<T>): Promise<T> {
    if (this.last && maxAgeMs > 0 && Date.now() - this.last.at <= maxAgeMs) return this.last.v;
    if (!this.inflight) {
      const started = Date.now();
      this.inflight = load()
        .then((v) => {
          this.last = { at: started, v };
          return v;
        })
        .finally(() => {
          this.inflight = undefined;
        });
    }
    return this.inflight;
  }
}

/** TtlCache by key (e.g. cloud-image lookups by name). `keep` decides which values are cached: a
 *  value it refuses, like a failed load, is handed to the callers waiting for it and then dropped. */
export class KeyedTtlCache<T> {
  private readonly entries = new Map<string, { at: number; v: Promise<T> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly keep: (v: T) => boolean = () => true,
  ) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.v;
    const v = load();
    const entry = { at: now, v };
    this.entries.set(key, entry);
    const drop = (): void => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    };
    v.then((x) => {
      if (!this.keep(x)) drop();
    }, drop);
    return v;
  }

  /** Stores a value just looked up some other way (it counts as fresh). */
  set(key: string, v: T): void {
    if (this.keep(v)) this.entries.set(key, { at: Date.now(), v: Promise.resolve(v) });
  }

  /** Forgets one key, or everything. */
  clear(key?: string): void {
    if (key === undefined) this.entries.clear();
    else this.entries.delete(key);
  }
}
