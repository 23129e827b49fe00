// What a driver is here, sized like Nodepool's driver folder (config.py + adapter.py): its
// provider schema, cross-reference checks and config builder, and for cloud drivers the adapter
// that makes servers (drivers/provider.ts). Our workflows are the state machines that Nodepool's
// statemachine.py drives adapters with, so an adapter only answers calls. One `Driver` per folder
// under drivers/, listed once in drivers/registry.ts.
import { type ZodType } from 'zod';
import { type LoadCloudOptions } from '../lib/cloud/clouds-yaml';
import { type SearchEnv } from '../lib/cloud/search-path';
import { type ReferenceContext } from '../lib/config/reference-check';
import { type CloudProviderConfig, type DiskImage, type ProviderConfig } from '../lib/config/types';
import { type Provider } from './provider';

/** Where clouds.yaml is looked for (tests point it at their own file). */
export type CloudsYamlSearch = Omit<LoadCloudOptions, 'cloud' | 'region'>;

export interface DriverCapabilities {
  /** The launcher registers its pools and launches (or hands out) nodes for them. */
  launches: boolean;
  /** Nodes are servers made through the driver's adapter: a task queue with `rate`, quota. */
  cloud: boolean;
  /** The builder uploads diskimages to it; alien images are looked for there. */
  imageUploads: boolean;
  /** A periodic cleanup workflow looks for leaked servers, images, floating IPs and ports. */
  cleanup: boolean;
}

/** Raw is the provider entry as the schema returns it. */
export interface Driver<Raw = unknown, Config extends ProviderConfig = ProviderConfig> {
  capabilities: DriverCapabilities;
  /** Only loaded with NODEPOOL_TEST_DRIVERS=1 (drivers written for the tests). */
  testOnly?: boolean;
  /** Nodepool's schema for the entry (driver keys plus the common provider keys), strict. */
  schema: ZodType<Raw>;
  /** What a schema cannot say: names defined once, labels and diskimages that exist. */
  checkReferences(raw: Raw, ctx: ReferenceContext): void;
  /** The normalised model with Nodepool's code defaults. */
  build(raw: Raw, diskimages: Record<string, Omit<DiskImage, 'providers'>>): Config;
  /** Cloud drivers: the adapter for one provider (no I/O until called). */
  adapter?(cfg: CloudProviderConfig, search?: SearchEnv): Provider;
  /** Image-upload drivers: the disk format the builder makes for this provider, if it says. */
  imageFormat?(cfg: CloudProviderConfig, search?: CloudsYamlSearch): string | undefined;
}
