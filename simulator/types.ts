// Shared shapes of the OpenStack simulator: what it holds, what the admin API accepts and returns.
// Records keep the field names of the real APIs where they have one, so state() reads like the cloud.

export type Service = 'identity' | 'compute' | 'network' | 'image' | 'volume';

/** A fault to inject on matching requests (matched in insertion order; the first match wins). */
export interface FaultSpec {
  service: Service;
  /** HTTP method, case-insensitive; any when absent. */
  method?: string;
  /**
   * Searched (unanchored) in the path below the service's mount, version included:
   * `/v2.1/servers/detail`, `/v2.0/ports`, `/v2/images/<id>/file`, `/v3/auth/tokens`.
   */
  pathRegex?: string;
  /** Status to answer with (default 500). Ignored when `hang` is set. */
  status?: number;
  /** Response body; `null` or `''` sends an empty body. Default: a short text naming the fault. */
  body?: string | null;
  /** Never answer (the socket stays open until the client gives up or the simulator stops). */
  hang?: boolean;
  /** Wait this long first; with no `status` the request is then served normally. */
  delayMs?: number;
  /** How many requests it applies to; default 1, -1 = forever. */
  times?: number;
  /**
   * The chance (0 < p <= 1, default 1) that a matching request is hit. A request it spares is
   * served normally (or by a later matching fault) and does not count towards `times`.
   */
  probability?: number;
}

export interface Fault extends FaultSpec {
  id: string;
  /** Requests it has matched so far. */
  hits: number;
}

/** How the next matching new server behaves. */
export interface ServerRuleSpec {
  /** Tested against the server name; any name when absent. */
  nameRegex?: string;
  outcome: 'error' | 'stuck-build' | 'active';
  /** `fault.message` of an ERROR server (default "No valid host was found."). */
  faultMessage?: string;
  /** default 1, -1 = forever */
  times?: number;
}

export interface ServerRule extends ServerRuleSpec {
  id: string;
  hits: number;
}

/** Absolute compute and volume limits; -1 means unlimited, as in Nova. */
export interface Quotas {
  instances: number;
  cores: number;
  ram: number;
  volumes: number;
  gigabytes: number;
  floatingIps: number;
}

/** Another user of the simulator's one project (domain `Default`). */
export interface UserSpec {
  username: string;
  password: string;
}

export interface SimulatorOptions {
  /** 0 or absent = pick a free port. */
  port?: number;
  /** Only loopback addresses are sensible; default 127.0.0.1. */
  host?: string;
  /** BUILD -> ACTIVE delay (default 500 ms). */
  bootDelayMs?: number;
  /** How long a deleted server is still visible before it 404s (default 200 ms). */
  deleteDelayMs?: number;
  /** JSON file: loaded at start if present, rewritten after every change. */
  stateFile?: string;
  /** Where uploaded image files go (default: `<stateFile>.images/`, or a temp dir removed on stop). */
  imageDir?: string;
  /** clouds.yaml entry name (default `simulator`). */
  cloudName?: string;
  /** Extra users besides the default one. */
  users?: UserSpec[];
  quotas?: Partial<Quotas>;
  /**
   * CIDRs of the default networks (private `10.0.0.0/16`, public `203.0.112.0/20` with its pool
   * from 203.0.113.2). A CIDR given here has its gateway at the first host and the pool after it.
   */
  cidrs?: Partial<Record<'public' | 'private', string>>;
  /** Token lifetime (default 1 hour; pkgcloud re-auths on every call below 5 minutes). */
  tokenTtlMs?: number;
  /** Called with one line per answered request (`GET /compute/v2.1/servers/detail 200 2ms`). */
  log?: (line: string) => void;
}

export interface Credentials {
  username: string;
  password: string;
  projectName: string;
  projectId: string;
  userDomainName: string;
  projectDomainName: string;
  applicationCredentialId: string;
  applicationCredentialSecret: string;
}

export interface SimAddress {
  networkId: string;
  portId: string;
  ip: string;
  mac: string;
}

export interface SimServer {
  id: string;
  name: string;
  status: 'BUILD' | 'ACTIVE' | 'ERROR' | 'SHUTOFF' | 'DELETED';
  /** Nova's task_state: `deleting` while an async delete is in progress. */
  taskState: string | null;
  created: string;
  updated: string;
  flavorId: string;
  /** '' when booted from volume. */
  imageId: string;
  metadata: Record<string, string>;
  availabilityZone: string;
  keyName: string | null;
  configDrive: boolean;
  userData: string | null;
  securityGroups: string[];
  addresses: SimAddress[];
  fault: { code: number; message: string; created: string } | null;
  /** epoch ms at which BUILD turns into the rule's outcome; null = never (stuck). */
  readyAt: number | null;
  outcome: 'error' | 'active';
  /** epoch ms after which a deleted server is gone; null = not being deleted. */
  goneAt: number | null;
  /** Whether it counts against quota (leaked servers injected by the admin API do too). */
  tenantId: string;
  userId: string;
  volumeIds: string[];
  hostId: string;
}

export interface SimImage {
  id: string;
  name: string | null;
  status: 'queued' | 'saving' | 'active' | 'killed' | 'deleted' | 'importing';
  visibility: string;
  protected: boolean;
  disk_format: string | null;
  container_format: string | null;
  min_disk: number;
  min_ram: number;
  size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  owner: string;
  tags: string[];
  created_at: string;
  updated_at: string;
  /** Custom string properties (top-level keys in the Glance API). */
  properties: Record<string, string>;
  /** File on disk holding the uploaded bytes; null before upload. */
  file: string | null;
}

export interface SimPort {
  id: string;
  name: string;
  network_id: string;
  project_id: string;
  mac_address: string;
  admin_state_up: boolean;
  status: 'ACTIVE' | 'DOWN' | 'BUILD';
  device_id: string;
  device_owner: string;
  fixed_ips: { subnet_id: string; ip_address: string }[];
  created_at: string;
  updated_at: string;
}

export interface SimFloatingIp {
  id: string;
  floating_ip_address: string;
  floating_network_id: string;
  router_id: string | null;
  port_id: string | null;
  fixed_ip_address: string | null;
  status: 'ACTIVE' | 'DOWN' | 'ERROR';
  /** Attached: DOWN until then (Neutron's L3 agent has not wired it yet); not shown. */
  activeAt?: number;
  project_id: string;
  description: string;
  created_at: string;
  updated_at: string;
}

export interface SimNetwork {
  id: string;
  name: string;
  external: boolean;
  shared: boolean;
  subnetId: string;
  /** The subnet's CIDR, e.g. `10.0.0.0/16`. */
  cidr: string;
  gatewayIp: string;
  /** Where Neutron takes port and floating-IP addresses from (inclusive). */
  allocationPool: { start: string; end: string };
  project_id: string;
  created_at: string;
}

/** A Cinder volume; only boot-from-volume creates them (Nova makes them from the BDM). */
export interface SimVolume {
  id: string;
  name: string;
  size: number;
  status: 'available' | 'in-use' | 'error';
  /** Server it is attached to (as the root disk, /dev/vda), or null. */
  serverId: string | null;
  imageId: string | null;
  deleteOnTermination: boolean;
  created_at: string;
  updated_at: string;
}

export interface SimFlavor {
  id: string;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
  ephemeral: number;
  swap: number;
  isPublic: boolean;
}

export interface Usage {
  instances: number;
  cores: number;
  ram: number;
  floatingIps: number;
  volumes: number;
  gigabytes: number;
}

/** The cloud resources the simulator holds. */
export interface Resources {
  servers: SimServer[];
  images: SimImage[];
  ports: SimPort[];
  floatingIps: SimFloatingIp[];
  volumes: SimVolume[];
  networks: SimNetwork[];
  flavors: SimFlavor[];
}

/** Everything the simulator holds, as returned by `admin.state()`. */
export interface SimulatorState extends Resources {
  availabilityZones: string[];
  quotas: Quotas;
  usage: Usage;
  bootDelayMs: number;
  deleteDelayMs: number;
  floatingIpDelayMs: number;
  faults: Fault[];
  serverRules: ServerRule[];
  tokens: number;
  /** Requests served per route, e.g. `"GET compute /servers/{id}": 3`. */
  requests: Record<string, number>;
}

export interface LeakServerSpec {
  name: string;
  metadata?: Record<string, string>;
  status?: SimServer['status'];
  flavorId?: string;
  imageId?: string;
}

export interface LeakPortSpec {
  status?: SimPort['status'];
  device_owner?: string;
  device_id?: string;
  network_id?: string;
  name?: string;
}

export interface LeakFloatingIpSpec {
  port_id?: string | null;
  floating_network_id?: string;
}

export interface LeakImageSpec {
  name: string;
  properties?: Record<string, string>;
  status?: SimImage['status'];
  disk_format?: string;
}
