// `nodepool export-image-data` / `import-image-data`: a backup of the build and upload records
// in Nodepool 11's file format (zk/zookeeper.py exportImageData / importImageData), so a file
// moves either way between Nodepool and us.
//
// The file is one JSON object, written as Python's json.dump writes it (", " and ": ",
// ensure_ascii, no trailing newline): znode path (relative to the chroot) → znode data as text.
// Order: images sorted; per image its `pause` flag ("" when paused), then each build in
// ZooKeeper's child order followed by its uploads, providers sorted, uploads in child order.
// Lock znodes, `request-build` flags and the empty parents are not in it.
import { type ZkSession } from '../session';
import { isNoNode } from '../errors';
import { pyDumps, parseRawObject } from '../json';
import { buildsPath, IMAGES, imagePausePath, providerUploadsPath } from '../paths';
import { children } from './images';

/** [znode path, data] in file order. */
export type ImageDataEntry = [path: string, data: string];

export class ImageDataError extends Error {
  override name = 'ImageDataError';
}

/** Python's sorted() on str: by code point (not UTF-16 unit, which differs above U+FFFF). */
const byCodePoint = (a: string, b: string): number => {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i] as string).codePointAt(0)! - (y[i] as string).codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
};

/** Python's bytes.decode('utf8'): strict, and a leading BOM is kept as U+FEFF. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

async function childrenOrEmpty(s: ZkSession, path: string): Promise<string[]> {
  try {
    return await s.getChildren(path);
  } catch (e) {
    if (isNoNode(e)) return [];
    throw e;
  }
}

async function readText(s: ZkSession, path: string): Promise<string | null> {
  const got = await s.getIfExists(path);
  if (!got) return null;
  try {
    return utf8.decode(got.data);
  } catch {
    throw new ImageDataError(`${path} holds data that is not UTF-8; Nodepool's export fails on it too`);
  }
}

/** Nodepool 11 exportImageData: every build and upload record, and the image pause flags. */
export async function exportImageData(s: ZkSession): Promise<ImageDataEntry[]> {
  const out: ImageDataEntry[] = [];
  // getImageNames: sorted, no lock filter (there is none under /nodepool/images)
  for (const image of (await childrenOrEmpty(s, IMAGES)).sort(byCodePoint)) {
    if (await s.exists(imagePausePath(image))) out.push([imagePausePath(image), '']);
    // getBuildIds: ZooKeeper's order, without `lock`
    for (const buildId of await children(s, buildsPath(image))) {
      const buildPath = `${buildsPath(image)}/${buildId}`;
      const build = await readText(s, buildPath);
      if (build === null) continue; // deleted meanwhile
      out.push([buildPath, build]);
      // getBuildProviders: sorted; getImageUploadNumbers: ZooKeeper's order, without `lock`
      for (const provider of (await childrenOrEmpty(s, `${buildPath}/providers`)).sort(byCodePoint)) {
        const uploads = providerUploadsPath(image, buildId, provider);
        for (const uploadId of await children(s, uploads)) {
          const upload = await readText(s, `${uploads}/${uploadId}`);
          if (upload !== null) out.push([`${uploads}/${uploadId}`, upload]);
        }
      }
    }
  }
  return out;
}

/** json.dump(data, f) of the export, byte for byte. */
export function encodeImageData(entries: readonly ImageDataEntry[]): string {
  return `{${entries.map(([path, data]) => `${pyDumps(path)}: ${pyDumps(data)}`).join(', ')}}`;
}

const SEGMENT = '[^/]+';
const PAUSE_PATH = new RegExp(`^${IMAGES}/${SEGMENT}/pause$`);
const BUILD_PATH = new RegExp(`^${IMAGES}/${SEGMENT}/builds/${SEGMENT}$`);
const UPLOAD_PATH = new RegExp(`^${IMAGES}/${SEGMENT}/builds/${SEGMENT}/providers/${SEGMENT}/images/\\d+$`);
/** `.`/`..` cannot name a znode; a build called `lock` would be Nodepool's build lock. */
const badSegment = (path: string): boolean => path.split('/').some((p) => p === '.' || p === '..') || path.split('/')[5] === 'lock';
/** More pre-created sequence znodes than this for one upload directory is not a real export. */
export const MAX_UPLOAD_NUMBER = 100_000;
const wellFormed = (s: string): boolean => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

/**
 * Reads an export file (json.load semantics: a repeated key keeps its first place and last
 * value). Stricter than Nodepool, which writes whatever paths a file names: only the three
 * kinds of znode an export holds are accepted, each with string data; otherwise nothing is
 * imported and the error names the first bad entry.
 */
export function parseImageData(text: string): ImageDataEntry[] {
  let raw;
  try {
    raw = parseRawObject(text);
  } catch (e) {
    throw new ImageDataError(`not an image data export (a JSON object of znode paths): ${(e as Error).message}`);
  }
  const out: ImageDataEntry[] = [];
  for (const [path, value] of raw) {
    let data: unknown;
    try {
      data = value.parse();
    } catch (e) {
      throw new ImageDataError(`${path}: ${(e as Error).message}`);
    }
    if (typeof data !== 'string') throw new ImageDataError(`${path}: the data must be a JSON string, not ${value.text.slice(0, 40)}`);
    if (!(PAUSE_PATH.test(path) || BUILD_PATH.test(path) || UPLOAD_PATH.test(path)) || badSegment(path)) {
      throw new ImageDataError(`${path}: not an image pause flag, build or upload path (/nodepool/images/<image>/pause, …/builds/<build>, …/builds/<build>/providers/<provider>/images/<upload>)`);
    }
    if (PAUSE_PATH.test(path) && data !== '') throw new ImageDataError(`${path}: a pause flag has no data`);
    if (!wellFormed(path) || !wellFormed(data)) throw new ImageDataError(`${path}: lone UTF-16 surrogate (cannot be UTF-8)`);
    out.push([path, data]);
  }
  return out;
}

export interface ImportReport {
  created: number;
  replaced: number;
  /** Sequence znodes made (and removed again unless imported) so new upload ids come after the imported ones. */
  sequenceNodes: number;
}

/**
 * Nodepool 11 importImageData, step for step (so the tree, sequence counters included, ends as
 * Nodepool's would): per upload directory, as many sequential creates as its highest imported
 * upload number (each one not in the file deleted again at once), so the next upload id is
 * greater than every imported one; then each entry in file order is set if it exists (existing
 * records are overwritten) or created with its parents. Records not in the file stay. No
 * locks: like Nodepool, meant for a quiet system.
 */
export async function importImageData(s: ZkSession, entries: readonly ImageDataEntry[]): Promise<ImportReport> {
  const data = new Map(entries);
  const highest = new Map<string, number>();
  for (const [path] of entries) {
    const parts = path.split('/');
    if (parts.length !== 10) continue;
    const dir = parts.slice(0, 9).join('/');
    const num = Number.parseInt(parts[9] as string, 10);
    highest.set(dir, Math.max(highest.get(dir) ?? num, num));
  }
  for (const [dir, num] of highest) {
    if (num > MAX_UPLOAD_NUMBER) throw new ImageDataError(`${dir}/${String(num).padStart(10, '0')}: upload number above ${MAX_UPLOAD_NUMBER}; nothing imported`);
  }
  // counted before anything is written: the pre-creation below makes parents (builds) too
  let replaced = 0;
  for (const path of data.keys()) if (await s.exists(path)) replaced++;
  let sequenceNodes = 0;
  for (const [dir, num] of highest) {
    for (let x = 0; x < num; x++) {
      const made = await s.create(`${dir}/`, Buffer.alloc(0), { sequential: true, makepath: true });
      const node = `${dir}/${made.slice(made.lastIndexOf('/') + 1)}`;
      sequenceNodes++;
      if (!data.has(node)) await s.delete(node);
    }
  }
  for (const [path, text] of data) {
    const bytes = Buffer.from(text, 'utf8');
    if (await s.exists(path)) await s.set(path, bytes);
    else await s.create(path, bytes, { makepath: true });
  }
  const created = data.size - replaced;
  return { created, replaced, sequenceNodes };
}
