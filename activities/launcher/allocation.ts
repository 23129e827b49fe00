// Filling a request's node set: reuse of READY unallocated nodes (locked by the workflow
// before allocateNode), and claimLaunch — the quota check and the `init` node creation in one
// step under a per-pool mutex, so two requests cannot both take a pool's last slot.
import { randomInt } from 'node:crypto';
import { encodeNode, newNode } from '../../lib/zk/codec-node';
import { isLocked } from '../../lib/zk/lock';
import { basename, NODE_PREFIX, nodeLockPath } from '../../lib/zk/paths';
import { log } from '../../lib/log';
import { type Node } from '../../lib/model';
import { updateNode } from './store';
import { KeyedMutex, type LauncherContext } from './context';
import { fits, poolCaps, sumUsage, type Resources } from './quota';
import { type OurPool } from './pools';
import type { ClaimLaunchInput, LaunchClaim, PoolRef } from './api';

/** Nodepool meant to skip wedge prevention while a node of the pool was deleting for < 5 min (A4). */
const WEDGE_GUARD_S = 300;

export function createAllocationActivities(ctx: LauncherContext) {
  const mutex = new KeyedMutex();
  const logger = log('allocation');

  const needsOf = (p: OurPool) => (label: string) =>
    ctx.quota.labelNeeds(ctx.provider(p.provider), p.provider, p.config, label).catch(() => null);

  async function chooseAz(p: OurPool): Promise<string | null> {
    const azs = p.config.availabilityZones ?? (await ctx.provider(p.provider).listAvailabilityZones().catch(() => []));
    return azs.length ? (azs[randomInt(azs.length)] as string) : null;
  }

  async function atQuota(p: OurPool, label: string, nodes: Node[]): Promise<string | null> {
    const provider = ctx.provider(p.provider);
    const needs: Resources = await ctx.quota.labelNeeds(provider, p.provider, p.config, label);
    const providerNodes = nodes.filter((n) => n.provider === p.provider);
    const poolNodes = providerNodes.filter((n) => n.pool === p.pool);
    if (!fits(poolCaps(p.config), await sumUsage(poolNodes, needsOf(p)), needs)) return `pool ${p.provider}-${p.pool} is at its limits`;
    if (p.config.ignoreProviderQuota) return null;
    const providerUsage = await sumUsage(providerNodes, needsOf(p));
    const withServers = await sumUsage(providerNodes.filter((n) => n.external_id), needsOf(p));
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
    async findReusableNode(input: { requestId: string; pool: PoolRef; label: string; az: string | null; exclude: string[] }): Promise<string | null> {
      const free = (await ctx.nodes())
        .filter(
          (n) =>
            n.state === 'ready' &&
            !n.allocated_to &&
            n.provider === input.pool.provider &&
            n.pool === input.pool.pool &&
            n.type.includes(input.label) &&
            !input.exclude.includes(n.id) &&
            (!input.az || !n.az || n.az === input.az),
        )
        .sort((a, b) => a.state_time - b.state_time);
      for (const n of free) if (!(await isLocked(ctx.zk(), nodeLockPath(n.id)))) return n.id;
      return null;
    },

    /** The workflow holds the node lock: re-check READY and unallocated, then allocate. */
    async allocateNode(input: { requestId: string; nodeId: string; tenantName: string | null; requestor: string | null }): Promise<{ ok: boolean; az: string | null }> {
      const n = await updateNode(ctx.zk(), input.nodeId, (node) => {
        // already ours: a retried call after the allocation was written
        if (node.state !== 'ready' || (node.allocated_to && node.allocated_to !== input.requestId)) return false;
        node.allocated_to = input.requestId;
        node.tenant_name = input.tenantName;
        node.requestor = input.requestor;
      });
      return { ok: n !== null, az: n?.az ?? null };
    },

    async deallocateNode({ nodeId }: { nodeId: string }): Promise<void> {
      await updateNode(ctx.zk(), nodeId, (n) => {
        if (!n.allocated_to) return false;
        n.allocated_to = null;
      });
    },

    async claimLaunch(input: ClaimLaunchInput): Promise<LaunchClaim> {
      const p = ctx.pools.find(input.pool.provider, input.pool.pool);
      if (!p) return { kind: 'decline', why: `pool ${input.pool.provider}-${input.pool.pool} is no longer configured` };
      return mutex.run(p.id, async () => {
        const nodes = await ctx.nodes();
        const full = await atQuota(p, input.label, nodes);
        if (full) {
          if (input.minReady) return { kind: 'decline', why: `${full} (min-ready requests do not wait)` };
          return { kind: 'paused', wedgeNodeId: await wedgeCandidate(p, nodes), why: full };
        }
        const az = input.az ?? (await chooseAz(p));
        const node = newNode({
          state: 'init',
          provider: p.provider,
          pool: p.pool,
          type: [input.label],
          launcher: p.id,
          allocated_to: input.requestId,
          tenant_name: input.tenantName,
          requestor: input.requestor,
          attributes: (p.config.nodeAttributes as Node['attributes']) ?? null,
          cloud: p.providerConfig.cloud,
          region: p.providerConfig.regionName,
          az,
        });
        const path = await ctx.zk().create(NODE_PREFIX, encodeNode(node), { sequential: true, makepath: true });
        const nodeId = basename(path);
        // seen by the next claim's quota check at once, even before a node cache catches up
        ctx.noteCreated?.({ ...node, id: nodeId });
        logger.info({ nodeId, requestId: input.requestId, pool: p.id, label: input.label }, 'created node');
        return { kind: 'created', nodeId, az };
      });
    },
  };
}
