// A counting semaphore for `--build-workers` / `--upload-workers`: activities queue here (and
// keep heartbeating) rather than in Temporal, so one builder's limits hold whatever the worker's
// task slots are.
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private limit: number) {}

  setLimit(limit: number): void {
    this.limit = Math.max(1, limit);
    this.drain();
  }

  get inUse(): number {
    return this.active;
  }

  /** Resolves with a release function once a slot is free; `signal` abandons the wait. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const grant = () => {
        this.active++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.active--;
          this.drain();
        });
      };
      if (this.active < this.limit) return grant();
      const entry = () => {
        signal?.removeEventListener('abort', onAbort);
        grant();
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private drain(): void {
    while (this.active < this.limit && this.waiting.length > 0) this.waiting.shift()?.();
  }
}
