// Nodepool's node gauges (nodepool-behaviour.md §6.1): every state of every node, per provider
// and per label, zeros included so dashboards never show phantom nodes; and each provider's
// max_servers. Sent when the node picture changes, at most once a second.
import { type NodepoolConfig } from '../../lib/config';
import { NODE_STATES, type Node } from '../../lib/model';
import { type Stats } from '../../lib/metrics/statsd';
import { launchesNodes } from '../../drivers/registry';

export class NodeGauges {
  private last = '';
  private lastAt = 0;

  constructor(private readonly stats: Stats) {}

  update(nodes: Node[], config: NodepoolConfig): void {
    const now = Date.now();
    const fingerprint = nodes.map((n) => `${n.id}:${n.state}`).join(',');
    if (fingerprint === this.last && now - this.lastAt < 60_000) return;
    if (now - this.lastAt < 1000) return;
    this.last = fingerprint;
    this.lastAt = now;
    const providers = new Set<string>(Object.keys(config.providers));
    const labels = new Set<string>(Object.keys(config.labels));
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
    for (const p of Object.values(config.providers)) {
      if (!launchesNodes(p)) continue;
      const caps = Object.values(p.pools).map((pool) => pool.maxServers);
      // unlimited if any pool is; statsd cannot carry infinity, so nothing is sent then
      if (caps.every((c) => c !== null)) this.stats.gauge(`nodepool.provider.${p.name}.max_servers`, caps.reduce<number>((a, c) => a + (c ?? 0), 0));
    }
  }
}
