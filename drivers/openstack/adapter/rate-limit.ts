// Nodepool's provider `rate`: seconds between API calls (openstacksdk turns it into 1/rate calls
// per second). A token bucket with a burst of one, shared by every client of one provider so
// that all activities on one worker respect it together. rate 0 means unlimited.

export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  /** @param intervalMs milliseconds per token; @param burst tokens that may pile up while idle */
  constructor(
    readonly intervalMs: number,
    readonly burst = 1,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = this.now();
  }

  /** Resolves when the caller may send one request. Callers are served in order. */
  take(): Promise<void> {
    if (this.intervalMs <= 0) return Promise.resolve();
    const turn = this.queue.then(() => this.wait());
    this.queue = turn;
    return turn;
  }

  private async wait(): Promise<void> {
    this.refill();
    if (this.tokens < 1) {
      const ms = (1 - this.tokens) * this.intervalMs;
      await new Promise((r) => setTimeout(r, Math.ceil(ms)));
      this.refill();
    }
    this.tokens -= 1;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (t - this.last) / this.intervalMs);
    this.last = t;
  }
}

const buckets = new Map<string, TokenBucket>();

/** One bucket per provider name and rate: a reconfigured rate gets a fresh bucket. */
export function providerBucket(provider: string, rateSeconds: number): TokenBucket {
  const key = `${provider}\u0000${rateSeconds}`;
  let b = buckets.get(key);
  if (!b) {
    b = new TokenBucket(rateSeconds * 1000);
    buckets.set(key, b);
  }
  return b;
}
