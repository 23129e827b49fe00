// Nodepool's quota model (nodepool-behaviour.md §2.7): per-node needs from the label's flavor,
// pool caps, and the cloud's limits minus what others use there (cached for 5 minutes, dropped
// when the cloud reports a quota error). Tenant limits count every node of a tenant.
import { type Limit, type CloudPoolConfig, type CloudProviderConfig, type TenantLimits } from '../../lib/config';
import { type Node } from '../../lib/model';
import { type Provider } from '../../drivers/provider';

export type Resources = Record<string, number>;

const QUOTA_CACHE_MS = 5 * 60_000;

export function add(a: Resources, b: Resources): Resources {
  const out: Resources = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** True when every key of `limits` still has room for usage + needs (missing limits are ∞). */
export function fits(limits: Record<string, Limit | number>, usage: Resources, needs: Resources): boolean {
  for (const [k, limit] of Object.entries(limits)) {
    if (limit === null || limit === undefined || !Number.isFinite(limit)) continue;
    if ((limit as number) - (usage[k] ?? 0) - (needs[k] ?? 0) < 0) return false;
  }
  return true;
}

export function poolCaps(pool: CloudPoolConfig): Record<string, Limit> {
  return { instances: pool.maxServers, cores: pool.maxCores, ram: pool.maxRam, volumes: pool.maxVolumes, 'volume-gb': pool.maxVolumeGb };
}

export function tenantCaps(limits: TenantLimits): Record<string, Limit> {
  const out: Record<string, Limit> = {};
  for (const [k, v] of Object.entries(limits)) out[k === 'max-servers' ? 'instances' : k] = v;
  return out;
}

export class QuotaTracker {
  private readonly needsCache = new Map<string, { at: number; v: Resources }>();
  private readonly cloudCache = new Map<string, { at: number; v: Record<string, number> }>();

  /** What one node of this label uses (flavor vcpus/ram, 1 instance, volumes when booting from volume). */
  async labelNeeds(provider: Provider, providerName: string, pool: CloudPoolConfig, label: string): Promise<Resources> {
    const key = `${providerName}/${pool.name}/${label}`;
    const hit = this.needsCache.get(key);
    if (hit && Date.now() - hit.at < QUOTA_CACHE_MS) return hit.v;
    const l = pool.labels[label];
    if (!l) throw new Error(`label ${label} is not in pool ${providerName}/${pool.name}`);
    const flavor = await provider.findFlavor({ flavorName: l.flavorName ?? undefined, minRam: l.minRam || undefined });
    const v: Resources = { instances: 1, cores: flavor.vcpus, ram: flavor.ram };
    if (l.bootFromVolume) Object.assign(v, { volumes: 1, 'volume-gb': l.volumeSize });
    this.needsCache.set(key, { at: Date.now(), v });
    return v;
  }

  /**
   * The cloud's limits minus what is used there by anything but this provider's nodes.
   * `ourUsage` (what our nodes with servers use) is only asked for when the cache is refreshed.
   */
  async cloudAvailable(provider: Provider, cfg: CloudProviderConfig, ourUsage: Resources | (() => Promise<Resources>)): Promise<Record<string, number>> {
    const hit = this.cloudCache.get(cfg.name);
    if (hit && Date.now() - hit.at < QUOTA_CACHE_MS) return hit.v;
    const q = await provider.getQuota();
    const usage = typeof ourUsage === 'function' ? await ourUsage() : ourUsage;
    const figures: Record<string, { max: number; used: number } | undefined> = {
      instances: q.instances,
      cores: q.cores,
      ram: q.ram,
      volumes: q.volumes,
      'volume-gb': q.volumeGb,
    };
    const v: Record<string, number> = {};
    for (const [k, f] of Object.entries(figures)) {
      if (!f) continue;
      // what others use = what the cloud counts minus what our nodes account for
      const unmanaged = Math.max(0, f.used - (usage[k] ?? 0));
      v[k] = f.max - unmanaged;
    }
    this.cloudCache.set(cfg.name, { at: Date.now(), v });
    return v;
  }

  invalidate(providerName: string): void {
    this.cloudCache.delete(providerName);
  }

  /** When the cached cloud limits of this provider expire (null: not cached). */
  expiresAt(providerName: string): number | null {
    const hit = this.cloudCache.get(providerName);
    return hit ? hit.at + QUOTA_CACHE_MS : null;
  }
}

/** A node's usage: its stored resources, else what its label needs now. */
export async function nodeUsage(n: Node, needs: (label: string) => Promise<Resources | null>): Promise<Resources> {
  if (n.resources) {
    const r: Resources = {};
    for (const [k, v] of Object.entries(n.resources)) if (typeof v === 'number') r[k] = v;
    return r;
  }
  const label = n.type[0];
  return (label ? await needs(label) : null) ?? { instances: 1 };
}

export async function sumUsage(nodes: Node[], needs: (label: string) => Promise<Resources | null>): Promise<Resources> {
  let total: Resources = {};
  for (const n of nodes) total = add(total, await nodeUsage(n, needs));
  return total;
}
