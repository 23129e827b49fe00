// Schema validation of a parsed nodepool.yaml: top level first, then each provider with its
// driver's schema. Returns the typed raw config only when there were no errors.
import { type ConfigIssue } from '../errors';
import { type ConfigSource } from '../source';
import { parseProvider, type RawProvider } from './providers';
import { reportZodIssues } from './report';
import { type RawTopLevel, topLevel } from './top';

export type { RawProvider } from './providers';
export type { RawDiskImage, RawLabel, RawTenantResourceLimit, RawZooKeeperServer, RawZooKeeperTls } from './top';
export type { RawOpenStackPool, RawOpenStackPoolLabel, RawOpenStackProvider } from '../../../drivers/openstack/schema';
export type { RawStaticNode, RawStaticProvider } from '../../../drivers/static/schema';
export type { RawSecureFile } from './secure';

/** Nodepool 2 (pre-ZooKeeper) top-level keys. */
export const OBSOLETE_TOP_LEVEL = ['cron', 'zmq-publishers', 'gearman-servers', 'targets', 'script-dir', 'dburi'];

export type RawConfig = Omit<RawTopLevel, 'providers'> & { providers: RawProvider[] };

export function validateSchema(src: ConfigSource): { raw?: RawConfig; issues: ConfigIssue[] } {
  const data = src.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { issues: [src.issue('error', 'schema', [], `the configuration must be a mapping of top-level keys, got ${src.describe([], data)}`)] };
  }
  const issues: ConfigIssue[] = [];
  // Nodepool 3+ daemons ignore the Nodepool 2 top-level keys that old configs still carry; keep
  // such a config loading, but say so (Nodepool's validator would reject them).
  const current: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (OBSOLETE_TOP_LEVEL.includes(key)) {
      issues.push(src.issue('warning', 'schema', [key], `"${key}" is a Nodepool 2 key; it is ignored`, true));
    } else current[key] = value;
  }
  const top = topLevel.safeParse(current);
  if (!top.success) issues.push(...reportZodIssues(src, top.error.issues, []));

  const providers: RawProvider[] = [];
  const rawProviders = (data as Record<string, unknown>).providers;
  if (Array.isArray(rawProviders)) {
    rawProviders.forEach((p, i) => {
      const r = parseProvider(src, p, i);
      issues.push(...r.issues);
      if (r.provider) providers.push(r.provider);
    });
  }
  if (!top.success || issues.some((i) => i.severity === 'error')) return { issues };
  return { raw: { ...top.data, providers }, issues };
}
