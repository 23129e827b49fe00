// Which Nodepool drivers exist, and which of them this project runs (drivers/registry.ts). A
// provider with a driver we do not run still has to load (operators switch with their config
// unchanged); the launcher skips it.
import { driverNamed, runDriverNames } from '../../drivers/registry';

/** A driver we run: a name in drivers/registry.ts. */
export type SupportedDriver = string;

/** Nodepool [2024] drivers we only validate (with Nodepool 11's schema for each, see schema/unrun.ts). */
export const UNSUPPORTED_DRIVERS = [
  'aws',
  'azure',
  'gce',
  'ibmvpc',
  'kubernetes',
  'openshift',
  'openshiftpods',
  'metastatic',
] as const;
export type UnsupportedDriver = (typeof UNSUPPORTED_DRIVERS)[number];

/**
 * Nodepool's internal `fake` driver is an OpenStack config with validation of clouds.yaml turned
 * off; here it is simply OpenStack (our test cloud is the OpenStack simulator).
 */
const ALIASES: Record<string, string> = { fake: 'openstack' };

export type DriverName = SupportedDriver | UnsupportedDriver;

/** Every driver name a provider may give, for messages. */
export function allDriverNames(): string[] {
  return [...runDriverNames(), ...UNSUPPORTED_DRIVERS, ...Object.keys(ALIASES)];
}

/** The driver a provider entry uses (`driver` defaults to openstack), or undefined if unknown. */
export function resolveDriver(value: unknown): DriverName | undefined {
  const name = value === undefined ? 'openstack' : value;
  if (typeof name !== 'string') return undefined;
  const resolved = ALIASES[name] ?? name;
  if (driverNamed(resolved)) return resolved;
  if (isUnsupportedDriver(resolved)) return resolved;
  return undefined;
}

export function isUnsupportedDriver(d: string): d is UnsupportedDriver {
  return (UNSUPPORTED_DRIVERS as readonly string[]).includes(d);
}

export function isSupportedDriver(d: DriverName): boolean {
  return !isUnsupportedDriver(d) && driverNamed(d) !== undefined;
}
