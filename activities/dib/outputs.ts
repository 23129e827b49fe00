// What DIB left in images-dir for one build: <base>.<format> per format, with the .md5/.sha256
// files `--checksum` writes (md5sum format `<hex>  <path>`; Nodepool reads the first 32/64
// characters). DIB 3.13 writes no checksums for tar (spec dib-notes §5), so they are optional.
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type DibOutputFile } from './types';

/** DIB's file extension for a format: squashfs images are written as `.squash`. */
export function extensionOf(format: string): string {
  return format === 'squashfs' ? 'squash' : format;
}

async function checksum(path: string, length: number): Promise<string | undefined> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    const hex = text.slice(0, length);
    return new RegExp(`^[0-9a-f]{${length}}$`).test(hex) ? hex : undefined;
  } catch {
    return undefined;
  }
}

/** The output files of a finished build; `missing` lists formats with no file. */
export async function collectOutputs(outputBase: string, formats: readonly string[]): Promise<{ files: DibOutputFile[]; missing: string[] }> {
  const files: DibOutputFile[] = [];
  const missing: string[] = [];
  for (const format of formats) {
    const path = `${outputBase}.${extensionOf(format)}`;
    try {
      const st = await stat(path);
      if (!st.isFile()) throw new Error('not a file');
      const md5 = await checksum(`${path}.md5`, 32);
      const sha256 = await checksum(`${path}.sha256`, 64);
      files.push({ format, path, size: st.size, allocatedBytes: st.blocks * 512, ...(md5 ? { md5 } : {}), ...(sha256 ? { sha256 } : {}) });
    } catch {
      missing.push(format);
    }
  }
  return { files, missing };
}

/** Removes every <base>.* file and the <base>.d manifest directory (a failed build's leftovers). */
export async function removeOutputs(outputBase: string): Promise<string[]> {
  const dir = dirname(outputBase);
  const prefix = `${basename(outputBase)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const doomed = names.filter((n) => n.startsWith(prefix)).map((n) => join(dir, n));
  for (const p of doomed) await rm(p, { recursive: true, force: true });
  return doomed;
}
