// Every pool any launcher registered (NP24 pool components and NP19 /nodepool/launchers), kept
// current by watches, so admission can apply Nodepool's yielding rules (priority, paused,
// provider preference, label coverage) without reading the registry for every request. Emits
// 'changed' when a registration that is not one of ours changes.
import { EventEmitter } from 'node:events';
import { type Component, type LauncherRegistration, type PoolComponent } from '../../lib/model';
import { decodeComponent, decodeLauncher } from '../../lib/zk/codec-component';
import { componentKindPath, LAUNCHERS } from '../../lib/zk/paths';
import { type ZkSession } from '../../lib/zk/session';
import { ChildrenCache, type CacheEvent } from '../../lib/zk/watchers/children-cache';
import { type RegisteredPool } from '../../activities/launcher/pools';
import { type StatsPool } from './gauges';

export class RegistryCache extends EventEmitter {
  private readonly components: ChildrenCache<Component>;
  private readonly launchers: ChildrenCache<LauncherRegistration>;

  constructor(
    session: ZkSession,
    /** Ids of our own pools: their changes (e.g. our `paused`) are not news to us. */
    private readonly ours: () => ReadonlySet<string>,
  ) {
    super();
    const poolPath = componentKindPath('pool');
    this.components = new ChildrenCache(session, poolPath, (name, data) => decodeComponent(`${poolPath}/${name}`, data));
    this.launchers = new ChildrenCache(session, LAUNCHERS, decodeLauncher);
    const onEvent = (ev: CacheEvent<Component | LauncherRegistration>) => {
      const value = ev.type === 'deleted' ? ev.previous : ev.value;
      if (!this.ours().has((value as { id?: string }).id ?? '')) this.emit('changed');
    };
    this.components.on('event', onEvent);
    this.launchers.on('event', onEvent);
  }

  async start(): Promise<void> {
    await Promise.all([this.components.start(), this.launchers.start()]);
  }

  stop(): void {
    this.components.stop();
    this.launchers.stop();
  }

  /** What lib/zk registeredPools + registeredLaunchers would read now. */
  list(): RegisteredPool[] {
    const out = new Map<string, RegisteredPool>();
    for (const c of this.components.values()) {
      if (c.kind !== 'pool') continue;
      const p = c as PoolComponent;
      out.set(p.id, { id: p.id, provider: p.provider_name, supportedLabels: p.supported_labels, priority: p.priority, paused: p.paused });
    }
    for (const l of this.launchers.values()) {
      if (!out.has(l.id)) out.set(l.id, { id: l.id, provider: l.provider_name, supportedLabels: l.supported_labels, priority: 100, paused: false });
    }
    return [...out.values()];
  }

  /** Every registered pool with its name, for the stats leader's gauges. */
  statsPools(): StatsPool[] {
    const out: StatsPool[] = [];
    for (const c of this.components.values()) {
      if (c.kind === 'pool') out.push({ provider: c.provider_name, pool: c.name, supportedLabels: c.supported_labels });
    }
    for (const l of this.launchers.values()) out.push({ provider: l.provider_name, pool: null, supportedLabels: l.supported_labels });
    return out;
  }
}
