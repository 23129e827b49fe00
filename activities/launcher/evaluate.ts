// Deciding what our pools do with a `requested` request, following a NP24 pool worker
// (nodepool-behaviour.md §2.4–2.5): provider preference and priority yielding, label coverage,
// decline reasons (disabled, labels, images, impossible quota), then the deferrals (paused
// pool, tenant limits, max-concurrency). Our pools are looked at together, best priority first.
import { type NodeRequest } from '../../lib/model';
import { readRequest } from './store';
import { registeredPools, type OurPool } from './pools';
import { type LauncherContext } from './context';
import { newestReadyUpload } from './images';
import { fits, poolCaps, sumUsage, tenantCaps, add, type Resources } from './quota';
import { CloudError } from '../cloud/errors';
import type { PoolRef, RequestPlan } from './api';

const DEFER_RETRY_MS = 2000;
const IMAGE_CACHE_MS = 10_000;

const ref = (p: OurPool): PoolRef => ({ id: p.id, provider: p.provider, pool: p.pool });

export function createEvaluate(ctx: LauncherContext) {
  const imageCache = new Map<string, { at: number; ok: boolean }>();

  async function imageAvailable(p: OurPool, label: string): Promise<boolean> {
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

  async function requestNeeds(p: OurPool, labels: string[]): Promise<Resources> {
    let total: Resources = {};
    for (const label of labels) total = add(total, await ctx.quota.labelNeeds(ctx.provider(p.provider), p.provider, p.config, label));
    return total;
  }

  /** Nodepool's getDeclinedReasons: the first reason that applies, or null. */
  async function declineReason(p: OurPool, req: NodeRequest): Promise<string | null> {
    if (p.config.maxServers !== null && p.config.maxServers <= 0) return 'pool is disabled by max_servers';
    const missing = req.node_types.filter((l) => !p.config.labels[l]);
    if (missing.length) return `node type(s) [${missing.join(', ')}] not available`;
    try {
      for (const label of new Set(req.node_types)) if (!(await imageAvailable(p, label))) return 'images are not available';
      const needs = await requestNeeds(p, req.node_types);
      if (!fits(poolCaps(p.config), {}, needs)) return 'it would exceed quota';
      if (!p.config.ignoreProviderQuota) {
        const ourNodes = (await ctx.nodes()).filter((n) => n.provider === p.provider && n.external_id);
        const usage = await sumUsage(ourNodes, (l) => ctx.quota.labelNeeds(ctx.provider(p.provider), p.provider, p.config, l).catch(() => null));
        if (!fits(await ctx.quota.cloudAvailable(ctx.provider(p.provider), p.providerConfig, usage), {}, needs)) return 'it would exceed quota';
      }
    } catch (err) {
      // A cloud that refuses (bad flavor, bad credentials) cannot serve this request; a cloud
      // that is only unavailable for now is retried by Temporal.
      if (err instanceof CloudError && err.kind !== 'retryable') return `provider error: ${err.message}`;
      throw err;
    }
    return null;
  }

  /** Tenant resource limits: defer (not decline) while the tenant is at its limit. */
  async function tenantBlocked(p: OurPool, req: NodeRequest): Promise<boolean> {
    const limits = req.tenant_name ? ctx.config().tenantResourceLimits[req.tenant_name] : undefined;
    if (!limits) return false;
    try {
      const tenantNodes = (await ctx.nodes()).filter((n) => n.tenant_name === req.tenant_name);
      const usage = await sumUsage(tenantNodes, async () => ({ instances: 1 }));
      return !fits(tenantCaps(limits), usage, await requestNeeds(p, req.node_types));
    } catch {
      return true;
    }
  }

  async function concurrencyBlocked(p: OurPool): Promise<boolean> {
    // max-concurrency: -1 (default) and 0 both mean unlimited here (Nodepool quirk A1 fixed)
    const max = p.providerConfig.maxConcurrency;
    if (max <= 0) return false;
    const building = (await ctx.nodes()).filter((n) => n.provider === p.provider && (n.state === 'building' || n.state === 'init'));
    return building.length >= max;
  }

  return async function evaluateRequest({ requestId }: { requestId: string }): Promise<RequestPlan> {
    const zk = ctx.zk();
    const cur = await readRequest(zk, requestId);
    if (!cur) return { kind: 'gone' };
    const req = cur.value;
    if (req.state !== 'requested') return { kind: 'done', why: `state is ${req.state}` };
    const ours = ctx.pools
      .ours()
      .filter((p) => !req.declined_by.includes(p.id))
      .sort((a, b) => a.config.priority - b.config.priority || a.id.localeCompare(b.id));
    if (ours.length === 0) return { kind: 'done', why: 'declined by all our pools' };
    const ourIds = new Set(ctx.pools.ours().map((p) => p.id));
    const supportsAll = (labels: string[]) => req.node_types.every((l) => labels.includes(l));
    const candidates = (await registeredPools(zk)).filter((c) => supportsAll(c.supportedLabels) && !req.declined_by.includes(c.id));

    const declines: PoolRef[] = [];
    const reasons: string[] = [];
    let deferWhy: string | null = null;
    for (const p of ours) {
      if (req.provider && req.provider !== p.provider && candidates.some((c) => c.provider === req.provider)) {
        deferWhy ??= `provider ${req.provider} is preferred`;
        continue;
      }
      if (candidates.some((c) => !ourIds.has(c.id) && c.priority < p.config.priority && !c.paused)) {
        deferWhy ??= 'a pool with a better priority can serve it';
        continue;
      }
      if (!supportsAll(p.config.supportedLabels) && candidates.length > 0) {
        deferWhy ??= 'other pools serve these labels';
        continue;
      }
      const reason = await declineReason(p, req);
      if (reason) {
        declines.push(ref(p));
        reasons.push(`${p.provider}-${p.pool}: ${reason}`);
        continue;
      }
      if (ctx.pools.isPaused(p.id)) {
        deferWhy ??= `pool ${p.provider}-${p.pool} is paused at quota`;
        continue;
      }
      if (await tenantBlocked(p, req)) {
        deferWhy ??= `tenant ${req.tenant_name} is at its resource limits`;
        continue;
      }
      if (await concurrencyBlocked(p)) {
        deferWhy ??= `provider ${p.provider} is at max-concurrency`;
        continue;
      }
      return { kind: 'accept', pool: ref(p) };
    }
    if (declines.length) return { kind: 'decline', pools: declines, reason: reasons.join('; ') };
    return { kind: 'defer', why: deferWhy ?? 'waiting', retryMs: DEFER_RETRY_MS };
  };
}
