// Can a pool serve a whole request right now? Nodepool's _waitForNodeSet arithmetic
// (nodepool-behaviour.md §2.6–2.7) done before accepting: READY unallocated nodes of the pool
// are reused first (unless the request says reuse: false), the rest must fit the pool caps and
// the cloud's limits minus what others use. When it does not fit, the pool takes no more
// requests for now and the oldest unused READY node of the pool may be deleted to make room
// (wedge prevention).
import { randomInt } from 'node:crypto';
import { type Node, type NodeRequest } from '../../../lib/model';
import { isLocked } from '../../../lib/zk/lock';
import { nodeLockPath } from '../../../lib/zk/paths';
import { type LauncherContext } from '../../../activities/launcher/context';
import { type CloudPool, isCloudPool, type OurPool } from '../../../activities/launcher/pools';
import { add, fits, poolCaps, sumUsage, type Resources } from '../../../activities/launcher/quota';

/** Nodepool meant to skip wedge prevention while a node of the pool was deleting for < 5 min (A4). */
const WEDGE_GUARD_S = 300;

export interface SlotPlan {
  label: string;
  /** A READY unallocated node of the pool to hand over, or null to launch one. */
  reuse: Node | null;
}

export type CapacityPlan =
  | { kind: 'fits'; slots: SlotPlan[]; az: string | null }
  /** wedgeNodeId: the pool's oldest unused READY node, to delete so the pool can move again. */
  | { kind: 'full'; why: string; wedgeNodeId: string | null };

export function createCapacity(ctx: LauncherContext) {
  const needsOf = (p: CloudPool) => (label: string) =>
    ctx.quota.labelNeeds(ctx.provider(p.provider), p.provider, p.config, label).catch(() => null);

  async function chooseAz(p: CloudPool): Promise<string | null> {
    const azs = p.config.availabilityZones ?? (await ctx.provider(p.provider).listAvailabilityZones().catch(() => []));
    return azs.length ? (azs[randomInt(azs.length)] as string) : null;
  }

  /** Why `labels` cannot be launched in `p` now, or null when they fit. */
  async function overQuota(p: CloudPool, labels: string[], nodes: Node[]): Promise<string | null> {
    if (labels.length === 0) return null;
    const provider = ctx.provider(p.provider);
    let needs: Resources = {};
    for (const label of labels) needs = add(needs, await ctx.quota.labelNeeds(provider, p.provider, p.config, label));
    const providerNodes = nodes.filter((n) => n.provider === p.provider);
    const poolNodes = providerNodes.filter((n) => n.pool === p.pool);
    if (!fits(poolCaps(p.config), await sumUsage(poolNodes, needsOf(p)), needs)) return `pool ${p.provider}-${p.pool} is at its limits`;
    if (p.config.ignoreProviderQuota) return null;
    const providerUsage = await sumUsage(providerNodes, needsOf(p));
    const withServers = () => sumUsage(providerNodes.filter((n) => n.external_id), needsOf(p));
    if (!fits(await ctx.quota.cloudAvailable(provider, p.providerConfig, withServers), providerUsage, needs)) return `cloud quota of ${p.provider} is used up`;
    return null;
  }

  async function wedgeCandidate(p: OurPool, nodes: Node[]): Promise<string | null> {
    const now = Date.now() / 1000;
    const poolNodes = nodes.filter((n) => n.provider === p.provider && n.pool === p.pool);
    if (poolNodes.some((n) => n.state === 'deleting' && now - n.state_time < WEDGE_GUARD_S)) return null;
    const idle = poolNodes.filter((n) => n.state === 'ready' && !n.allocated_to).sort((a, b) => a.state_time - b.state_time);
    for (const n of idle) if (!(await isLocked(ctx.zk(), nodeLockPath(n.id)))) return n.id;
    return null;
  }

  return {
    /**
     * Plans the request's node set in `p`: READY nodes to reuse (oldest first, one AZ) and
     * labels to launch, or 'full'. `exclude`: nodes found locked or changed by an earlier try.
     */
    async plan(p: OurPool, req: NodeRequest, nodes: Node[], exclude: ReadonlySet<string>): Promise<CapacityPlan> {
      const slots: SlotPlan[] = [];
      const taken = new Set<string>();
      let az: string | null = null;
      const free = req.reuse
        ? nodes
            .filter((n) => n.state === 'ready' && !n.allocated_to && n.provider === p.provider && n.pool === p.pool && !exclude.has(n.id))
            .sort((a, b) => a.state_time - b.state_time)
        : [];
      for (const label of req.node_types) {
        const node = free.find((n) => !taken.has(n.id) && n.type.includes(label) && (!az || !n.az || n.az === az)) ?? null;
        if (node) {
          taken.add(node.id);
          az ??= node.az;
        }
        slots.push({ label, reuse: node });
      }
      const launches = slots.filter((s) => !s.reuse).map((s) => s.label);
      // a static pool only hands out its hosts' free slots: the request waits for one
      if (!isCloudPool(p)) return launches.length ? { kind: 'full', why: `no free static node for ${launches.join(', ')}`, wedgeNodeId: null } : { kind: 'fits', slots, az };
      const full = await overQuota(p, launches, nodes);
      if (full) return { kind: 'full', why: full, wedgeNodeId: await wedgeCandidate(p, nodes) };
      if (launches.length && !az) az = await chooseAz(p);
      return { kind: 'fits', slots, az };
    },
  };
}

export type Capacity = ReturnType<typeof createCapacity>;
