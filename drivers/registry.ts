// What each driver does here, asked by capability: the launcher, builder, cleanup, gauges and
// CLI ask "which providers do I launch for, which take image uploads, which have a cleanup"
// instead of testing driver names. A driver is one entry below; the type guards narrow a
// provider to the config types of the drivers that have the capability.
import type { OpenStackProvider, ProviderConfig, StaticProvider } from '../lib/config/types';
import type { SupportedDriver } from '../lib/config/drivers';

export interface DriverCapabilities {
  /** The launcher registers its pools and launches (or hands out) nodes for them. */
  launches: boolean;
  /** Nodes are cloud servers made through a Provider client: a task queue with `rate`, quota. */
  cloud: boolean;
  /** The builder uploads diskimages to it; alien images are looked for there. */
  imageUploads: boolean;
  /** A periodic cleanup workflow looks for leaked servers, images, floating IPs and ports. */
  cleanup: boolean;
}

const DRIVERS: Record<SupportedDriver, DriverCapabilities> = {
  openstack: { launches: true, cloud: true, imageUploads: true, cleanup: true },
  // nodes are the configured hosts' slots, registered READY (drivers/static/), never launched
  static: { launches: true, cloud: false, imageUploads: false, cleanup: false },
};

const NONE: DriverCapabilities = { launches: false, cloud: false, imageUploads: false, cleanup: false };

/** A provider of a driver we do not run (kubernetes, aws, …) can do nothing here. */
export function capabilities(p: ProviderConfig | null | undefined): DriverCapabilities {
  return p?.supported ? DRIVERS[p.driver] : NONE;
}

/** The providers whose driver has a capability: widen as drivers gain it. */
export type LaunchingProvider = OpenStackProvider | StaticProvider;
export type CloudProvider = OpenStackProvider;
export type ImageProvider = OpenStackProvider;

export const launchesNodes = (p: ProviderConfig | null | undefined): p is LaunchingProvider => capabilities(p).launches;
export const isCloudProvider = (p: ProviderConfig | null | undefined): p is CloudProvider => capabilities(p).cloud;
export const takesImageUploads = (p: ProviderConfig | null | undefined): p is ImageProvider => capabilities(p).imageUploads;
export const hasCleanup = (p: ProviderConfig | null | undefined): p is CloudProvider => capabilities(p).cleanup;

export const isStaticProvider = (p: ProviderConfig | null | undefined): p is StaticProvider => !!p && p.driver === 'static';
