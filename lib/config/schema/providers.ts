// Checks one `providers[]` entry against its driver's schema, as Nodepool's validator does
// (driver schema extended by the common provider schema).
import { type ConfigIssue } from '../errors';
import { ALL_DRIVERS, type DriverName, resolveDriver, type UnsupportedDriver } from '../drivers';
import { type ConfigSource } from '../source';
import { cloudProvider, type RawOpenStackProvider } from '../../../drivers/openstack/schema';
import { reportZodIssues } from './report';
import { type RawStaticProvider, staticProvider } from '../../../drivers/static/schema';
import { type RawUnrunProvider, unrunProviders } from './unrun';

export type RawProvider =
  | { driver: 'openstack'; raw: RawOpenStackProvider }
  | { driver: 'static'; raw: RawStaticProvider }
  | { driver: UnsupportedDriver; raw: RawUnrunProvider };

export function parseProvider(src: ConfigSource, value: unknown, index: number): { provider?: RawProvider; issues: ConfigIssue[] } {
  const at = ['providers', index];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { issues: [src.issue('error', 'schema', at, `expected a mapping, got ${src.describe(at)}`)] };
  }
  const driver: DriverName | undefined = resolveDriver((value as Record<string, unknown>).driver);
  if (!driver) {
    const p = [...at, 'driver'];
    return {
      issues: [src.issue('error', 'schema', p, `unknown driver ${src.describe(p)}; Nodepool drivers are ${ALL_DRIVERS.join(', ')}`)],
    };
  }
  if (driver === 'openstack') {
    const r = cloudProvider.safeParse(value);
    return r.success ? { provider: { driver, raw: r.data }, issues: [] } : { issues: reportZodIssues(src, r.error.issues, at) };
  }
  if (driver === 'static') {
    const r = staticProvider.safeParse(value);
    return r.success ? { provider: { driver, raw: r.data }, issues: [] } : { issues: reportZodIssues(src, r.error.issues, at) };
  }
  const r = unrunProviders[driver].safeParse(value);
  return r.success ? { provider: { driver, raw: r.data }, issues: [] } : { issues: reportZodIssues(src, r.error.issues, at) };
}
