// Reading helpers shared by the listings: children that may not exist yet, bounded-parallel
// reads (a big pool has thousands of nodes; one round trip each would make `list` slow), and
// skipping a record that does not decode instead of failing the whole listing.
import { isNoNode } from '../zk/errors';
import { LOCK } from '../zk/paths';
import { type ZkSession } from '../zk/session';
import { log } from '../log';

/** Sorted children without lock parents; [] when the parent does not exist. */
export async function sortedChildren(s: ZkSession, path: string): Promise<string[]> {
  try {
    return (await s.getChildren(path)).filter((c) => c !== LOCK).sort();
  } catch (e) {
    if (isNoNode(e)) return [];
    throw e;
  }
}

/** Like Promise.all(items.map(fn)) with at most `limit` calls in flight; keeps the order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export const READ_PARALLELISM = 32;

/** Runs a decoder; a record Nodepool could not load either is logged and skipped (null). */
export function decodeOrSkip<T>(what: string, decode: () => T): T | null {
  try {
    return decode();
  } catch (e) {
    log('status').warn({ err: e }, `skipping unreadable ${what}`);
    return null;
  }
}
