// Which registered znode fills which slot of which static host: Nodepool 11's
// getRegisteredNodes (nodepool/driver/static/provider.py), pure. A host is identified by
// (hostname, username, connection-port), not by name alone, across all pools of the provider.
import { type Node } from '../../lib/model/node';
import { type StaticNode, type StaticProvider } from '../../lib/config/types';

/** Nodepool's nodeTuple as a map key. */
export type HostKey = string;

export const hostKeyOf = (sn: StaticNode): HostKey => JSON.stringify([sn.name, sn.username, sn.connectionPort]);
export const nodeHostKey = (n: Node): HostKey => JSON.stringify([n.hostname, n.username, n.connection_port]);

/** For log lines and reports: user@name:port. */
export const describeHost = (sn: StaticNode): string => `${sn.username}@${sn.name}:${sn.connectionPort}`;
export const describeNode = (n: Node): string => `${String(n.username)}@${String(n.hostname)}:${JSON.stringify(n.connection_port)}`;

/**
 * Per host, one entry per slot (null = free). A configured host has max-parallel-jobs entries
 * plus any excess nodes appended after them (left over from a higher max-parallel-jobs, or
 * duplicates); a host no longer configured has only its registered nodes.
 */
export type SlotTable = Map<HostKey, (Node | null)[]>;

/**
 * `nodes` are all node znodes (any provider). Building and deleting nodes hold no slot; every
 * other state does (ready, in-use, used, hold, even deleted for the instant before removal).
 * A node keeps its recorded slot if that slot exists and is free; others (no slot number, a
 * taken or out-of-range slot) fill the first free slot, else are tracked as excess.
 */
export function slotTable(provider: StaticProvider, nodes: Node[]): SlotTable {
  const table: SlotTable = new Map();
  for (const [key, { sn }] of configuredHosts(provider)) table.set(key, new Array<Node | null>(sn.maxParallelJobs).fill(null));
  const unslotted: Node[] = [];
  for (const n of nodes) {
    if (n.provider !== provider.name || n.state === 'building' || n.state === 'deleting') continue;
    const slots = table.get(nodeHostKey(n));
    if (slots) {
      if (n.slot !== null && n.slot >= 0 && n.slot < slots.length && slots[n.slot] === null) slots[n.slot] = n;
      else unslotted.push(n);
    } else {
      table.set(nodeHostKey(n), []);
      unslotted.push(n);
    }
  }
  for (const n of unslotted) {
    const slots = table.get(nodeHostKey(n)) ?? [];
    const free = slots.indexOf(null);
    if (free >= 0) slots[free] = n;
    else slots.push(n);
  }
  return table;
}

/** The configured hosts of a provider with the pool each belongs to (the first, if repeated, as the sync does). */
export function configuredHosts(provider: StaticProvider): Map<HostKey, { sn: StaticNode; poolName: string }> {
  const hosts = new Map<HostKey, { sn: StaticNode; poolName: string }>();
  for (const pool of Object.values(provider.pools)) {
    for (const sn of pool.nodes) if (!hosts.has(hostKeyOf(sn))) hosts.set(hostKeyOf(sn), { sn, poolName: pool.name });
  }
  return hosts;
}
