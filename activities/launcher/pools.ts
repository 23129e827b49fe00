// Our pools as Zuul and other launchers see them: one NP24 `pool` component per provider-pool
// (/nodepool/components/pool/<hostname><seq>), one `launcher` component, and the NP19
// /nodepool/launchers/<id> entries, all ephemeral and re-registered after a session loss.
// A pool's id (what goes into declined_by and node.launcher) is Nodepool's
// <fqdn>-PoolWorker.<provider>-<pool>-<uuid hex>, new for every launcher start as in NP24.
import { randomUUID } from 'node:crypto';
import { type NodepoolConfig, type CloudPoolConfig, type StaticPool } from '../../lib/config';
import { type PoolComponent, type LauncherComponent, type LauncherRegistration } from '../../lib/model';
import { encodeComponent, encodeLauncher } from '../../lib/zk/codec-component';
import { registeredLaunchers, registeredPools as registeredPoolComponents } from '../../lib/zk/operations/components';
import { isNoNode, isNodeExists } from '../../lib/zk/errors';
import { componentPrefix, launcherPath } from '../../lib/zk/paths';
import { type ZkSession } from '../../lib/zk/session';
import { log } from '../../lib/log';
import type { PoolRef } from './api';
import { type CloudProvider, isCloudProvider, launchesNodes, type LaunchingProvider } from '../../drivers/registry';

export const NODEPOOL_VERSION = '10.0.0';

export interface OurPool extends PoolRef {
  provider: string;
  pool: string;
  config: CloudPoolConfig | StaticPool;
  providerConfig: LaunchingProvider;
}

/** A pool whose nodes are cloud servers (launched, with quota and images). */
export type CloudPool = OurPool & { config: CloudPoolConfig; providerConfig: CloudProvider };
export const isCloudPool = (p: OurPool): p is CloudPool => isCloudProvider(p.providerConfig);

interface Registration {
  path: string | null;
  version: number;
  doc: Buffer;
}

/** A registered pool of any launcher (ours or not). */
export interface RegisteredPool {
  id: string;
  provider: string;
  supportedLabels: string[];
  priority: number;
  paused: boolean;
}

export class PoolRegistry {
  private readonly uuids = new Map<string, string>();
  private pools = new Map<string, OurPool>();
  private readonly regs = new Map<string, Registration>();
  /** Pools admission found at quota in its last pass (the component's `paused`). */
  private readonly paused = new Set<string>();
  private launcherReg: Registration = { path: null, version: -1, doc: Buffer.alloc(0) };
  private readonly logger = log('pools');
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly session: () => ZkSession,
    readonly hostname: string,
    readonly fqdn: string,
  ) {}

  /** Our pools (OpenStack providers only: other drivers are not launched by us). */
  ours(): OurPool[] {
    return [...this.pools.values()];
  }

  find(provider: string, pool: string): OurPool | undefined {
    return this.pools.get(`${provider}/${pool}`);
  }

  byId(id: string): OurPool | undefined {
    return this.ours().find((p) => p.id === id);
  }

  isPaused(id: string): boolean {
    return this.paused.has(id);
  }

  /** Recomputes our pools from the config and brings the registrations in line (serialised). */
  sync(config: NodepoolConfig): Promise<void> {
    this.chain = this.chain.then(() => this.doSync(config)).catch((err: unknown) => this.logger.error({ err }, 'pool registration failed'));
    return this.chain;
  }

  /** Re-creates every registration (a new ZooKeeper session lost the ephemeral znodes). */
  reRegister(config: NodepoolConfig): Promise<void> {
    for (const r of this.regs.values()) r.path = null;
    this.launcherReg.path = null;
    return this.sync(config);
  }

  /** Sets a pool's `paused` (at quota: other launchers' pools stop yielding to it). */
  setPaused(poolId: string, paused: boolean, config: NodepoolConfig): Promise<void> {
    if (paused === this.paused.has(poolId)) return this.chain;
    if (paused) this.paused.add(poolId);
    else this.paused.delete(poolId);
    return this.sync(config);
  }

  private async doSync(config: NodepoolConfig): Promise<void> {
    const next = new Map<string, OurPool>();
    for (const provider of Object.values(config.providers)) {
      if (!launchesNodes(provider)) continue;
      for (const pool of Object.values(provider.pools)) {
        const key = `${provider.name}/${pool.name}`;
        let uuid = this.uuids.get(key);
        if (!uuid) {
          uuid = randomUUID().replace(/-/g, '');
          this.uuids.set(key, uuid);
        }
        next.set(key, {
          id: `${this.fqdn}-PoolWorker.${provider.name}-${pool.name}-${uuid}`,
          provider: provider.name,
          pool: pool.name,
          config: pool,
          providerConfig: provider,
        });
      }
    }
    this.pools = next;
    const zk = this.session();
    const allLabels = [...new Set(this.ours().flatMap((p) => p.config.supportedLabels))].sort();
    const launcher: LauncherComponent = { kind: 'launcher', hostname: this.hostname, state: 'running', version: NODEPOOL_VERSION, model_api: 0 };
    this.launcherReg = await this.put(zk, this.launcherReg, encodeComponent(launcher), componentPrefix('launcher', this.hostname));

    const live = new Set<string>();
    for (const p of this.ours()) {
      live.add(p.id);
      const comp: PoolComponent = {
        kind: 'pool',
        hostname: this.hostname,
        state: 'running',
        version: NODEPOOL_VERSION,
        model_api: 0,
        id: p.id,
        name: p.pool,
        provider_name: p.provider,
        supported_labels: [...p.config.supportedLabels].sort(),
        priority: p.config.priority,
        paused: this.isPaused(p.id),
      };
      const reg = this.regs.get(p.id) ?? { path: null, version: -1, doc: Buffer.alloc(0) };
      this.regs.set(p.id, await this.put(zk, reg, encodeComponent(comp), componentPrefix('pool', this.hostname)));
      // NP19: /nodepool/launchers/<id>, labels of every provider (as NP19 wrote them)
      const legacy: LauncherRegistration = { id: p.id, provider_name: p.provider, supported_labels: allLabels, extra: new Map() };
      await this.putFixed(zk, launcherPath(p.id), encodeLauncher(legacy));
    }
    for (const [id, reg] of this.regs) {
      if (live.has(id)) continue;
      await this.remove(zk, reg.path);
      await this.remove(zk, launcherPath(id));
      this.regs.delete(id);
      this.paused.delete(id);
    }
  }

  private async put(zk: ZkSession, reg: Registration, doc: Buffer, prefix: string): Promise<Registration> {
    if (reg.path && reg.doc.equals(doc)) return reg;
    if (reg.path) {
      try {
        const stat = await zk.set(reg.path, doc, reg.version);
        return { path: reg.path, version: stat.version, doc };
      } catch (e) {
        if (!isNoNode(e)) throw e;
      }
    }
    const path = await zk.create(prefix, doc, { ephemeral: true, sequential: true, makepath: true });
    return { path, version: 0, doc };
  }

  private async putFixed(zk: ZkSession, path: string, doc: Buffer): Promise<void> {
    try {
      await zk.create(path, doc, { ephemeral: true, makepath: true });
    } catch (e) {
      if (!isNodeExists(e)) throw e;
      await zk.set(path, doc);
    }
  }

  private async remove(zk: ZkSession, path: string | null): Promise<void> {
    if (!path) return;
    try {
      await zk.delete(path);
    } catch (e) {
      if (!isNoNode(e)) throw e;
    }
  }

  /** Unregisters everything (clean shutdown). */
  async close(): Promise<void> {
    const zk = this.session();
    for (const [id, reg] of this.regs) {
      await this.remove(zk, reg.path).catch(() => undefined);
      await this.remove(zk, launcherPath(id)).catch(() => undefined);
    }
    await this.remove(zk, this.launcherReg.path).catch(() => undefined);
    this.regs.clear();
  }
}

/** Every pool any launcher registered: NP24 components, plus NP19 launchers for a mixed fleet. */
export async function registeredPools(zk: ZkSession): Promise<RegisteredPool[]> {
  const out = new Map<string, RegisteredPool>();
  for (const c of await registeredPoolComponents(zk)) {
    out.set(c.id, { id: c.id, provider: c.provider_name, supportedLabels: c.supported_labels, priority: c.priority, paused: c.paused });
  }
  for (const l of await registeredLaunchers(zk)) {
    if (!out.has(l.id)) out.set(l.id, { id: l.id, provider: l.provider_name, supportedLabels: l.supported_labels, priority: 100, paused: false });
  }
  return [...out.values()];
}
