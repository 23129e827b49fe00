// Nodepool's launcher gauges (nodepool-behaviour.md §6.1), sent when the node picture changes,
// at most once a second:
//   * by the elected stats leader only (workers/launcher/stats-leader.ts), as Nodepool's
//     StatsWorker: every state of every node, per provider and per label, zeros included so
//     dashboards never show phantom nodes, and each registered pool's addressable_requests;
//   * by every launcher, as Nodepool's pool workers: each provider's max_servers.
import { type NodepoolConfig } from '../../lib/config';
import { NODE_STATES, type Node, type NodeRequest } from '../../lib/model';
import { type Stats } from '../../lib/metrics/statsd';
import { launchesNodes } from '../../drivers/registry';

/** A registered pool as the stats leader sees it (any launcher's, Nodepool's too). */
export interface StatsPool {
  provider: string;
  /** null for a Nodepool 2019 launcher registration (no pool name: no addressable_requests). */
  pool: string | null;
  supportedLabels: string[];
}

/** What the leader-only gauges are made of, beyond the nodes. */
export interface GaugeSource {
  /** Are we the stats leader now? */
  isLeader(): boolean;
  /** Every pool registered in ZooKeeper. */
  pools(): StatsPool[];
  /** Every node request in ZooKeeper. */
  requests(): NodeRequest[];
}

const NOBODY_ELSE: GaugeSource = { isLeader: () => true, pools: () => [], requests: () => [] };

export class NodeGauges {
  private last = '';
  private lastAt = 0;

  constructor(
    private readonly stats: Stats,
    private readonly source: GaugeSource = NOBODY_ELSE,
  ) {}

  /** The next update sends everything even if nothing changed (e.g. we were just elected). */
  forget(): void {
    this.last = '';
    this.lastAt = 0;
  }

  update(nodes: Node[], config: NodepoolConfig): void {
    const now = Date.now();
    const leader = this.source.isLeader();
    const requests = leader ? this.source.requests() : [];
    const fingerprint = `${leader}|${nodes.map((n) => `${n.id}:${n.state}`).join(',')}|${requests.map((r) => r.id).join(',')}`;
    if (fingerprint === this.last && now - this.lastAt < 60_000) return;
    if (now - this.lastAt < 1000) return;
    this.last = fingerprint;
    this.lastAt = now;
    if (leader) this.leaderGauges(nodes, requests, config);
    for (const p of Object.values(config.providers)) {
      if (!launchesNodes(p)) continue;
      const caps = Object.values(p.pools).map((pool) => pool.maxServers);
      // unlimited if any pool is; statsd cannot carry infinity, so nothing is sent then
      if (caps.every((c) => c !== null)) this.stats.gauge(`nodepool.provider.${p.name}.max_servers`, caps.reduce<number>((a, c) => a + (c ?? 0), 0));
    }
  }

  /** Nodepool's updateNodeStats and updateNodeRequestStats, over the whole of ZooKeeper. */
  private leaderGauges(nodes: Node[], requests: NodeRequest[], config: NodepoolConfig): void {
    const pools = this.source.pools();
    const providers = new Set<string>(Object.keys(config.providers));
    const labels = new Set<string>(Object.keys(config.labels));
    for (const p of pools) {
      providers.add(p.provider);
      for (const l of p.supportedLabels) labels.add(l);
    }
    for (const n of nodes) {
      if (n.provider) providers.add(n.provider);
      for (const l of n.type) labels.add(l);
    }
    const count = (pred: (n: Node) => boolean) => nodes.filter(pred).length;
    for (const state of NODE_STATES) {
      this.stats.gauge(`nodepool.nodes.${state}`, count((n) => n.state === state));
      for (const p of providers) this.stats.gauge(`nodepool.provider.${p}.nodes.${state}`, count((n) => n.provider === p && n.state === state));
      for (const l of labels) this.stats.gauge(`nodepool.label.${l}.nodes.${state}`, count((n) => n.type.includes(l) && n.state === state));
    }
    // one gauge per (provider, pool), however many launchers registered it
    const supported = new Map<string, { provider: string; pool: string; labels: Set<string> }>();
    for (const p of pools) {
      if (p.pool !== null) supported.set(`${p.provider}\u0000${p.pool}`, { provider: p.provider, pool: p.pool, labels: new Set(p.supportedLabels) });
    }
    for (const { provider, pool, labels: can } of supported.values()) {
      const addressable = requests.filter((r) => r.node_types.every((l) => can.has(l))).length;
      this.stats.gauge(`nodepool.provider.${provider}.pool.${pool}.addressable_requests`, addressable);
    }
  }
}
