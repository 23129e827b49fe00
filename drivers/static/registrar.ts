// Keeps a static provider's node znodes in line with its config, as Nodepool 11's
// StaticNodeProvider does (nodepool/driver/static/provider.py): one READY znode per free slot
// of every configured host, surplus free slots deregistered. Static hosts are never created or
// destroyed; only their znodes are.
//
//   mode 'start'   = _start(): at launcher start and whenever the provider's config changed.
//                    Also updates READY nodes whose config values changed, and deregisters the
//                    free slots of hosts no longer configured or whose host check failed.
//   mode 'cleanup' = cleanupLeakedResources(): the periodic pass; fills and trims slot counts
//                    of configured hosts only.
//
// Callers must not run two syncs (or a sync and reregisterUsedSlot) of one provider at once:
// Nodepool serialises them with a lock, and two racing passes would both fill a free slot.
import { type Versioned } from '../../lib/model/common';
import { type Node } from '../../lib/model/node';
import { type StaticNode, type StaticPool, type StaticProvider } from '../../lib/config/types';
import { lockNode, readNode, storeNode } from '../../lib/zk/operations/nodes';
import { type ZkSession } from '../../lib/zk/session';
import { checkHost, type HostCheck, type HostScanner } from './host-check';
import { applyPublicIp, configuredValues, registeredValues, staticNodeFields } from './node-fields';
import { deregisterNode, readProviderNodes } from './registered';
import { type HostResolver, type PublicIp, resolvePublicIp } from './resolve';
import { describeHost, describeNode, hostKeyOf, type HostKey, nodeHostKey, slotTable } from './slots';

export interface SyncOptions {
  scan: HostScanner;
  /** Default: DNS, as Nodepool's set_node_ip. */
  resolve?: HostResolver;
  /** Default 'start'. */
  mode?: 'start' | 'cleanup';
}

export interface SlotRef {
  nodeId: string;
  /** user@name:port */
  host: string;
  slot: number | null;
}

export interface Skipped {
  host: string;
  slot?: number | null;
  nodeId?: string;
  reason: string;
}

export interface SyncReport {
  registered: SlotRef[];
  deregistered: SlotRef[];
  updated: SlotRef[];
  skipped: Skipped[];
}

/** One scan and one name lookup per host per pass (Nodepool repeats them per slot). */
export class HostFacts {
  private check?: Promise<HostCheck>;
  private ip?: Promise<PublicIp>;
  constructor(
    readonly sn: StaticNode,
    private readonly scan: HostScanner,
    private readonly resolve: HostResolver,
  ) {}
  hostCheck(): Promise<HostCheck> {
    return (this.check ??= checkHost(this.sn, this.scan));
  }
  /** Rejects when the name does not resolve. */
  publicIp(): Promise<PublicIp> {
    return (this.ip ??= this.resolve(this.sn.name, this.sn.connectionPort));
  }
}

/** Checks the host, then writes a fresh READY znode for the slot; null when it may not be. */
export async function registerSlot(s: ZkSession, providerName: string, pool: StaticPool, facts: HostFacts, slot: number, skipped: Skipped[]): Promise<SlotRef | null> {
  const host = describeHost(facts.sn);
  const check = await facts.hostCheck();
  if (!check.ok) {
    skipped.push({ host, slot, reason: check.reason });
    return null;
  }
  let ip: PublicIp;
  try {
    ip = await facts.publicIp();
  } catch (e) {
    skipped.push({ host, slot, reason: `unresolvable: ${e instanceof Error ? e.message : String(e)}` });
    return null;
  }
  const n = staticNodeFields(providerName, pool, facts.sn, slot, check.hostKeys, ip);
  await storeNode(s, n);
  return { nodeId: n.id, host, slot };
}

export async function syncStaticNodes(s: ZkSession, provider: StaticProvider, opts: SyncOptions): Promise<SyncReport> {
  const mode = opts.mode ?? 'start';
  const resolve = opts.resolve ?? resolvePublicIp;
  const report: SyncReport = { registered: [], deregistered: [], updated: [], skipped: [] };
  const nodes = await readProviderNodes(s, provider.name);
  const table = slotTable(provider, nodes.map((v) => v.value));

  // Hosts synced without error; at start, every other host's free slots are deregistered.
  const good = new Set<HostKey>();
  const queued = new Set<HostKey>();
  const jobs: Promise<void>[] = [];
  for (const pool of Object.values(provider.pools)) {
    for (const sn of pool.nodes) {
      const key = hostKeyOf(sn);
      if (queued.has(key)) {
        // Nodepool assumes a host is configured once per provider; a repeat would fill its
        // slots twice. We keep the first.
        report.skipped.push({ host: describeHost(sn), reason: `configured again in pool ${pool.name}` });
        continue;
      }
      queued.add(key);
      const facts = new HostFacts(sn, opts.scan, resolve);
      jobs.push(
        syncHost(s, provider.name, pool, facts, table.get(key) ?? [], nodes, mode, report).then((ok) => {
          if (ok) good.add(key);
        }),
      );
    }
  }
  // Hosts are synced side by side, as Nodepool's thread pool does: a scan may take `timeout`.
  // An error (ZooKeeper, or a scanner that throws instead of answering null) fails the pass
  // once every host is done, before anything is deregistered (Nodepool would log it and
  // deregister that host's free slots; a retry is kinder).
  const failed = (await Promise.allSettled(jobs)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;

  if (mode === 'start') {
    for (const [key, slots] of table) {
      if (good.has(key)) continue;
      for (const n of slots) if (n) await deregister(s, n, report);
    }
  }
  return report;
}

/**
 * syncNodeCount (+ updateNodeFromConfig at start) for one host: slots in order, a free one is
 * registered, one beyond max-parallel-jobs deregistered. The first failed check or lookup stops
 * the host's pass, as the exception does in Nodepool. False when the host failed.
 */
async function syncHost(
  s: ZkSession,
  providerName: string,
  pool: StaticPool,
  facts: HostFacts,
  slots: (Node | null)[],
  nodes: Versioned<Node>[],
  mode: 'start' | 'cleanup',
  report: SyncReport,
): Promise<boolean> {
  const sn = facts.sn;
  let existing = false;
  for (const [slot, n] of slots.entries()) {
    if (n === null) {
      const ref = await registerSlot(s, providerName, pool, facts, slot, report.skipped);
      if (!ref) return false;
      report.registered.push(ref);
    } else if (slot >= sn.maxParallelJobs) {
      await deregister(s, n, report);
    } else {
      existing = true;
    }
  }
  if (mode !== 'start' || !existing) return true;
  return updateHost(s, facts, nodes, report);
}

/**
 * updateNodeFromConfig: READY, unallocated nodes of the host whose labels, username, port,
 * shell/connection type, python-path or host keys differ from the config are rewritten in
 * place (pool and attributes are not). Locked nodes are left for the next start. Unlike
 * Nodepool we re-read under the lock, so an allocation made meanwhile is never overwritten.
 */
async function updateHost(s: ZkSession, facts: HostFacts, nodes: Versioned<Node>[], report: SyncReport): Promise<boolean> {
  const sn = facts.sn;
  const host = describeHost(sn);
  const check = await facts.hostCheck();
  if (!check.ok) {
    report.skipped.push({ host, reason: check.reason });
    return false;
  }
  const want = JSON.stringify(configuredValues(sn, check.hostKeys));
  for (const { value: n } of nodes) {
    if (n.state !== 'ready' || n.allocated_to !== null || nodeHostKey(n) !== hostKeyOf(sn)) continue;
    if (JSON.stringify(registeredValues(n)) === want) continue;
    const lock = await lockNode(s, n.id, { blocking: false });
    if (!lock) {
      report.skipped.push({ host, nodeId: n.id, slot: n.slot, reason: 'locked: not updated' });
      continue;
    }
    try {
      const cur = await readNode(s, n.id);
      if (!cur || cur.value.state !== 'ready' || cur.value.allocated_to !== null) continue;
      const u = cur.value;
      u.type = [...sn.labels];
      u.username = sn.username;
      u.connection_port = sn.connectionPort;
      u.connection_type = sn.connectionType;
      u.shell_type = sn.shellType;
      u.python_path = sn.pythonPath;
      try {
        applyPublicIp(u, await facts.publicIp());
      } catch (e) {
        report.skipped.push({ host, nodeId: n.id, slot: n.slot, reason: `unresolvable: ${e instanceof Error ? e.message : String(e)}` });
        return false;
      }
      u.host_keys = [...check.hostKeys];
      await storeNode(s, u, cur.version);
      report.updated.push({ nodeId: u.id, host, slot: u.slot });
    } finally {
      await lock.release();
    }
  }
  return true;
}

async function deregister(s: ZkSession, n: Node, report: SyncReport): Promise<void> {
  const ref = { nodeId: n.id, host: describeNode(n), slot: n.slot };
  try {
    const outcome = await deregisterNode(s, n.id);
    if (outcome === 'deregistered') report.deregistered.push(ref);
    else report.skipped.push({ ...ref, reason: outcome === 'locked' ? 'locked: left until used' : outcome });
  } catch (e) {
    report.skipped.push({ ...ref, reason: `deregister failed: ${e instanceof Error ? e.message : String(e)}` });
  }
}
