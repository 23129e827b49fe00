// One min-ready pass (nodepool-behaviour.md §2.9): free the nodes of fulfilled min-ready requests
// (allocated_to cleared, request deleted) and drop failed ones; then, for each label with
// min-ready > 0 whose image is available somewhere, submit one single-node request per missing
// READY node. Outstanding min-ready requests of every launcher are counted, so several
// launchers do not overshoot (Nodepool bug A11). The pass is the whole fleet's (one `min-ready`
// workflow; its activity runs on whichever launcher polls first), so it finishes every launcher's
// fulfilled and failed min-ready requests, not only those of the session it runs in: a fulfilled
// request of another launcher left alone would keep its node allocated, uncounted, and the pass
// would ask for another (overshoot). Nodepool launchers forget a min-ready request that is gone.
import { randomUUID } from 'node:crypto';
import { decodeRequest, encodeRequest, newRequest } from '../../lib/zk/codec-request';
import { isNoNode } from '../../lib/zk/errors';
import { isRequestId, REQUESTS, requestPath, requestPrefix } from '../../lib/zk/paths';
import { log } from '../../lib/log';
import { type Node, type NodeRequest } from '../../lib/model';
import { updateNode } from './store';
import { newestReadyUpload } from './images';
import { type LauncherContext } from './context';
import { MIN_READY_REQUESTOR } from './requests';
import { isCloudPool } from './pools';

export const MIN_READY_PRIORITY = '900';

export function createMinReadyActivities(ctx: LauncherContext) {
  const logger = log('min-ready');

  /**
   * Every request with its ephemeral owner: from the launcher's cache, else read from ZooKeeper.
   * With the cache, the listing is still checked against ZooKeeper and the requests the cache has
   * not read yet are read directly: the previous pass may have run on another launcher a moment
   * ago, and its requests must count here.
   */
  async function listRequests(): Promise<Array<{ req: NodeRequest; owner: bigint }>> {
    const zk = ctx.zk();
    let ids: string[] = [];
    try {
      ids = await zk.getChildren(REQUESTS);
    } catch (e) {
      if (!isNoNode(e)) throw e;
    }
    const cached = ctx.requests?.() ?? [];
    const known = new Set(cached.map((c) => c.req.id));
    const out = [...cached];
    for (const id of ids) {
      if (known.has(id) || !isRequestId(id)) continue;
      const got = await zk.getIfExists(requestPath(id));
      if (!got || got.data.length === 0) continue;
      try {
        out.push({ req: decodeRequest(id, got.data), owner: got.stat.ephemeralOwner });
      } catch {
        // malformed requests are not ours to judge here
      }
    }
    return out;
  }

  /** Nodepool's labelImageIsAvailable: some pool of ours offering the label can boot it. */
  async function imageAvailable(label: string): Promise<boolean> {
    for (const p of ctx.pools.ours()) {
      if (!isCloudPool(p)) continue;
      const l = p.config.labels[label];
      if (!l) continue;
      if (l.cloudImage) return true;
      if (l.diskimage && (await newestReadyUpload(ctx.zk(), l.diskimage, p.provider))) return true;
    }
    return false;
  }

  return {
    /** `skip`: labels whose min-ready request just failed at capacity (the workflow backs off). */
    async minReadyPass(input: { skip?: string[] } = {}): Promise<MinReadyPassResult> {
      const zk = ctx.zk();
      let deleted = 0;
      const failed = new Set<string>();
      /** Nodes freed by this pass (the node cache may not show them yet, or not have them at all). */
      const freed = new Map<string, Node>();
      const outstanding = new Map<string, number>();
      for (const { req } of await listRequests()) {
        if (req.requestor !== MIN_READY_REQUESTOR) continue;
        if (req.state === 'fulfilled' || req.state === 'failed') {
          // as Nodepool: free the nodes without locking them, then delete the request
          if (req.state === 'fulfilled') {
            for (const nodeId of req.nodes) {
              const n = await updateNode(zk, nodeId, (node) => {
                if (node.allocated_to !== req.id) return false;
                node.allocated_to = null;
              });
              if (n) freed.set(nodeId, n);
            }
          } else {
            for (const label of req.node_types) failed.add(label);
          }
          try {
            await zk.delete(requestPath(req.id));
            deleted++;
          } catch (e) {
            if (!isNoNode(e)) throw e;
          }
          continue;
        }
        if (req.state === 'requested' || req.state === 'pending') {
          for (const label of req.node_types) outstanding.set(label, (outstanding.get(label) ?? 0) + 1);
        }
      }
      const skip = new Set([...(input.skip ?? []), ...failed]);
      const nodes = await ctx.nodes();
      let submitted = 0;
      for (const label of Object.values(ctx.config().labels)) {
        if (label.minReady <= 0 || skip.has(label.name)) continue;
        // the nodes freed above may still show as allocated in the cache, or be missing from it
        const isFree = (n: Node) => n.state === 'ready' && (!n.allocated_to || freed.has(n.id)) && n.type.includes(label.name);
        const listed = new Set(nodes.map((n) => n.id));
        const free = nodes.filter(isFree).length + [...freed.values()].filter((n) => !listed.has(n.id) && isFree(n)).length;
        const need = label.minReady - free - (outstanding.get(label.name) ?? 0);
        if (need <= 0 || !(await imageAvailable(label.name))) continue;
        for (let i = 0; i < need; i++) {
          const req = newRequest({
            node_types: [label.name],
            requestor: MIN_READY_REQUESTOR,
            reuse: false,
            event_id: randomUUID().replace(/-/g, ''),
            requestor_data: null,
            created_time: null,
            tenant_name: null,
            provider: null,
          });
          await zk.create(requestPrefix(MIN_READY_PRIORITY), encodeRequest(req), { ephemeral: true, sequential: true, makepath: true });
          submitted++;
        }
        logger.info({ label: label.name, need }, 'submitted min-ready requests');
      }
      return { submitted, deleted, failed: [...failed] };
    },
  };
}

export interface MinReadyPassResult {
  submitted: number;
  deleted: number;
  /** Labels whose min-ready request failed (declined at capacity): not asked for again at once. */
  failed: string[];
}
