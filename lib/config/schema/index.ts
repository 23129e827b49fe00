// Schema validation of a parsed nodepool.yaml: top level first, then each provider with its
// driver's schema. Returns the typed raw config only when there were no errors.
import { type ConfigIssue } from '../errors';
import { type ConfigSource } from '../source';
import { parseProvider, type RawProvider } from './providers';
import { reportZodIssues } from './report';
import { type RawTopLevel, topLevel } from './top';

export type { RawProvider } from './providers';
export type { RawDiskImage, RawLabel, RawTenantResourceLimit, RawZooKeeperServer, RawZooKeeperTls } from './top';
export type { RawOpenStackPool, RawOpenStackPoolLabel, RawOpenStackProvider } from './openstack';
export type { RawStaticNode, RawStaticProvider } from './static';
export type { RawSecureFile } from './secure';

export type RawConfig = Omit<RawTopLevel, 'providers'> & { providers: RawProvider[] };

export function validateSchema(src: ConfigSource): { raw?: RawConfig; issues: ConfigIssue[] } {
  const data = src.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { issues: [src.issue('error', 'schema', [], `the configuration must be a mapping of top-level keys, got ${src.describe([], data)}`)] };
  }
  const issues: ConfigIssue[] = [];
  const top = topLevel.safeParse(data);
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
  if (!top.success || issues.length > 0) return { issues };
  return { raw: { ...top.data, providers }, issues };
}
