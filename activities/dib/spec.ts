// From the loaded config (lib/config) to the DibBuildSpec one build needs. Provider formats come
// from each cloud's clouds.yaml `image_format` (openstacksdk default qcow2), which lib/config
// does not read, so the caller passes a lookup.
import { type NodepoolConfig } from '../../lib/config/types';
import { type DibBuildSpec } from './types';

export const DEFAULT_PROVIDER_IMAGE_FORMAT = 'qcow2';

/** Env-var names whose values are secret even in the main file (same words as lib/config/redact.ts). */
const SECRET_NAME = /(password|passwd|secret|token|credential)/i;

export interface SpecOptions {
  /** Env-var names set by the secure file for this diskimage. */
  secureEnvNames?: readonly string[];
  /** provider name → its cloud's image format. */
  imageFormatOf?: (provider: string) => string | undefined;
}

export class DibConfigError extends Error {}

export function dibSpecFromConfig(config: NodepoolConfig, name: string, opts: SpecOptions = {}): DibBuildSpec {
  const d = config.diskimages[name];
  if (!d) throw new DibConfigError(`unknown diskimage ${name} (not configured, or abstract)`);
  if (!config.imagesDir) throw new DibConfigError('images-dir is not set');
  const providerFormats = d.providers.map((p) => opts.imageFormatOf?.(p) ?? DEFAULT_PROVIDER_IMAGE_FORMAT);
  const secret = new Set(opts.secureEnvNames ?? []);
  for (const k of Object.keys(d.envVars)) if (SECRET_NAME.test(k)) secret.add(k);
  return {
    diskimage: {
      name: d.name,
      elements: [...d.elements],
      release: d.release,
      envVars: { ...d.envVars },
      secretEnvNames: [...secret].filter((k) => k in d.envVars).sort(),
      formats: [...new Set([...d.formats, ...providerFormats])].sort(),
      dibCmd: d.dibCmd,
      buildTimeout: d.buildTimeout,
    },
    elementsDir: config.elementsDir,
    imagesDir: config.imagesDir,
    buildLogDir: config.buildLogDir,
    buildLogRetention: config.buildLogRetention,
  };
}
