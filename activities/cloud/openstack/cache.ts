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
