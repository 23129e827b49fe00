// The driver-neutral Provider: what the launcher, builder and cleanup activities need from a cloud.
// OpenStack implements it (./openstack); a static or other driver can implement it later
// (operations it has no notion of, such as floating IPs, may return empty lists).
// Errors are CloudError subclasses (./errors) whose `kind` drives Temporal retry policy.

/** Nova-style server states; drivers map theirs onto these. */
export type ServerStatus = 'BUILD' | 'ACTIVE' | 'ERROR' | 'SHUTOFF' | 'DELETED' | 'UNKNOWN' | (string & {});

/** How a server is booted: a Nodepool upload (external id, chosen by the caller: newest READY
 *  upload) or a provider cloud-image (name or id, looked up among active images). */
export type ImageRef = { uploadExternalId: string } | { cloudImage: string };

/** `flavor-name` and/or `min-ram` of a pool label (spec §1.10). */
export interface FlavorRequest {
  flavorName?: string;
  minRam?: number;
}

export interface CreateServerRequest {
  /** ZooKeeper node id, e.g. "0000000042": the server is named np<node id>. */
  nodeId: string;
  poolName: string;
  label: string;
  /** The diskimage or cloud-image name (Nodepool's image name for `groups`). */
  imageName: string;
  image: ImageRef;
  flavor: FlavorRequest;
  /** Network names or ids. */
  networks?: string[];
  availabilityZone?: string;
  keyName?: string;
  /** Plain text; the provider encodes it. */
  userdata?: string;
  configDrive?: boolean;
  /** Boot from a new volume of this size (GB), deleted with the server. */
  bootFromVolume?: { sizeGb: number };
  securityGroups?: string[];
  /** instance-properties plus formatted dynamic-instance-properties; Nodepool's own keys win. */
  instanceProperties?: Record<string, string>;
}

export interface ServerAddresses {
  publicV4?: string;
  privateV4?: string;
  publicV6?: string;
  /** The address Nodepool connects to (node.interface_ip). */
  interfaceIp?: string;
}

export interface CloudServer {
  id: string;
  name: string;
  status: ServerStatus;
  /** e.g. "deleting" while an async delete runs. */
  taskState?: string | null;
  metadata: Record<string, string>;
  /** Present when status is ERROR. */
  fault?: { code?: number; message: string };
  addresses: ServerAddresses;
  hostId?: string;
  availabilityZone?: string;
  flavorId?: string;
  /** Undefined for boot from volume. */
  imageId?: string;
  volumeIds: string[];
  created?: string;
}

export interface Flavor {
  id: string;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
}

export interface CloudImage {
  id: string;
  name: string;
  status: string;
  size?: number;
  checksum?: string;
  diskFormat?: string;
  createdAt?: string;
  /** String properties (Glance custom properties). */
  properties: Record<string, string>;
}

export interface UploadImageRequest {
  name: string;
  /** Local file, streamed, never read into memory. */
  path: string;
  diskFormat: string;
  containerFormat?: string;
  /** Glance properties: diskimage meta + nodepool_build_id / nodepool_upload_id etc. */
  properties?: Record<string, string>;
  /** Known checksums (DIB writes .md5/.sha256); computed by streaming the file when absent. */
  md5?: string;
  sha256?: string;
  /** Overall limit for create + upload + becoming active (Nodepool image-upload-timeout). */
  timeoutMs?: number;
  /** Called with bytes sent so far (activities heartbeat with it). */
  onProgress?: (bytesSent: number, total: number) => void;
}

export interface FloatingIp {
  id: string;
  address: string;
  portId: string | null;
  fixedAddress: string | null;
  status: string;
  networkId: string;
}

export interface Port {
  id: string;
  status: string;
  deviceOwner: string;
  deviceId: string;
  networkId: string;
  createdAt?: string;
}

/** A limit and what is used of it; Infinity when the cloud says unlimited (-1). */
export interface QuotaFigure {
  max: number;
  used: number;
}

export interface Quota {
  instances: QuotaFigure;
  cores: QuotaFigure;
  ram: QuotaFigure;
  /** Undefined when the cloud has no volume service (no volume quota). */
  volumes?: QuotaFigure;
  volumeGb?: QuotaFigure;
}

export interface ListOptions {
  /** Accept a list fetched at most this long ago. Many node workflows polling for ACTIVE then
   *  share one list call, as Nodepool's server-list cache does, instead of one GET each. */
  maxAgeMs?: number;
}

export interface AttachFloatingIpOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface Provider {
  readonly name: string;

  createServer(req: CreateServerRequest): Promise<CloudServer>;
  /** Null when the server does not exist. */
  getServer(id: string): Promise<CloudServer | null>;
  /** Every server (all pages). */
  listServers(opts?: ListOptions): Promise<CloudServer[]>;
  /** Servers this provider launched: metadata nodepool_provider_name equals this provider. */
  listNodepoolServers(opts?: ListOptions): Promise<CloudServer[]>;
  /** Asks for deletion (the server's floating IPs first); true if it was asked, false if it was already gone. */
  deleteServer(id: string): Promise<boolean>;
  /**
   * Waits until `until` accepts the server as the provider's shared status listing shows it
   * (null: gone). Many launches and deletes share one listing per interval instead of one GET
   * each. Rejects with ServerWaitTimeoutError after timeoutMs, with the signal's reason when it
   * aborts, and with a non-retryable CloudError when the listing fails for good.
   */
  waitForServer(id: string, until: (server: CloudServer | null) => boolean, opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<CloudServer | null>;
  getConsoleLog(serverId: string, lines?: number): Promise<string>;

  listFlavors(): Promise<Flavor[]>;
  /** Nodepool's flavor rule (min-ram: smallest by (ram, name) whose name contains flavor-name). */
  findFlavor(req: FlavorRequest): Promise<Flavor>;
  listAvailabilityZones(): Promise<string[]>;
  getQuota(): Promise<Quota>;

  uploadImage(req: UploadImageRequest): Promise<CloudImage>;
  getImage(id: string): Promise<CloudImage | null>;
  /** An active image by name or id (cloud-images). */
  findCloudImage(nameOrId: string): Promise<CloudImage | null>;
  listImages(filter?: { name?: string; status?: string }): Promise<CloudImage[]>;
  /** True if deleted, false if it was already gone. */
  deleteImage(id: string): Promise<boolean>;

  /** Pool `auto-floating-ip`: whether this ACTIVE server needs a floating IP to be reachable
   *  (openstacksdk's _needs_floating_ip: no public address, a fixed one, an external network). */
  needsFloatingIp(server: CloudServer): Promise<boolean>;
  /** Creates a floating IP on the server's port, waits until it is ACTIVE and the server's
   *  addresses show it (deleting it on failure); returns the server as it now is. */
  attachFloatingIp(server: CloudServer, opts?: AttachFloatingIpOptions): Promise<CloudServer>;
  listFloatingIps(): Promise<FloatingIp[]>;
  deleteFloatingIp(id: string): Promise<boolean>;
  /** Nodepool's clean-floating-ips: deletes every floating IP with no port; returns how many. */
  deleteUnattachedFloatingIps(): Promise<number>;

  listPorts(filter?: { status?: string }): Promise<Port[]>;
  deletePort(id: string): Promise<boolean>;

  /** Releases sockets and timers. */
  close(): Promise<void>;
}
