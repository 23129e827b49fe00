// Which Nodepool drivers exist, and which of them this project runs. A provider with a driver we do
// not run still has to load (operators switch with their config unchanged); the launcher skips it.

/** Drivers with a full schema, model and (eventually) an implementation here. */
export const SUPPORTED_DRIVERS = ['openstack', 'static'] as const;
export type SupportedDriver = (typeof SUPPORTED_DRIVERS)[number];

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
const ALIASES: Record<string, SupportedDriver> = { fake: 'openstack' };

export type DriverName = SupportedDriver | UnsupportedDriver;

export const ALL_DRIVERS: readonly string[] = [...SUPPORTED_DRIVERS, ...UNSUPPORTED_DRIVERS, ...Object.keys(ALIASES)];

/** The driver a provider entry uses (`driver` defaults to openstack), or undefined if unknown. */
export function resolveDriver(value: unknown): DriverName | undefined {
  const name = value === undefined ? 'openstack' : value;
  if (typeof name !== 'string') return undefined;
  if (name in ALIASES) return ALIASES[name];
  if ((SUPPORTED_DRIVERS as readonly string[]).includes(name)) return name as SupportedDriver;
  if ((UNSUPPORTED_DRIVERS as readonly string[]).includes(name)) return name as UnsupportedDriver;
  return undefined;
}

export function isSupportedDriver(d: DriverName): d is SupportedDriver {
  return (SUPPORTED_DRIVERS as readonly string[]).includes(d);
}
