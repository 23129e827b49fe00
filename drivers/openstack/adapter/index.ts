// The OpenStack Provider: clouds.yaml entry + Nodepool provider settings in, Provider out.
import { type CloudConfig } from '../../../lib/cloud/clouds-yaml';
import type {
  AttachFloatingIpOptions,
  CloudImage,
  CloudServer,
  CreateServerRequest,
  Flavor,
  FlavorRequest,
  FloatingIp,
  ListOptions,
  Port,
  Provider,
  Quota,
  UploadImageRequest,
} from '../../provider';
import { KeyedTtlCache, SharedList, TtlCache } from './cache';
import * as compute from './compute';
import { type OpenStackContext } from './context';
import * as flavors from './flavors';
import * as floatingIps from './floating-ips';
import * as image from './image';
import { getQuota } from './limits';
import * as network from './network';
import { type ServerPredicate, ServerStatusWatcher, type WaitForOptions } from './server-status';
import { OpenStackSession } from './session';

export interface OpenStackProviderOptions {
  /** Nodepool provider name (metadata nodepool_provider_name, logger, rate bucket). */
  name: string;
  cloud: CloudConfig;
  /** Nodepool `rate`: seconds between API calls (default 1.0; 0 = unlimited). */
  rate?: number;
  /** Per-call timeout (default 60 s). */
  requestTimeoutMs?: number;
  /** Page size for lists (default 1000, Nova's usual max). */
  pageSize?: number;
  /** Poll interval while an uploaded image becomes active (default 2 s). */
  imagePollMs?: number;
  /** How long flavors, networks and AZs are cached (default 5 min). */
  cacheTtlMs?: number;
  /** How long a found cloud-image is reused by launches (default 60 s). */
  imageCacheTtlMs?: number;
  /** Interval of the shared server-status listing while launches or deletes wait (default
   *  250 ms; at least twice the time the listing's pages take at `rate`). */
  statusIntervalMs?: number;
}

export class OpenStackProvider implements Provider {
  readonly name: string;
  readonly session: OpenStackSession;
  private readonly ctx: OpenStackContext;

  constructor(opts: OpenStackProviderOptions) {
    this.name = opts.name;
    this.session = new OpenStackSession(opts.cloud, {
      provider: opts.name,
      rateSeconds: opts.rate ?? 1,
      timeoutMs: opts.requestTimeoutMs ?? 60_000,
    });
    const ttl = opts.cacheTtlMs ?? 300_000;
    const pageSize = opts.pageSize ?? 1000;
    const ctx: OpenStackContext = {
      provider: opts.name,
      session: this.session,
      pageSize,
      pollMs: opts.imagePollMs ?? 2000,
      preferPrivate: opts.cloud.private,
      cloudNetworks: opts.cloud.networks,
      floatingIpSource: opts.cloud.floatingIpSource,
      caches: {
        flavors: new TtlCache(ttl),
        networks: new TtlCache(ttl),
        availabilityZones: new TtlCache(ttl),
        images: new KeyedTtlCache(opts.imageCacheTtlMs ?? 60_000, (img) => img !== null),
      },
      serverList: new SharedList(),
      serverStatus: new ServerStatusWatcher({
        list: () => compute.listServers(ctx),
        intervalMs: opts.statusIntervalMs,
        rateMs: (opts.rate ?? 1) * 1000,
        pageSize,
        log: this.session.log,
      }),
    };
    this.ctx = ctx;
  }

  createServer(req: CreateServerRequest): Promise<CloudServer> {
    return compute.createServer(this.ctx, req);
  }

  getServer(id: string): Promise<CloudServer | null> {
    return compute.getServer(this.ctx, id);
  }

  listServers(opts?: ListOptions): Promise<CloudServer[]> {
    return compute.listServersCached(this.ctx, opts?.maxAgeMs ?? 0);
  }

  listNodepoolServers(opts?: ListOptions): Promise<CloudServer[]> {
    return compute.listNodepoolServers(this.ctx, opts?.maxAgeMs ?? 0);
  }

  deleteServer(id: string): Promise<boolean> {
    return compute.deleteServer(this.ctx, id);
  }

  waitForServer(id: string, until: ServerPredicate, opts?: WaitForOptions): Promise<CloudServer | null> {
    return this.ctx.serverStatus.waitFor(id, until, opts);
  }

  /** The shared status listing, for tests and diagnostics. */
  get serverStatus(): ServerStatusWatcher {
    return this.ctx.serverStatus;
  }

  getConsoleLog(serverId: string, lines?: number): Promise<string> {
    return compute.getConsoleLog(this.ctx, serverId, lines);
  }

  listFlavors(): Promise<Flavor[]> {
    return flavors.listFlavors(this.ctx);
  }

  findFlavor(req: FlavorRequest): Promise<Flavor> {
    return flavors.findFlavor(this.ctx, req);
  }

  listAvailabilityZones(): Promise<string[]> {
    return compute.listAvailabilityZones(this.ctx);
  }

  getQuota(): Promise<Quota> {
    return getQuota(this.ctx);
  }

  uploadImage(req: UploadImageRequest): Promise<CloudImage> {
    return image.uploadImage(this.ctx, req);
  }

  getImage(id: string): Promise<CloudImage | null> {
    return image.getImage(this.ctx, id);
  }

  findCloudImage(nameOrId: string): Promise<CloudImage | null> {
    return image.findCloudImage(this.ctx, nameOrId);
  }

  listImages(filter?: { name?: string; status?: string }): Promise<CloudImage[]> {
    return image.listImages(this.ctx, filter);
  }

  deleteImage(id: string): Promise<boolean> {
    return image.deleteImage(this.ctx, id);
  }

  needsFloatingIp(server: CloudServer): Promise<boolean> {
    return floatingIps.needsFloatingIp(this.ctx, server);
  }

  attachFloatingIp(server: CloudServer, opts?: AttachFloatingIpOptions): Promise<CloudServer> {
    return floatingIps.attachFloatingIp(this.ctx, server, opts);
  }

  listFloatingIps(): Promise<FloatingIp[]> {
    return network.listFloatingIps(this.ctx);
  }

  deleteFloatingIp(id: string): Promise<boolean> {
    return network.deleteFloatingIp(this.ctx, id);
  }

  deleteUnattachedFloatingIps(): Promise<number> {
    return network.deleteUnattachedFloatingIps(this.ctx);
  }

  listPorts(filter?: { status?: string }): Promise<Port[]> {
    return network.listPorts(this.ctx, filter);
  }

  deletePort(id: string): Promise<boolean> {
    return network.deletePort(this.ctx, id);
  }

  async close(): Promise<void> {
    // request keeps no pooled sockets of its own (forever: false); only the API metrics' statsd socket.
    await this.session.close();
  }
}

export { OpenStackSession } from './session';
