// Diskimage `parent`/`abstract` inheritance with Nodepool's exact merge rules
// (config.py DiskImage.setFromConfig, applied grandparents first, then parent, then self):
//   elements append; env-vars dict-update (child wins); most scalars override only when the child's
//   value is truthy (so a child cannot reset `pause: true` or `rebuild-age`); delete-after-upload
//   overrides whenever present; formats/keep-formats replace when non-empty; metadata is replaced
//   at every level (a child without metadata clears its parent's).
import { type RawDiskImage } from './schema';
import { type DiskImage } from './types';

export const DEFAULT_BUILD_TIMEOUT = 8 * 60 * 60;
export const DEFAULT_REBUILD_AGE = 24 * 60 * 60;

type Resolved = Omit<DiskImage, 'providers'>;

function fresh(name: string): Resolved {
  return {
    name,
    parents: [],
    elements: [],
    release: '',
    envVars: {},
    secureEnvVarNames: [],
    formats: [],
    keepFormats: [],
    deleteAfterUpload: false,
    pause: false,
    rebuildAge: DEFAULT_REBUILD_AGE,
    buildTimeout: DEFAULT_BUILD_TIMEOUT,
    dibCmd: 'disk-image-create',
    username: 'zuul',
    pythonPath: 'auto',
    shellType: null,
    metadata: {},
  };
}

/** Python truthiness for the values a diskimage can hold. */
function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return v !== undefined && v !== null && v !== false && v !== 0 && v !== '';
}

function setFromConfig(d: Resolved, cfg: RawDiskImage): void {
  if (truthy(cfg['build-timeout'])) d.buildTimeout = cfg['build-timeout'] as number;
  if (truthy(cfg['dib-cmd'])) d.dibCmd = cfg['dib-cmd'] as string;
  d.elements.push(...(cfg.elements ?? []));
  Object.assign(d.envVars, cfg['env-vars'] ?? {});
  if (truthy(cfg.formats)) d.formats = [...new Set(cfg.formats)].sort();
  if (truthy(cfg['keep-formats'])) d.keepFormats = [...new Set(cfg['keep-formats'])].sort();
  if (cfg['delete-after-upload'] !== undefined) d.deleteAfterUpload = cfg['delete-after-upload'];
  if (truthy(cfg.pause)) d.pause = true;
  if (truthy(cfg['python-path'])) d.pythonPath = cfg['python-path'] as string;
  if (truthy(cfg['shell-type'])) d.shellType = cfg['shell-type'] as string;
  if (truthy(cfg['rebuild-age'])) d.rebuildAge = cfg['rebuild-age'] as number;
  if (truthy(cfg.release)) d.release = String(cfg.release);
  if (truthy(cfg.username)) d.username = cfg.username as string;
  d.metadata = { ...(cfg.metadata ?? {}) };
}

/**
 * Every non-abstract diskimage, resolved. Unknown parents and cycles are reported by
 * references.ts; here they simply end the walk so this never recurses forever.
 */
export function resolveDiskImages(cfgs: readonly RawDiskImage[]): Record<string, Omit<DiskImage, 'providers'>> {
  const byName = new Map<string, RawDiskImage>();
  for (const c of cfgs) byName.set(c.name, c); // last one wins, as in Nodepool's dict

  const out: Record<string, Resolved> = {};
  for (const cfg of cfgs) {
    if (cfg.abstract) continue;
    const chain: RawDiskImage[] = [];
    const seen = new Set<string>([cfg.name]);
    for (let p = cfg.parent; p !== undefined && !seen.has(p); ) {
      const parent = byName.get(p);
      if (!parent) break;
      seen.add(p);
      chain.push(parent);
      p = parent.parent;
    }
    const d = fresh(cfg.name);
    d.parents = chain.map((c) => c.name);
    for (const parent of [...chain].reverse()) setFromConfig(d, parent);
    setFromConfig(d, cfg);
    out[cfg.name] = d;
  }
  return out;
}
