// Build logs: <build-log-dir>/<image>-<build-id>.log, pruned before each build of that image.
// Nodepool (_pruneBuildLogs) keeps the newest max(retention, 1) files whose name *starts with*
// the image name, so building `fedora` also pruned `fedora-39`'s logs (spec §8 A7). Here a log
// belongs to an image only if the rest of its name is `-<build id>.log`, and a build id is hex
// (uuid4 hex, or the ten-digit ZooKeeper sequence of [2019]) — never contains a `-`.
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export function buildLogPath(dir: string, image: string, buildId: string): string {
  return join(dir, `${image}-${buildId}.log`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function isBuildLogOf(file: string, image: string): boolean {
  return new RegExp(`^${escapeRegExp(image)}-[0-9a-f]+\\.log$`).test(file);
}

/** Deletes this image's oldest logs so at most max(retention, 1) remain; -1 (any < 0) keeps all. Returns the deleted paths. */
export async function pruneBuildLogs(dir: string, image: string, retention: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  if (retention < 0) return [];
  const keep = Math.max(retention, 1);
  const mine = (await readdir(dir)).filter((f) => isBuildLogOf(f, image)).map((f) => join(dir, f));
  const withTimes = await Promise.all(mine.map(async (p) => ({ p, t: (await stat(p)).mtimeMs })));
  // Oldest first; equal mtimes fall back to the name so the result is stable.
  withTimes.sort((a, b) => a.t - b.t || a.p.localeCompare(b.p));
  const doomed = withTimes.slice(0, Math.max(0, withTimes.length - keep)).map((x) => x.p);
  for (const p of doomed) await unlink(p).catch(() => undefined);
  return doomed;
}
