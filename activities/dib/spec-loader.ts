// The worker side of "secrets never enter Temporal history": each build re-reads nodepool.yaml
// and the secure file from disk by diskimage name (so an edited secure file applies to the next
// build, as in Nodepool, which reloads its config every cycle).
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { loadConfig } from '../../lib/config/load';
import { dibSpecFromConfig, type SpecOptions } from './spec';
import { type DibBuildSpec } from './types';

export interface SpecFiles {
  configPath: string;
  securePath?: string;
  imageFormatOf?: SpecOptions['imageFormatOf'];
}

/** Names (never values) of the env-vars the secure file sets for `name`. */
export async function secureEnvNames(securePath: string, name: string): Promise<string[]> {
  const data = parse(await readFile(securePath, 'utf8')) as { diskimages?: { name?: unknown; 'env-vars'?: unknown }[] } | null;
  const names = new Set<string>();
  for (const d of data?.diskimages ?? []) {
    if (d?.name === name && d['env-vars'] && typeof d['env-vars'] === 'object') for (const k of Object.keys(d['env-vars'])) names.add(k);
  }
  return [...names];
}

export function specLoaderFromFiles(files: SpecFiles): (diskimage: string) => Promise<DibBuildSpec> {
  return async (diskimage) => {
    const { config } = await loadConfig(files.configPath, files.securePath);
    const secure = files.securePath ? await secureEnvNames(files.securePath, diskimage) : [];
    return dibSpecFromConfig(config, diskimage, { secureEnvNames: secure, imageFormatOf: files.imageFormatOf });
  };
}
