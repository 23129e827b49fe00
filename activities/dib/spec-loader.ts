// The worker side of "secrets never enter Temporal history": each build re-reads nodepool.yaml
// and the secure file from disk by diskimage name (so an edited secure file applies to the next
// build, as in Nodepool, which reloads its config every cycle).
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { type LoadCloudOptions } from '../../lib/cloud/clouds-yaml';
import { loadConfig } from '../../lib/config/load';
import { type NodepoolConfig } from '../../lib/config/types';
import { log } from '../../lib/log';
import { dibSpecFromConfig, type SpecOptions } from './spec';
import { type DibBuildSpec } from './types';
import { imageFormatFor, takesImageUploads } from '../../drivers/registry';

export interface SpecFiles {
  configPath: string;
  securePath?: string;
  /** provider → image format. Default: the provider's cloud's clouds.yaml `image_format`. */
  imageFormatOf?: SpecOptions['imageFormatOf'];
  /** Where to look for clouds.yaml (default: openstacksdk's search path). */
  cloudsYaml?: Omit<LoadCloudOptions, 'cloud' | 'region'>;
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

/** Nodepool adds each upload provider's image format (OpenStack: the cloud's clouds.yaml
 *  `image_format`, openstacksdk's default qcow2) to the formats it builds. */
export function providerImageFormat(config: NodepoolConfig, search: SpecFiles['cloudsYaml'] = {}): (provider: string) => string | undefined {
  return (name) => {
    const p = config.providers[name];
    if (!takesImageUploads(p)) return undefined;
    try {
      return imageFormatFor(p, search);
    } catch (e) {
      log('dib').warn({ provider: name, err: (e as Error).message }, 'cannot tell the image format; assuming qcow2');
      return undefined;
    }
  };
}

export function specLoaderFromFiles(files: SpecFiles): (diskimage: string) => Promise<DibBuildSpec> {
  return async (diskimage) => {
    const { config } = await loadConfig(files.configPath, files.securePath);
    const secure = files.securePath ? await secureEnvNames(files.securePath, diskimage) : [];
    const imageFormatOf = files.imageFormatOf ?? providerImageFormat(config, files.cloudsYaml);
    return dibSpecFromConfig(config, diskimage, { secureEnvNames: secure, imageFormatOf });
  };
}
