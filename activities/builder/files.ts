// A build's local files: <images-dir>/<image>-<build>.<format> with .md5/.sha256 and the
// <image>-<build>.d manifest directory. Each builder deletes only its own disk's files.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { log } from '../../lib/log';
import { readBuild } from '../../lib/zk/operations/images';
import { type ZkSession } from '../../lib/zk/session';
import { type BuilderContext } from './context';
import { type BuildFilesInput } from './types';

/** Nodepool's DibImageFile pattern (hex build ids only, NP24 and NP19 alike). */
const IMAGE_FILE = /^(.*)-([abcdef\d]+)\.(\w+)$/;

/** Removes every file of one build; returns the names removed. */
export async function removeBuildFiles(imagesDir: string, image: string, buildId: string): Promise<string[]> {
  const base = `${image}-${buildId}`;
  let names: string[];
  try {
    names = await readdir(imagesDir);
  } catch {
    return [];
  }
  const mine = names.filter((n) => n === `${base}.d` || (n.startsWith(`${base}.`) && !n.slice(base.length + 1).includes('/')));
  for (const n of mine) await rm(join(imagesDir, n), { recursive: true, force: true });
  return mine;
}

/** Nodepool's local cleanup: files whose build is gone from ZooKeeper or `deleting`. */
export async function sweepImagesDir(zk: ZkSession, imagesDir: string): Promise<string[]> {
  const removed: string[] = [];
  const seen = new Set<string>();
  for (const n of await readdir(imagesDir).catch(() => [] as string[])) {
    const m = IMAGE_FILE.exec(n);
    if (!m) continue;
    const [, image, buildId] = m as unknown as [string, string, string];
    if (seen.has(`${image}-${buildId}`)) continue;
    seen.add(`${image}-${buildId}`);
    const b = await readBuild(zk, image, buildId);
    if (!b || b.value.state === 'deleting') removed.push(...(await removeBuildFiles(imagesDir, image, buildId)));
  }
  if (removed.length) log('builder').info({ removed }, 'removed local files of deleted builds');
  return removed;
}

export function createFileActivities(ctx: BuilderContext) {
  async function deleteBuildFiles(input: BuildFilesInput): Promise<string[]> {
    const dir = ctx.config().imagesDir;
    if (!dir) return [];
    const removed = await removeBuildFiles(dir, input.name, input.buildId);
    log('builder').info({ diskimage: input.name, build: input.buildId, removed }, 'local build files deleted');
    return removed;
  }
  return { deleteBuildFiles };
}
