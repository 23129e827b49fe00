// Reading config files from disk. Editors often replace a file by delete + rename, so a reload can
// catch it missing for a moment: like Nodepool (config.py openConfig) retry ENOENT 3 times, 0.5 s apart.
import { promises as fs, statSync } from 'node:fs';
import { type ConfigIssue } from './errors';

export const READ_ATTEMPTS = 3;
export const READ_RETRY_MS = 500;

export interface ReadOptions {
  /** Injected in tests to avoid real sleeps. */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function readWithRetry(path: string, opts: ReadOptions = {}): Promise<string> {
  const sleep = opts.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fs.readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= READ_ATTEMPTS) throw e;
      await sleep(READ_RETRY_MS);
    }
  }
}

/** An unreadable file as a ConfigIssue (no stack trace for the operator). */
export function ioIssue(file: string, e: unknown): ConfigIssue {
  const err = e as NodeJS.ErrnoException;
  const reason = err.code === 'ENOENT' ? 'file not found' : err.code === 'EACCES' ? 'permission denied' : (err.code ?? String(err.message));
  return { severity: 'error', kind: 'io', file, path: [], message: `cannot read the file: ${reason}` };
}

/** st_mtime_ns as a decimal string (JSON-safe; bigint would not serialise). */
export function mtimeNs(path: string): string {
  return statSync(path, { bigint: true }).mtimeNs.toString();
}
