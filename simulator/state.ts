// Everything the simulator holds, its time-driven transitions (BUILD -> ACTIVE, delete -> gone),
// accounting and tokens. The initial state is in seed.ts, the JSON file in state-file.ts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AVAILABILITY_ZONES, DEFAULT_CREDENTIALS, PROJECT_ID, REGION, TOKEN_TTL_MS, USER_ID } from './defaults';
import { IpAllocator, ipToInt, parseCidr } from './ipam';
import { freshData, nowIso, upgradeNetworks, type Persisted, type TokenRecord, type User } from './seed';
import { StateFile } from './state-file';
import type {
  Credentials,
  Fault,
  ServerRule,
  SimFlavor,
  SimFloatingIp,
  SimNetwork,
  SimPort,
  SimServer,
  SimulatorOptions,
  SimulatorState,
  Usage,
} from './types';

export { hexId, nowIso, uuid, type TokenRecord, type User } from './seed';

export class Store {
  data: Persisted;
  faults: Fault[] = [];
  serverRules: ServerRule[] = [];
  requests: Record<string, number> = {};
  readonly region = REGION;
  readonly credentials: Credentials;
  readonly users = new Map<string, User>();
  readonly tokenTtlMs: number;
  baseUrl = '';
  private readonly file: StateFile | null;
  private nextId = 1;
  /** Built from `indexed` (the data they describe) on first use; a new `data` drops them. */
  private indexed: Persisted | null = null;
  private allocators = new Map<string, IpAllocator>();
  private serverIndex = { list: [] as SimServer[], length: -1, byId: new Map<string, SimServer>() };

  private constructor(
    private readonly opts: SimulatorOptions,
    readonly imageDir: string,
    private readonly ownsImageDir: boolean,
  ) {
    this.credentials = { ...DEFAULT_CREDENTIALS };
    this.tokenTtlMs = opts.tokenTtlMs ?? TOKEN_TTL_MS;
    const c = this.credentials;
    this.users.set(c.username, { id: USER_ID, name: c.username, password: c.password, projectId: PROJECT_ID, projectName: c.projectName });
    for (const u of opts.users ?? []) {
      this.users.set(u.username, {
        id: crypto.createHash('md5').update(u.username).digest('hex'),
        name: u.username,
        password: u.password,
        projectId: PROJECT_ID,
        projectName: c.projectName,
      });
    }
    this.data = freshData(opts);
    this.file = opts.stateFile ? new StateFile(opts.stateFile) : null;
  }

  static async open(opts: SimulatorOptions): Promise<Store> {
    let imageDir = opts.imageDir ?? (opts.stateFile ? `${opts.stateFile}.images` : '');
    const owns = !imageDir;
    if (!imageDir) imageDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'os-sim-images-'));
    await fsp.mkdir(imageDir, { recursive: true });
    const store = new Store(opts, imageDir, owns);
    const saved = await store.file?.load<Persisted>();
    if (saved) {
      if (saved.version !== 1) throw new Error(`${opts.stateFile}: unknown simulator state version ${String(saved.version)}`);
      store.data = { ...freshData(opts), ...saved };
      store.data.networks = upgradeNetworks(store.data.networks);
    }
    // Explicit options win over what the state file remembered.
    if (opts.bootDelayMs !== undefined) store.data.bootDelayMs = opts.bootDelayMs;
    if (opts.deleteDelayMs !== undefined) store.data.deleteDelayMs = opts.deleteDelayMs;
    if (opts.quotas) store.data.quotas = { ...store.data.quotas, ...opts.quotas };
    return store;
  }

  setBaseUrl(url: string): void {
    this.baseUrl = url;
  }

  newAdminId(prefix: string): string {
    return `${prefix}-${this.nextId++}`;
  }

  /** Schedules a write of the state file (coalesced; the last change always lands). */
  changed(): void {
    this.file?.schedule(() => this.data);
  }

  async close(): Promise<void> {
    await this.file?.flush();
    if (this.ownsImageDir) await fsp.rm(this.imageDir, { recursive: true, force: true });
  }

  /** Back to a fresh start; tokens stay valid (revokeTokens() drops them) so clients carry on. */
  reset(): void {
    for (const img of this.data.images) if (img.file) fs.rmSync(img.file, { force: true });
    const tokens = this.data.tokens;
    this.data = { ...freshData(this.opts), tokens };
    this.faults = [];
    this.serverRules = [];
    this.requests = {};
    this.changed();
  }

  // --- lookups -------------------------------------------------------------------------------

  network(idOrName: string): SimNetwork | undefined {
    return this.data.networks.find((n) => n.id === idOrName) ?? this.data.networks.find((n) => n.name === idOrName);
  }

  /** By id through an index: pollers ask for one server at a time among thousands. */
  server(id: string): SimServer | undefined {
    const ix = this.serverIndex;
    // Servers are only pushed or filtered into a new array, so identity and length tell staleness.
    if (ix.list !== this.data.servers || ix.length !== this.data.servers.length) {
      ix.byId = new Map(this.data.servers.map((s) => [s.id, s]));
      ix.list = this.data.servers;
      ix.length = this.data.servers.length;
    }
    return ix.byId.get(id);
  }

  flavor(id: string): SimFlavor | undefined {
    return this.data.flavors.find((f) => f.id === id);
  }

  availabilityZones(): string[] {
    return [...AVAILABILITY_ZONES];
  }

  // --- allocation ----------------------------------------------------------------------------

  /** A free address from the network's allocation pool, or null when the pool is exhausted. */
  allocateIp(net: SimNetwork): string | null {
    const alloc = this.allocator(net);
    const ip = alloc.take();
    this.data.ipCounters[net.id] = alloc.cursor - parseCidr(net.cidr).base;
    return ip;
  }

  /** Removes ports and gives their addresses back to their networks' pools. */
  removePorts(ids: ReadonlySet<string>): void {
    if (ids.size === 0) return;
    this.data.ports = this.data.ports.filter((p) => {
      if (!ids.has(p.id)) return true;
      const net = this.network(p.network_id);
      if (net) for (const f of p.fixed_ips) this.allocator(net).release(f.ip_address);
      return false;
    });
  }

  removeFloatingIp(f: SimFloatingIp): void {
    this.data.floatingIps = this.data.floatingIps.filter((x) => x !== f);
    const net = this.network(f.floating_network_id);
    if (net) this.allocator(net).release(f.floating_ip_address);
  }

  /** One per network, built from the addresses held when first needed (O(pool) once). */
  private allocator(net: SimNetwork): IpAllocator {
    if (this.indexed !== this.data) {
      this.allocators.clear();
      this.indexed = this.data;
    }
    let alloc = this.allocators.get(net.id);
    if (!alloc) {
      const held = [
        ...this.data.ports.filter((p) => p.network_id === net.id).flatMap((p) => p.fixed_ips.map((f) => f.ip_address)),
        ...this.data.floatingIps.filter((f) => f.floating_network_id === net.id).map((f) => f.floating_ip_address),
      ];
      const base = parseCidr(net.cidr).base;
      const cursor = base + (this.data.ipCounters[net.id] ?? ipToInt(net.allocationPool.start) - base);
      alloc = new IpAllocator(net.allocationPool, cursor, held);
      this.allocators.set(net.id, alloc);
    }
    return alloc;
  }

  newMac(): string {
    const n = ++this.data.macCounter;
    const b = [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff].map((x) => x.toString(16).padStart(2, '0'));
    return `fa:16:3e:${b.join(':')}`;
  }

  // --- time-driven transitions ---------------------------------------------------------------

  /** Applies every transition that is due; called before each request is served. */
  tick(now = Date.now()): void {
    let changed = false;
    const gone: SimServer[] = [];
    const booted = new Set<string>();
    for (const s of this.data.servers) {
      if (s.goneAt !== null && now >= s.goneAt) {
        gone.push(s);
        changed = true;
      } else if (s.status === 'BUILD' && s.goneAt === null && s.readyAt !== null && now >= s.readyAt) {
        s.updated = nowIso(s.readyAt);
        s.taskState = null;
        if (s.outcome === 'error') {
          s.status = 'ERROR';
          s.fault = s.fault ?? { code: 500, message: 'No valid host was found. ', created: s.updated };
        } else {
          s.status = 'ACTIVE';
          s.fault = null;
          booted.add(s.id);
        }
        changed = true;
      }
    }
    // One pass over the ports for every server that came up (a storm boots hundreds per tick).
    if (booted.size) for (const p of this.data.ports) if (booted.has(p.device_id) && p.device_owner.startsWith('compute:')) p.status = 'ACTIVE';
    this.removeServers(gone);
    for (const [id, t] of Object.entries(this.data.tokens)) {
      if (t.expiresAt <= now) {
        delete this.data.tokens[id];
        changed = true;
      }
    }
    if (changed) this.changed();
  }

  serverPorts(serverId: string): SimPort[] {
    return this.data.ports.filter((p) => p.device_id === serverId && p.device_owner.startsWith('compute:'));
  }

  /**
   * The servers are gone: their compute ports go with them and floating IPs on those are released.
   * One pass over each list for all of them, as a mass delete ends within one tick.
   */
  private removeServers(servers: SimServer[]): void {
    if (servers.length === 0) return;
    const ids = new Set(servers.map((s) => s.id));
    const portIds = new Set(this.data.ports.filter((p) => ids.has(p.device_id) && p.device_owner.startsWith('compute:')).map((p) => p.id));
    this.removePorts(portIds);
    for (const f of this.data.floatingIps) {
      if (f.port_id && portIds.has(f.port_id)) this.detachFloatingIp(f);
    }
    // Root volumes made with delete_on_termination go with the server; others are detached.
    this.data.volumes = this.data.volumes.filter((v) => v.serverId === null || !ids.has(v.serverId) || !v.deleteOnTermination);
    for (const v of this.data.volumes) {
      if (v.serverId !== null && ids.has(v.serverId)) Object.assign(v, { serverId: null, status: 'available', updated_at: nowIso() });
    }
    this.data.servers = this.data.servers.filter((x) => !ids.has(x.id));
    for (const s of servers) this.data.goneServers[s.id] = s.created;
    const gone = Object.keys(this.data.goneServers);
    if (gone.length > 5000) for (const id of gone.slice(0, gone.length - 4000)) delete this.data.goneServers[id];
  }

  detachFloatingIp(f: SimFloatingIp): void {
    f.port_id = null;
    f.fixed_ip_address = null;
    f.router_id = null;
    f.status = 'DOWN';
    delete f.activeAt;
    f.updated_at = nowIso();
  }

  // --- accounting ----------------------------------------------------------------------------

  /** What counts against quota: every server until it is gone (Nova frees quota on delete completion). */
  usage(): Usage {
    let cores = 0;
    let ram = 0;
    for (const s of this.data.servers) {
      const f = this.flavor(s.flavorId);
      cores += f?.vcpus ?? 0;
      ram += f?.ram ?? 0;
    }
    return {
      instances: this.data.servers.length,
      cores,
      ram,
      floatingIps: this.data.floatingIps.length,
      volumes: this.data.volumes.length,
      gigabytes: this.data.volumes.reduce((a, v) => a + v.size, 0),
    };
  }

  snapshot(): SimulatorState {
    const d = this.data;
    return structuredClone({
      servers: d.servers,
      images: d.images,
      ports: d.ports,
      floatingIps: d.floatingIps,
      volumes: d.volumes,
      networks: d.networks,
      flavors: d.flavors,
      availabilityZones: this.availabilityZones(),
      quotas: d.quotas,
      usage: this.usage(),
      bootDelayMs: d.bootDelayMs,
      deleteDelayMs: d.deleteDelayMs,
      floatingIpDelayMs: d.floatingIpDelayMs ?? 0,
      faults: this.faults,
      serverRules: this.serverRules,
      tokens: Object.keys(d.tokens).length,
      requests: this.requests,
    });
  }

  // --- tokens --------------------------------------------------------------------------------

  issueToken(user: User, methods: string[], scoped: boolean): { id: string; record: TokenRecord } {
    const id = `gAAAAA${crypto.randomBytes(96).toString('base64url')}`;
    const issuedAt = Date.now();
    const record: TokenRecord = {
      userId: user.id,
      username: user.name,
      projectId: user.projectId,
      projectName: user.projectName,
      methods,
      issuedAt,
      expiresAt: issuedAt + this.tokenTtlMs,
      scoped,
    };
    this.data.tokens[id] = record;
    this.changed();
    return { id, record };
  }

  token(id: string | undefined): TokenRecord | undefined {
    if (!id) return undefined;
    const t = this.data.tokens[id];
    return t && t.expiresAt > Date.now() ? t : undefined;
  }

  revokeTokens(): void {
    this.data.tokens = {};
    this.changed();
  }
}
