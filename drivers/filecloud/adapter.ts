// FileCloud: a tiny in-process cloud for tests. Servers and images are JSON files under a state
// directory, so a test and a separately spawned launcher see the same cloud, and a test can plant
// "leaked" servers or inspect what was created by reading and writing files:
//   <stateDir>/servers/<id>.json   <stateDir>/images/<id>.json
//   <stateDir>/quota.json  {instances?, cores?, ram?} maxima (absent: unlimited)
//   <stateDir>/fault.json  {createServer?: 'quota' | 'error' | 'fatal'}
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FatalCloudError, NotFoundError, QuotaExceededError, ServerWaitTimeoutError } from '../errors';
import { nodepoolMetadata, serverName } from '../metadata';
import { selectFlavor } from '../openstack/adapter/flavors';
import type {
  CloudImage, CloudServer, CreateServerRequest, Flavor, FlavorRequest, FloatingIp, Port, Provider, Quota, QuotaFigure, UploadImageRequest,
} from '../provider';

/** As stored: a BUILD server reads as ACTIVE once Date.now() >= activeAt. */
export type StoredServer = CloudServer & { activeAt?: number };
export interface Fault { createServer?: 'quota' | 'error' | 'fatal' }
interface QuotaLimits { instances?: number; cores?: number; ram?: number }

const FLAVORS: readonly Flavor[] = [
  { id: '1', name: 'small', ram: 2048, vcpus: 1, disk: 20 },
  { id: '2', name: 'large', ram: 8192, vcpus: 4, disk: 80 },
];

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Write to a temporary file and rename: another process never reads half a file. */
function writeJson(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2));
  renameSync(tmp, file);
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

/** Every *.json in dir; a file deleted between readdir and read is skipped. */
function readAll<T>(dir: string): T[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if (isMissing(e)) return [];
    throw e;
  }
  return names.filter((n) => n.endsWith('.json')).flatMap((n) => readJson<T>(join(dir, n)) ?? []);
}

function removeFile(file: string): boolean {
  try {
    rmSync(file);
    return true;
  } catch (e) {
    if (isMissing(e)) return false;
    throw e;
  }
}

function toServer({ activeAt, ...server }: StoredServer): CloudServer {
  const booted = server.status === 'BUILD' && activeAt !== undefined && Date.now() >= activeAt;
  return booted ? { ...server, status: 'ACTIVE' } : server;
}

const serverFile = (stateDir: string, id: string): string => join(stateDir, 'servers', `${id}.json`);
const imageFile = (stateDir: string, id: string): string => join(stateDir, 'images', `${id}.json`);

export function writeServer(stateDir: string, server: StoredServer): void {
  writeJson(serverFile(stateDir, server.id), server);
}

export function readServers(stateDir: string): CloudServer[] {
  return readAll<StoredServer>(join(stateDir, 'servers')).map(toServer);
}

/** null clears the fault. */
export function setFault(stateDir: string, fault: Fault | null): void {
  const file = join(stateDir, 'fault.json');
  if (fault) writeJson(file, fault);
  else removeFile(file);
}

export class FileCloud implements Provider {
  readonly name: string;
  readonly stateDir: string;
  private readonly bootMs: number;
  private readonly pollMs: number;

  constructor(opts: { name: string; stateDir: string; bootMs?: number; pollMs?: number }) {
    this.name = opts.name;
    this.stateDir = opts.stateDir;
    this.bootMs = opts.bootMs ?? 0;
    this.pollMs = opts.pollMs ?? 50;
  }

  async createServer(req: CreateServerRequest): Promise<CloudServer> {
    const fault = readJson<Fault>(join(this.stateDir, 'fault.json'))?.createServer;
    if (fault === 'quota') throw new QuotaExceededError('Quota exceeded for instances (simulated)', { status: 403 });
    if (fault === 'fatal') throw new FatalCloudError('filecloud: simulated fatal createServer failure', { status: 400 });
    const flavor = await this.findFlavor(req.flavor);
    const imageId = 'uploadExternalId' in req.image ? req.image.uploadExternalId : (await this.findCloudImage(req.image.cloudImage)).id;
    // Nova-like: refuse a server that would take any figure past its maximum.
    const quota = await this.getQuota();
    const needs = { instances: 1, cores: flavor.vcpus, ram: flavor.ram };
    for (const key of ['instances', 'cores', 'ram'] as const) {
      const { max, used } = quota[key];
      if (used + needs[key] > max) {
        throw new QuotaExceededError(`Quota exceeded for ${key}: Requested ${needs[key]}, but already used ${used} of ${max} ${key}`, { status: 403 });
      }
    }
    const server: StoredServer = {
      id: randomUUID(),
      name: serverName(req.nodeId),
      status: fault === 'error' ? 'ERROR' : 'BUILD',
      ...(fault === 'error' ? { fault: { message: 'simulated failure' } } : { activeAt: Date.now() + this.bootMs }),
      metadata: nodepoolMetadata(this.name, req),
      addresses: { privateV4: '127.0.0.1', interfaceIp: '127.0.0.1' },
      availabilityZone: req.availabilityZone ?? 'nova',
      flavorId: flavor.id,
      imageId,
      volumeIds: [],
      created: new Date().toISOString(),
    };
    writeServer(this.stateDir, server);
    return toServer(server);
  }

  async getServer(id: string): Promise<CloudServer | null> { return this.readServer(id); }
  async listServers(): Promise<CloudServer[]> { return readServers(this.stateDir); }

  async listNodepoolServers(): Promise<CloudServer[]> {
    return readServers(this.stateDir).filter((s) => s.metadata?.nodepool_provider_name === this.name);
  }

  async deleteServer(id: string): Promise<boolean> { return removeFile(serverFile(this.stateDir, id)); }

  waitForServer(id: string, until: (server: CloudServer | null) => boolean, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<CloudServer | null> {
    const { timeoutMs, signal } = opts;
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise((resolve, reject) => {
      let last: CloudServer | null | undefined; // undefined: never read
      let poll: NodeJS.Timeout | undefined;
      let deadline: NodeJS.Timeout | undefined;
      const finish = (settle: () => void): void => {
        clearTimeout(poll);
        clearTimeout(deadline);
        signal?.removeEventListener('abort', onAbort);
        settle();
      };
      const onAbort = (): void => finish(() => reject(signal?.reason as Error));
      const check = (): void => {
        try {
          last = this.readServer(id);
          if (until(last)) return finish(() => resolve(last ?? null));
        } catch (e) {
          return finish(() => reject(e as Error));
        }
        poll = setTimeout(check, this.pollMs);
      };
      if (timeoutMs !== undefined) {
        deadline = setTimeout(() => finish(() => reject(new ServerWaitTimeoutError(id, timeoutMs, last))), Math.max(0, timeoutMs));
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      check();
    });
  }

  async getConsoleLog(): Promise<string> { return 'filecloud: no console output\n'; }
  async listFlavors(): Promise<Flavor[]> { return [...FLAVORS]; }

  async findFlavor(req: FlavorRequest): Promise<Flavor> {
    const found = selectFlavor(FLAVORS, req);
    if (!found) throw new NotFoundError(`Unable to find flavor: ${JSON.stringify(req)} (provider ${this.name})`);
    return found;
  }

  async listAvailabilityZones(): Promise<string[]> { return ['nova']; }

  async getQuota(): Promise<Quota> {
    const limits = readJson<QuotaLimits>(join(this.stateDir, 'quota.json')) ?? {};
    const live = readServers(this.stateDir).filter((s) => s.status !== 'DELETED');
    const flavors = live.map((s) => FLAVORS.find((f) => f.id === s.flavorId));
    const figure = (max: number | undefined, used: number): QuotaFigure => ({ max: max ?? Infinity, used });
    return {
      instances: figure(limits.instances, live.length),
      cores: figure(limits.cores, flavors.reduce((n, f) => n + (f?.vcpus ?? 0), 0)),
      ram: figure(limits.ram, flavors.reduce((n, f) => n + (f?.ram ?? 0), 0)),
    };
  }

  async uploadImage(req: UploadImageRequest): Promise<CloudImage> {
    const size = statSync(req.path).size; // the content itself is never read
    req.onProgress?.(size, size);
    const image: CloudImage = {
      id: randomUUID(),
      name: req.name,
      status: 'active',
      size,
      ...(req.md5 !== undefined && { checksum: req.md5 }), // no undefined: the file must read back the same
      diskFormat: req.diskFormat,
      createdAt: new Date().toISOString(),
      properties: { ...req.properties },
    };
    writeJson(imageFile(this.stateDir, image.id), image);
    return image;
  }

  async getImage(id: string): Promise<CloudImage | null> { return readJson<CloudImage>(imageFile(this.stateDir, id)); }

  /** An uploaded active image by id or name; otherwise any name is a cloud image, so pools can
   *  name arbitrary cloud-images without a test having to create them. */
  async findCloudImage(nameOrId: string): Promise<CloudImage> {
    const active = await this.listImages({ status: 'active' });
    const found = active.find((i) => i.id === nameOrId) ?? active.find((i) => i.name === nameOrId);
    return found ?? { id: `cloud-${nameOrId}`, name: nameOrId, status: 'active', properties: {} };
  }

  async listImages(filter: { name?: string; status?: string } = {}): Promise<CloudImage[]> {
    return readAll<CloudImage>(join(this.stateDir, 'images')).filter(
      (i) => (filter.name === undefined || i.name === filter.name) && (filter.status === undefined || i.status === filter.status),
    );
  }

  async deleteImage(id: string): Promise<boolean> { return removeFile(imageFile(this.stateDir, id)); }

  // No networking to speak of: every server has a reachable address already.
  async needsFloatingIp(): Promise<boolean> { return false; }
  async listFloatingIps(): Promise<FloatingIp[]> { return []; }
  async attachFloatingIp(): Promise<CloudServer> { throw new FatalCloudError('filecloud has no floating IPs'); }
  async deleteFloatingIp(): Promise<boolean> { return false; }
  async deleteUnattachedFloatingIps(): Promise<number> { return 0; }
  async listPorts(): Promise<Port[]> { return []; }
  async deletePort(): Promise<boolean> { return false; }

  async close(): Promise<void> {
    // Nothing is held between calls: waits clean up their own timers.
  }

  private readServer(id: string): CloudServer | null {
    const stored = readJson<StoredServer>(serverFile(this.stateDir, id));
    return stored && toServer(stored);
  }
}
