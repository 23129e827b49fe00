// <images-dir>/builder_id.txt: this builder's identity (uuid4, created on first start). It marks
// which builder holds a build's files, and names the builder's own task queue.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const BUILDER_ID_FILE = 'builder_id.txt';

export function readOrCreateBuilderId(imagesDir: string): string {
  const path = join(imagesDir, BUILDER_ID_FILE);
  try {
    const id = readFileSync(path, 'utf8').trim();
    if (id) return id;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(imagesDir, { recursive: true });
  const id = randomUUID();
  writeFileSync(path, id);
  return id;
}
