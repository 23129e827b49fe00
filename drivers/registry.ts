// Every driver this project runs, by the name nodepool.yaml gives it, and the questions the
// launcher, builder, cleanup, gauges, CLI and config loader ask about a provider ("do I launch
// for it, does it take image uploads, has it a cleanup, which adapter makes its servers")
// instead of testing driver names. Adding a driver is a folder under drivers/ and one line here.
import { type SearchEnv } from '../lib/cloud/search-path';
import { type CloudProviderConfig, type ProviderConfig, type StaticProvider } from '../lib/config/types';
import { type CloudsYamlSearch, type Driver, type DriverCapabilities } from './driver';
import { fileCloudDriver } from './filecloud/driver';
import { openstackDriver } from './openstack/driver';
import { type Provider } from './provider';
import { staticDriver } from './static/driver';

const DRIVERS: Readonly<Record<string, Driver<unknown, ProviderConfig>>> = {
  openstack: openstackDriver,
  static: staticDriver,
  filecloud: fileCloudDriver,
};

export type { DriverCapabilities } from './driver';

/** Drivers written for the tests are known only when NODEPOOL_TEST_DRIVERS=1. */
function visible(d: Driver<unknown, ProviderConfig>, env: NodeJS.ProcessEnv = process.env): boolean {
  return !d.testOnly || env.NODEPOOL_TEST_DRIVERS === '1';
}

/** The driver called `name`, or undefined when we do not run one by that name. */
export function driverNamed(name: string): Driver<unknown, ProviderConfig> | undefined {
  const d = Object.hasOwn(DRIVERS, name) ? DRIVERS[name] : undefined;
  return d && visible(d) ? d : undefined;
}

/** Names of the drivers we run (test drivers only when enabled). */
export function runDriverNames(): string[] {
  return Object.keys(DRIVERS).filter((n) => visible(DRIVERS[n] as Driver<unknown, ProviderConfig>));
}

const NONE: DriverCapabilities = { launches: false, cloud: false, imageUploads: false, cleanup: false };

/** A provider of a driver we do not run (kubernetes, aws, …) can do nothing here. */
export function capabilities(p: ProviderConfig | null | undefined): DriverCapabilities {
  return (p?.supported && driverNamed(p.driver)?.capabilities) || NONE;
}

/** The providers whose driver has a capability. */
export type LaunchingProvider = CloudProviderConfig | StaticProvider;
export type CloudProvider = CloudProviderConfig;
export type ImageProvider = CloudProviderConfig;

export const launchesNodes = (p: ProviderConfig | null | undefined): p is LaunchingProvider => capabilities(p).launches;
export const isCloudProvider = (p: ProviderConfig | null | undefined): p is CloudProvider => capabilities(p).cloud;
export const takesImageUploads = (p: ProviderConfig | null | undefined): p is ImageProvider => capabilities(p).imageUploads;
export const hasCleanup = (p: ProviderConfig | null | undefined): p is CloudProvider => capabilities(p).cleanup;
/** Static providers: served from their configured hosts' slots (drivers/static/), never launched. */
export const isStaticProvider = (p: ProviderConfig | null | undefined): p is StaticProvider => !!p && driverNamed(p.driver) === staticDriver;

/** The adapter that makes a cloud provider's servers. */
export function cloudAdapter(cfg: CloudProvider, search?: SearchEnv): Provider {
  const make = driverNamed(cfg.driver)?.adapter;
  if (!make) throw new Error(`provider ${cfg.name}: driver ${cfg.driver} has no cloud adapter`);
  return make(cfg, search);
}

/** The disk format the builder makes for an image provider (undefined: the builder's default). */
export function imageFormatFor(cfg: ImageProvider, search?: CloudsYamlSearch): string | undefined {
  return driverNamed(cfg.driver)?.imageFormat?.(cfg, search);
}
