// The normalised config model every other part of the project reads. camelCase names, Nodepool's
// code defaults already applied, diskimage inheritance resolved. Everything is plain JSON data
// (no Infinity, no Map, no class instances) so it can be passed to Temporal workflows as is.
import { type DriverName, type UnsupportedDriver } from './drivers';

/** A cap such as max-servers; `null` means unlimited (Nodepool's math.inf, which JSON cannot carry). */
export type Limit = number | null;

export interface ZooKeeperServer {
  host: string;
  port: number;
  /** '' when not set. */
  chroot: string;
}

export interface ZooKeeperTls {
  cert: string;
  key: string;
  ca: string;
}

export interface WebApp {
  port: number;
  listenAddress: string;
}

export interface Label {
  name: string;
  /** ≤ 0 means off. */
  minReady: number;
  /** Seconds; 0 means off. */
  maxReadyAge: number;
  /** The supported-driver pools that offer this label, in config order. */
  pools: { provider: string; pool: string }[];
}

/** A buildable (non-abstract) diskimage with its parents already merged in. */
export interface DiskImage {
  name: string;
  /** The `parent` chain, nearest first (for display; the values are already merged). */
  parents: string[];
  /** DIB elements in order: grandparents' first, own last. */
  elements: string[];
  /** Always a string (DIB_RELEASE); `21` in YAML becomes "21". */
  release: string;
  /** Main file env-vars merged with the secure file's. Values are secrets: never log them. */
  envVars: Record<string, string>;
  /** Names (never values) of the env-vars that came from the secure file. */
  secureEnvVarNames: string[];
  /** Extra DIB output formats from the config (sorted); provider formats come from clouds.yaml. */
  formats: string[];
  keepFormats: string[];
  deleteAfterUpload: boolean;
  pause: boolean;
  rebuildAge: number;
  buildTimeout: number;
  dibCmd: string;
  username: string;
  pythonPath: string;
  shellType: string | null;
  metadata: Record<string, unknown>;
  /** Supported-driver providers that list this image under their `diskimages` (upload targets). */
  providers: string[];
}

export type ConnectionType = string;

export interface ProviderDiskImage {
  name: string;
  pause: boolean;
  configDrive: boolean | null;
  connectionType: ConnectionType;
  connectionPort: number;
  meta: Record<string, unknown>;
  /** Copied from the top-level diskimage (they end up on the node). */
  username: string;
  pythonPath: string;
  shellType: string | null;
}

export interface ProviderCloudImage {
  name: string;
  configDrive: boolean | null;
  imageId: string | null;
  imageName: string | null;
  /** imageId ?? imageName ?? name: what to look up in the cloud. */
  externalName: string;
  username: string | null;
  pythonPath: string;
  shellType: string | null;
  connectionType: ConnectionType;
  connectionPort: number;
}

/** A label of a cloud pool (OpenStack's `pools[].labels[]`). */
export interface CloudPoolLabel {
  name: string;
  diskimage: string | null;
  cloudImage: string | null;
  minRam: number;
  flavorName: string | null;
  keyName: string | null;
  consoleLog: boolean;
  bootFromVolume: boolean;
  volumeSize: number;
  instanceProperties: Record<string, unknown>;
  dynamicInstanceProperties: Record<string, unknown>;
  userdata: string | null;
  networks: string[];
  hostKeyChecking: boolean;
}

interface PoolCommon {
  name: string;
  /** ≤ 0 disables the pool (every request declined). */
  maxServers: Limit;
  nodeAttributes: Record<string, unknown> | null;
  /** Effective priority: pool value, else provider value, else 100 (lower wins). */
  priority: number;
  /** The labels this pool can serve (published to ZooKeeper), in config order. */
  supportedLabels: string[];
}

export interface CloudPoolConfig extends PoolCommon {
  maxCores: Limit;
  maxRam: Limit;
  maxVolumes: Limit;
  maxVolumeGb: Limit;
  ignoreProviderQuota: boolean;
  /** null: all AZs from nova. */
  availabilityZones: string[] | null;
  networks: string[];
  securityGroups: string[];
  autoFloatingIp: boolean;
  hostKeyChecking: boolean;
  labels: Record<string, CloudPoolLabel>;
}

export interface StaticNode {
  name: string;
  labels: string[];
  hostKeys: string[];
  hostKeyChecking: boolean;
  timeout: number;
  connectionPort: number;
  connectionType: ConnectionType;
  shellType: string | null;
  username: string;
  maxParallelJobs: number;
  pythonPath: string;
}

export interface StaticPool extends PoolCommon {
  nodes: StaticNode[];
}

interface ProviderCommon {
  name: string;
  /** -1 (default) unlimited; an explicit 0 means the provider handles no requests (Nodepool quirk A1). */
  maxConcurrency: number;
  /** The provider-level `priority`, if set (pools already carry their effective priority). */
  priority: number | null;
}

/**
 * A cloud provider: its nodes are servers made through the driver's adapter (drivers/provider.ts).
 * Every cloud driver here takes OpenStack's provider schema (as Nodepool's own `fake` driver does);
 * `driver` names which adapter makes the servers (drivers/registry.ts).
 */
export interface CloudProviderConfig extends ProviderCommon {
  driver: string;
  supported: true;
  cloud: string;
  regionName: string | null;
  bootTimeout: number;
  launchTimeout: number;
  launchRetries: number;
  /** Seconds between API calls; 0 means unlimited. */
  rate: number;
  imageUploadTimeout: number;
  imageNameFormat: string;
  /** [2019] hostname-format; null when absent ([2024]: servers are named np<id>). */
  hostnameFormat: string | null;
  /** Nodepool's code default (unset → off), not the docs' True. */
  cleanFloatingIps: boolean;
  portCleanupInterval: number;
  postUploadHook: string | null;
  diskimages: Record<string, ProviderDiskImage>;
  cloudImages: Record<string, ProviderCloudImage>;
  pools: Record<string, CloudPoolConfig>;
}

export interface StaticProvider extends ProviderCommon {
  driver: 'static';
  supported: true;
  pools: Record<string, StaticPool>;
}

/** A provider whose driver we do not run: kept so it can be reported and compared, never launched. */
export interface UnsupportedProvider extends ProviderCommon {
  driver: UnsupportedDriver;
  supported: false;
  /** The provider entry exactly as written (driver-specific keys included). */
  raw: Record<string, unknown>;
}

export type ProviderConfig = CloudProviderConfig | StaticProvider | UnsupportedProvider;

export type TenantLimits = Record<string, Limit>;

export interface NodepoolConfig {
  webapp: WebApp;
  zookeeperServers: ZooKeeperServer[];
  /** `host:port/chroot,...` with IPv6 literals bracketed ('' when no servers). */
  zookeeperHosts: string;
  zookeeperTls: ZooKeeperTls | null;
  zookeeperTimeout: number;
  elementsDir: string | null;
  imagesDir: string | null;
  buildLogDir: string;
  /** -1 turns pruning off. */
  buildLogRetention: number;
  /** Seconds; null means no limit (absent or ≤ 0). */
  maxHoldAge: number | null;
  labels: Record<string, Label>;
  diskimages: Record<string, DiskImage>;
  providers: Record<string, ProviderConfig>;
  /** tenant name → {instances, cores, ram, volumes?, volume-gb?, <driver resource>}. */
  tenantResourceLimits: Record<string, TenantLimits>;
}

export type { DriverName };
