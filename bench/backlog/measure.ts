// What bench/backlog.ts reads about the processes it watches: CPU time from /proc, ZooKeeper's
// packet counter, and the number (and states) of node znodes.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fourLetterWord, type ZooKeeperServer } from '../../tools/servers/zookeeper';
import { decodeNode } from '../../lib/zk/codec-node';
import { NODES, nodePath, isNodeId } from '../../lib/zk/paths';
import { isNoNode } from '../../lib/zk/errors';
import { type ZkSession } from '../../lib/zk/session';

/** utime + stime of a process, in seconds (NaN when it is gone or unknown). */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** The java process running this ZooKeeper (its command line names the zoo.cfg in its data dir). */
export function findZooKeeperPid(zk: ZooKeeperServer): number | undefined {
  const cfg = join(zk.dataDir, 'zoo.cfg');
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(cfg)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** ZooKeeper's zk_packets_received (every request any client sent), NaN when mntr does not answer. */
export async function zkPacketsReceived(zk: ZooKeeperServer): Promise<number> {
  const out = await fourLetterWord(zk.host, zk.port, 'mntr');
  const m = /zk_packets_received\s+(\d+)/.exec(out);
  return m ? Number(m[1]) : NaN;
}

/** CPU seconds of several processes at once, and the wall time they were read at. */
export interface CpuSnapshot {
  at: number;
  cpu: Record<string, number>;
}

export function snapshot(pids: Record<string, number | undefined>): CpuSnapshot {
  const cpu: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) cpu[name] = cpuSeconds(pid);
  cpu.bench = (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
  return { at: Date.now(), cpu };
}

/** CPU seconds used between two snapshots, per process. */
export function cpuDelta(a: CpuSnapshot, b: CpuSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(b.cpu)) out[k] = (b.cpu[k] ?? NaN) - (a.cpu[k] ?? NaN);
  return out;
}

export async function nodeIdsNow(zk: ZkSession): Promise<string[]> {
  try {
    return (await zk.getChildren(NODES)).filter(isNodeId);
  } catch (e) {
    if (isNoNode(e)) return [];
    throw e;
  }
}

/** States of the node znodes of one provider pool, right now. */
export async function poolNodeStates(zk: ZkSession, provider: string, pool: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await Promise.all(
    (await nodeIdsNow(zk)).map(async (id) => {
      const got = await zk.getIfExists(nodePath(id));
      if (!got || got.data.length === 0) return;
      try {
        const n = decodeNode(id, got.data);
        if (n.provider === provider && n.pool === pool) out.set(id, n.state);
      } catch {
        // half-written or foreign: not one of ours
      }
    }),
  );
  return out;
}

async function readState(zk: ZkSession, id: string): Promise<string> {
  const got = await zk.getIfExists(nodePath(id)).catch(() => null);
  if (!got) return 'gone';
  try {
    return decodeNode(id, got.data).state;
  } catch {
    return 'unreadable';
  }
}

/**
 * Counts node znodes every `everyMs` (the config has one provider and one pool, so every node
 * znode is one of the pool's) and keeps the maximum since the last reset.
 */
export class NodeCounter {
  max = 0;
  last = 0;
  /** Node states when the maximum was (last) reached, e.g. "4 ready, 1 building". */
  atMax = '';
  /** ZooKeeper requests this counter sent (to tell the bench's share of the server's traffic). */
  ops = 0;
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(
    private readonly zk: ZkSession,
    private readonly everyMs = 100,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.ops++;
      nodeIdsNow(this.zk)
        .then(async (ids) => {
          this.last = ids.length;
          if (ids.length <= this.max) return;
          this.max = ids.length;
          this.ops += ids.length;
          // a new peak: what were they? (one read per node, only when the peak grows)
          const states = await Promise.all(ids.map(async (id) => await readState(this.zk, id)));
          const byState = new Map<string, number>();
          for (const st of states) byState.set(st, (byState.get(st) ?? 0) + 1);
          this.atMax = [...byState].map(([st, k]) => `${k} ${st}`).join(', ');
        })
        .catch(() => undefined)
        .finally(() => (this.busy = false));
    }, this.everyMs);
  }

  /** Starts a new maximum (returns the old one). */
  reset(): number {
    const m = this.max;
    this.max = 0;
    this.atMax = '';
    return m;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
