// The optional JSON state file: loaded once at start, rewritten after changes (coalesced, written
// to a temp file and renamed so a crash never leaves half a file).
import fsp from 'node:fs/promises';

export class StateFile {
  private timer: NodeJS.Timeout | null = null;
  private pending: (() => unknown) | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly path: string, private readonly debounceMs = 20) {}

  /** The saved state, or undefined when there is no file yet. */
  async load<T>(): Promise<T | undefined> {
    try {
      return JSON.parse(await fsp.readFile(this.path, 'utf8')) as T;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Writes what `snapshot` returns soon; many changes in a burst make one write. */
  schedule(snapshot: () => unknown): void {
    this.pending = snapshot;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.writing = this.writing.then(() => this.write()).catch((e: unknown) => {
        process.stderr.write(`openstack-simulator: cannot save state to ${this.path}: ${String(e)}\n`);
      });
    }, this.debounceMs);
  }

  /** Writes anything still pending and waits for it. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.writing = this.writing.then(() => this.write());
    }
    await this.writing;
  }

  private async write(): Promise<void> {
    const snapshot = this.pending;
    if (!snapshot) return;
    this.pending = null;
    const tmp = `${this.path}.tmp`;
    await fsp.writeFile(tmp, JSON.stringify(snapshot()));
    await fsp.rename(tmp, this.path);
  }
}
