// What bench/backlog.ts reads about the processes it watches: CPU time from /proc, ZooKeeper's
// packet counter, and the number (and states) of node znodes.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fourLetterWord, type ZooKeeperServer } from '../../tools/servers/zookeeper';
import { procKiB, statFields, withChildren } from '../../tools/servers/proc';
import { decodeNode } from '../../lib/zk/codec-node';
import { NODES, nodePath, isNodeId } from '../../lib/zk/paths';
import { isNoNode } from '../../lib/zk/errors';
import { type ZkSession } from '../../lib/zk/session';

/** utime + stime of a process, in seconds (NaN when it is gone or unknown). */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / 100 : NaN;
}

/**
 * What the benches watch: one process by pid (its own CPU), or a group of processes found anew at
 * every reading (so a restarted server is found under its new pid), whose CPU includes what their
 * exited children used (cutime + cstime: PostgreSQL's backends that came and went). A group that
 * has no process now reads NaN.
 */
export type Watched = number | undefined | (() => number[]);

const pidsOf = (w: Watched): number[] => (typeof w === 'function' ? w() : w ? [w] : []);

/** CPU seconds of what is watched (see Watched); NaN when none of it runs. */
export function watchedCpuSeconds(w: Watched): number {
  if (typeof w !== 'function') return cpuSeconds(w);
  let total = 0;
  let found = 0;
  for (const pid of w()) {
    const f = statFields(pid);
    if (!f) continue;
    found++;
    total += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return found ? total / 100 : NaN;
}

function sumMiB(w: Watched, file: 'status' | 'smaps_rollup', key: string): number {
  let kib = 0;
  let found = 0;
  for (const pid of pidsOf(w)) {
    const v = procKiB(pid, file, key);
    if (v === undefined) continue;
    kib += v;
    found++;
  }
  return found ? kib / 1024 : NaN;
}

/**
 * Peak resident set (VmHWM) in MiB, summed over a group's processes now running (shared memory,
 * e.g. PostgreSQL's shared buffers, counts once per process that touched it); NaN when none runs.
 */
export const peakRssMiBOf = (w: Watched): number => sumMiB(w, 'status', 'VmHWM');

/** Proportional set size now (shared pages split between the processes mapping them), MiB, summed; NaN when none runs. */
export const pssMiBOf = (w: Watched): number => sumMiB(w, 'smaps_rollup', 'Pss');

/** How many processes a group has now. */
export const processCount = (w: Watched): number => pidsOf(w).filter((pid) => statFields(pid)).length;

/** The processes of a Temporal cluster (tools/servers/temporal-cluster.ts), by the names the benches print. */
export const clusterParts = ['frontend', 'history', 'matching', 'worker', 'PostgreSQL'] as const;
export type ClusterPart = (typeof clusterParts)[number];

/**
 * Each cluster process as Watched, read from `cluster.pids` at every reading (a restarted
 * service has a new pid), PostgreSQL with its backends; and `all`, the whole cluster as one.
 */
export function clusterWatched(cluster: { readonly pids: Readonly<Record<'frontend' | 'history' | 'matching' | 'worker' | 'postgres', number | undefined>> }): {
  parts: Record<ClusterPart, Watched>;
  all: Watched;
} {
  const one = (s: 'frontend' | 'history' | 'matching' | 'worker') => () => {
    const pid = cluster.pids[s];
    return pid ? [pid] : [];
  };
  const parts: Record<ClusterPart, Watched> = {
    frontend: one('frontend'),
    history: one('history'),
    matching: one('matching'),
    worker: one('worker'),
    PostgreSQL: () => withChildren(cluster.pids.postgres),
  };
  return { parts, all: () => clusterParts.flatMap((p) => pidsOf(parts[p])) };
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

export function snapshot(pids: Record<string, Watched>): CpuSnapshot {
  const cpu: Record<string, number> = {};
  for (const [name, w] of Object.entries(pids)) cpu[name] = watchedCpuSeconds(w);
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
