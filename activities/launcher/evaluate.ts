// Deciding what our pools do with a `requested` request, following a NP24 pool worker
// (nodepool-behaviour.md §2.4–2.5): provider preference and priority yielding, label coverage,
// decline reasons (disabled, labels, images, impossible quota), then the deferrals (pool taking
// no more requests in this admission pass, tenant limits, max-concurrency). Our pools are looked
// at together, best priority first. Nothing here writes: admission acts on the answer.
import { type NodeRequest, type Node } from '../../lib/model';
import { type NodepoolConfig, type StaticPool } from '../../lib/config';
import { type CloudPool, isCloudPool, type OurPool, type RegisteredPool } from './pools';
import { type LauncherContext } from './context';
import { newestReadyUpload } from './images';
import { fits, poolCaps, sumUsage, tenantCaps, add, type Resources } from './quota';
import { CloudError } from '../../drivers/errors';
import type { PoolRef } from './api';

const IMAGE_CACHE_MS = 10_000;
/** A waiting request's decline reasons are looked at again this often (images, cloud limits). */
const DECLINE_CHECK_MS = 60_000;

export const poolRef = (p: OurPool): PoolRef => ({ id: p.id, provider: p.provider, pool: p.pool });

/** What one admission pass knows; built once per pass. */
export interface PassView {
  /** Every registered pool of every launcher. */
  registered: RegisteredPool[];
  /** Our pools that take no more requests in this pass, with why (at quota, ...). */
  blocked: ReadonlyMap<string, string>;
  /** The node cache (including what this pass claimed so far). */
  nodes: () => Node[];
  /** Figures computed once per node picture (building nodes per provider...). */
  memo: Map<string, number>;
}

export type Route =
  /** Not ours to handle: not `requested`, or declined by all our pools. */
  | { kind: 'done'; why: string }
  /** Leave it `requested` for now (another pool is preferred, pool full, tenant limit...). */
  | { kind: 'defer'; why: string; pool: OurPool | null }
  | { kind: 'decline'; pools: PoolRef[]; reason: string }
  | { kind: 'accept'; pool: OurPool };

export type Evaluator = (req: NodeRequest, view: PassView) => Promise<Route>;

/**
 * A static pool (Nodepool's StaticNodeRequestHandler): labels it has no host for, or more nodes
 * of a label than its hosts have slots, can never be served.
 */
function staticDeclineReason(pool: StaticPool, req: NodeRequest): string | null {
  const missing = req.node_types.filter((l) => !pool.supportedLabels.includes(l));
  if (missing.length) return `node type(s) [${missing.join(', ')}] not available`;
  for (const label of new Set(req.node_types)) {
    const slots = pool.nodes.filter((n) => n.labels.includes(label)).reduce((a, n) => a + n.maxParallelJobs, 0);
    if (req.node_types.filter((l) => l === label).length > slots) return 'it would exceed quota';
  }
  return null;
}

export function createEvaluator(ctx: LauncherContext): Evaluator {
  const imageCache = new Map<string, { at: number; ok: boolean }>();
  /** Decline reasons per request version (the cache replaces the object when it changes). */
  const declineCache = new WeakMap<NodeRequest, { config: NodepoolConfig; at: number; reasons: Map<string, string | null> }>();

  async function imageAvailable(p: CloudPool, label: string): Promise<boolean> {
    const l = p.config.labels[label];
    if (!l) return false;
    const key = `${p.provider}/${l.diskimage ?? `cloud:${l.cloudImage}`}`;
    const hit = imageCache.get(key);
    if (hit && Date.now() - hit.at < IMAGE_CACHE_MS) return hit.ok;
    let ok: boolean;
    if (l.diskimage) {
      ok = (await newestReadyUpload(ctx.zk(), l.diskimage, p.provider)) !== null;
    } else {
      const ci = l.cloudImage ? p.providerConfig.cloudImages[l.cloudImage] : undefined;
      // with image-id the label counts as ready without a lookup (as in Nodepool)
      ok = !!ci && (ci.imageId !== null || (await ctx.provider(p.provider).findCloudImage(ci.externalName)) !== null);
    }
    imageCache.set(key, { at: Date.now(), ok });
    return ok;
  }

  async function requestNeeds(p: CloudPool, labels: string[]): Promise<Resources> {
    let total: Resources = {};
    for (const label of labels) total = add(total, await ctx.quota.labelNeeds(ctx.provider(p.provider), p.provider, p.config, label));
    return total;
  }

  /** Nodepool's getDeclinedReasons: the first reason that applies, or null. */
  async function declineReason(p: OurPool, req: NodeRequest, nodes: () => Node[]): Promise<string | null> {
    if (p.config.maxServers !== null && p.config.maxServers <= 0) return 'pool is disabled by max_servers';
    if (!isCloudPool(p)) return staticDeclineReason(p.config as StaticPool, req);
    const missing = req.node_types.filter((l) => !p.config.labels[l]);
    if (missing.length) return `node type(s) [${missing.join(', ')}] not available`;
    try {
      for (const label of new Set(req.node_types)) if (!(await imageAvailable(p, label))) return 'images are not available';
      const needs = await requestNeeds(p, req.node_types);
      if (!fits(poolCaps(p.config), {}, needs)) return 'it would exceed quota';
      if (!p.config.ignoreProviderQuota) {
        const ourUsage = () =>
          sumUsage(
            nodes().filter((n) => n.provider === p.provider && n.external_id),
            (l) => ctx.quota.labelNeeds(ctx.provider(p.provider), p.provider, p.config, l).catch(() => null),
          );
        if (!fits(await ctx.quota.cloudAvailable(ctx.provider(p.provider), p.providerConfig, ourUsage), {}, needs)) return 'it would exceed quota';
      }
    } catch (err) {
      // A cloud that refuses (bad flavor, bad credentials) cannot serve this request; a cloud
      // that is only unavailable for now is asked again at the next pass.
      if (err instanceof CloudError && err.kind !== 'retryable') return `provider error: ${err.message}`;
      throw err;
    }
    return null;
  }

  /** declineReason, remembered per request version for DECLINE_CHECK_MS (or a new config). */
  async function cachedDeclineReason(p: OurPool, req: NodeRequest, nodes: () => Node[]): Promise<string | null> {
    const config = ctx.config();
    let entry = declineCache.get(req);
    if (!entry || entry.config !== config || Date.now() - entry.at > DECLINE_CHECK_MS) {
      entry = { config, at: Date.now(), reasons: new Map() };
      declineCache.set(req, entry);
    }
    if (!entry.reasons.has(p.id)) entry.reasons.set(p.id, await declineReason(p, req, nodes));
    return entry.reasons.get(p.id) ?? null;
  }

  /** Tenant resource limits: defer (not decline) while the tenant is at its limit. */
  async function tenantBlocked(p: OurPool, req: NodeRequest, nodes: () => Node[]): Promise<boolean> {
    const limits = req.tenant_name ? ctx.config().tenantResourceLimits[req.tenant_name] : undefined;
    if (!limits) return false;
    try {
      const tenantNodes = nodes().filter((n) => n.tenant_name === req.tenant_name);
      const usage = await sumUsage(tenantNodes, async () => ({ instances: 1 }));
      const needs = isCloudPool(p) ? await requestNeeds(p, req.node_types) : { instances: req.node_types.length };
      return !fits(tenantCaps(limits), usage, needs);
    } catch {
      return true;
    }
  }

  function concurrencyBlocked(p: OurPool, view: PassView): boolean {
    // max-concurrency: -1 (default) and 0 both mean unlimited here (Nodepool quirk A1 fixed)
    const max = p.providerConfig.maxConcurrency;
    if (max <= 0) return false;
    const key = `building/${p.provider}`;
    let building = view.memo.get(key);
    if (building === undefined) {
      building = view.nodes().filter((n) => n.provider === p.provider && (n.state === 'building' || n.state === 'init')).length;
      view.memo.set(key, building);
    }
    return building >= max;
  }

  return async function evaluate(req: NodeRequest, view: PassView): Promise<Route> {
    if (req.state !== 'requested') return { kind: 'done', why: `state is ${req.state}` };
    const ours = ctx.pools
      .ours()
      .filter((p) => !req.declined_by.includes(p.id))
      .sort((a, b) => a.config.priority - b.config.priority || a.id.localeCompare(b.id));
    if (ours.length === 0) return { kind: 'done', why: 'declined by all our pools' };
    const ourIds = new Set(ctx.pools.ours().map((p) => p.id));
    const supportsAll = (labels: string[]) => req.node_types.every((l) => labels.includes(l));
    const candidates = view.registered.filter((c) => supportsAll(c.supportedLabels) && !req.declined_by.includes(c.id));

    const declines: PoolRef[] = [];
    const reasons: string[] = [];
    /** Why it waits: for one of our pools (full, tenant, concurrency), else a general reason. */
    let waitsFor: { why: string; pool: OurPool } | null = null;
    let defer: { why: string } | null = null;
    for (const p of ours) {
      if (req.provider && req.provider !== p.provider && candidates.some((c) => c.provider === req.provider)) {
        defer ??= { why: `provider ${req.provider} is preferred` };
        continue;
      }
      if (candidates.some((c) => !ourIds.has(c.id) && c.priority < p.config.priority && !c.paused)) {
        defer ??= { why: 'a pool with a better priority can serve it' };
        continue;
      }
      if (!supportsAll(p.config.supportedLabels) && candidates.length > 0) {
        defer ??= { why: 'other pools serve these labels' };
        continue;
      }
      const reason = await cachedDeclineReason(p, req, view.nodes);
      if (reason) {
        declines.push(poolRef(p));
        reasons.push(`${p.provider}-${p.pool}: ${reason}`);
        continue;
      }
      const blocked = view.blocked.get(p.id);
      if (blocked) {
        waitsFor ??= { why: blocked, pool: p };
        continue;
      }
      if (await tenantBlocked(p, req, view.nodes)) {
        waitsFor ??= { why: `tenant ${req.tenant_name} is at its resource limits`, pool: p };
        continue;
      }
      if (concurrencyBlocked(p, view)) {
        waitsFor ??= { why: `provider ${p.provider} is at max-concurrency`, pool: p };
        continue;
      }
      return { kind: 'accept', pool: p };
    }
    if (declines.length) return { kind: 'decline', pools: declines, reason: reasons.join('; ') };
    return { kind: 'defer', why: (waitsFor ?? defer)?.why ?? 'waiting', pool: waitsFor?.pool ?? null };
  };
}
