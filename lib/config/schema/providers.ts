// Checks one `providers[]` entry against its driver's schema, as Nodepool's validator does
// (driver schema extended by the common provider schema).
import { driverNamed } from '../../../drivers/registry';
import { type ConfigIssue } from '../errors';
import { allDriverNames, type DriverName, isUnsupportedDriver, resolveDriver, type UnsupportedDriver } from '../drivers';
import { type ConfigSource } from '../source';
import { reportZodIssues } from './report';
import { type RawUnrunProvider, unrunProviders } from './unrun';

/** The fields every provider entry has, whatever its driver. */
interface RawProviderCommon {
  name: string;
  pools?: { name: string }[] | null;
}

/** An entry of a driver we run (its raw shape is the driver's schema output) or only validate. */
export type RawProvider =
  | { driver: string; unrun?: false; raw: RawProviderCommon }
  | { driver: UnsupportedDriver; unrun: true; raw: RawUnrunProvider };

export function parseProvider(src: ConfigSource, value: unknown, index: number): { provider?: RawProvider; issues: ConfigIssue[] } {
  const at = ['providers', index];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { issues: [src.issue('error', 'schema', at, `expected a mapping, got ${src.describe(at)}`)] };
  }
  const driver: DriverName | undefined = resolveDriver((value as Record<string, unknown>).driver);
  if (!driver) {
    const p = [...at, 'driver'];
    return {
      issues: [src.issue('error', 'schema', p, `unknown driver ${src.describe(p)}; Nodepool drivers are ${allDriverNames().join(', ')}`)],
    };
  }
  if (isUnsupportedDriver(driver)) {
    const r = unrunProviders[driver].safeParse(value);
    return r.success ? { provider: { driver, unrun: true, raw: r.data }, issues: [] } : { issues: reportZodIssues(src, r.error.issues, at) };
  }
  const schema = driverNamed(driver)?.schema;
  if (!schema) return { issues: [] }; // resolveDriver only returns drivers we run or validate
  const r = schema.safeParse(value);
  return r.success ? { provider: { driver, raw: r.data as RawProviderCommon }, issues: [] } : { issues: reportZodIssues(src, r.error.issues, at) };
}
