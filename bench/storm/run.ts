// One storm against one launcher (bench/storm/targets.ts), Zuul played by bench/backlog/zuul.ts:
//   1. warm-up: 5 requests, fulfilled, returned, their nodes and servers gone (bundling caches,
//      connections and the first token are paid for outside the measurement);
//   2. the storm: N one-node requests written at once; each request followed with a data watch
//      until all are fulfilled; CPU read before the first and after the last;
//   3. Zuul returns every node (lock, delete the request, in-use, used, unlock) and the bench waits
//      until no node znode, server or floating IP is left; CPU and the simulator's per-route
//      request counters are read before step 2 and after step 3.
// On a Temporal cluster the same readings are taken of each of its processes (frontend, history,
// matching, worker, PostgreSQL with its backends), and `temporal` is their sum.
import { type Client } from '@temporalio/client';
import { decodeRequest } from '../../lib/zk/codec-request';
import { requestPath } from '../../lib/zk/paths';
import { clusterParts, cpuSeconds, nodeIdsNow, peakRssMiBOf, processCount, pssMiBOf, watchedCpuSeconds, type ClusterPart } from '../backlog/measure';
import { ZuulStandIn } from '../backlog/zuul';
import { LABEL, type StormTarget, type TemporalKind } from './targets';

export type Procs = 'launcher' | 'temporal' | 'zookeeper';

/** One process of a Temporal cluster, measured as the launcher and the dev server are. */
export interface PartResult {
  stormCpu: number;
  allCpu: number;
  /** VmHWM, MiB (PostgreSQL: summed over its processes at the end). */
  peakRssMiB: number;
  /** Proportional set size at the end, MiB. */
  pssMiB: number;
  /** Processes at the end (PostgreSQL: the postmaster and its backends). */
  processes: number;
}

export interface StormResult {
  what: string;
  temporalKind: TemporalKind;
  n: number;
  /** First request created -> last one fulfilled (ZooKeeper ctime/mtime). */
  makespanMs: number;
  /** created -> fulfilled per request, ms, ascending. */
  overheads: number[];
  /** CPU seconds from the first storm request written to the last seen fulfilled. */
  stormCpu: Record<Procs, number>;
  /** CPU seconds from the first storm request written to the last of its nodes and servers gone. */
  allCpu: Record<Procs, number>;
  /** The launcher's CPU seconds since it started (at the end of the storm). */
  launcherCpuTotal: number;
  /** VmHWM at the end, MiB (NaN when there is no such process; a cluster's: summed over its processes). */
  peakRssMiB: { launcher: number; temporal: number };
  /** Proportional set size at the end, MiB (shared pages split between the processes mapping them). */
  pssMiB: { launcher: number; temporal: number };
  /** A Temporal cluster's processes one by one; undefined on the dev server and for Nodepool. */
  parts?: Record<ClusterPart, PartResult>;
  /** First node returned -> last node znode, server and floating IP gone. */
  returnMs: number;
  /** Simulator requests per route over steps 2 and 3, e.g. `GET /compute/v2.1/servers/{id}`. */
  calls: Record<string, number>;
  /** STORM_HISTORY: one request's and one node's workflow history (read before the returns). */
  history: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cpuOf(t: StormTarget): Record<Procs, number> {
  return { launcher: cpuSeconds(t.pids.launcher), temporal: watchedCpuSeconds(t.pids.temporal), zookeeper: cpuSeconds(t.pids.zookeeper) };
}

function partsCpu(t: StormTarget): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of clusterParts) out[p] = t.temporalParts ? watchedCpuSeconds(t.temporalParts[p]) : NaN;
  return out;
}

const minus = (a: Record<Procs, number>, b: Record<Procs, number>): Record<Procs, number> => ({
  launcher: a.launcher - b.launcher,
  temporal: a.temporal - b.temporal,
  zookeeper: a.zookeeper - b.zookeeper,
});

/** The simulator's route key (`GET compute /v2.1/servers/{id}`) as a URL template (`GET /compute/v2.1/servers/{id}`). */
function routeOf(key: string): string {
  const [method = '', service = '', ...path] = key.split(' ');
  return `${method} /${service}${path.join(' ')}`;
}

async function routeCounts(t: StormTarget): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries((await t.sim.state()).requests)) out[routeOf(k)] = (out[routeOf(k)] ?? 0) + v;
  return out;
}

async function waitFulfilled(zuul: ZuulStandIn, n: number, what: string): Promise<void> {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    const fulfilled = zuul.count('fulfilled');
    const failed = zuul.count('failed');
    if (failed > 0) throw new Error(`${what}: ${failed} of ${n} requests failed`);
    if (fulfilled === n) return;
    if (Date.now() > deadline) throw new Error(`${what}: only ${fulfilled}/${n} fulfilled after 15 minutes`);
    await sleep(20);
  }
}

/** Returns every fulfilled request's nodes (used) and waits until no node, server or floating IP is left. */
async function returnAll(t: StormTarget, zuul: ZuulStandIn, n: number, what: string): Promise<void> {
  zuul.startDraining();
  const deadline = Date.now() + 10 * 60_000;
  while (zuul.finished < n) {
    if (Date.now() > deadline) throw new Error(`${what}: only ${zuul.finished}/${n} requests accepted by the Zuul stand-in`);
    await sleep(50);
  }
  await zuul.settle();
  if (zuul.refused > 0 || zuul.failed > 0) throw new Error(`${what}: ${zuul.refused} requests refused, ${zuul.failed} failed on return`);
  let left = '';
  while (Date.now() < deadline) {
    const nodes = (await nodeIdsNow(t.zk)).length;
    if (nodes === 0) {
      const s = await t.sim.state();
      if (s.servers.length === 0 && s.floatingIps.length === 0) return;
      left = `${s.servers.length} servers, ${s.floatingIps.length} floating IPs`;
    } else left = `${nodes} node znodes`;
    await sleep(nodes === 0 ? 200 : 100);
  }
  throw new Error(`${what}: nodes returned, but after 10 minutes still ${left}; see ${t.launcherLog}`);
}

const eventMs = (e?: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }) =>
  Number(e?.eventTime?.seconds ?? 0) * 1000 + Math.floor((e?.eventTime?.nanos ?? 0) / 1e6);

async function historyLines(t: StormTarget, id: string, node: string | undefined, created: number, fulfilled: number): Promise<string[]> {
  if (!t.temporal) return [];
  const lines = [`request ${id}: created at 0 ms, fulfilled at ${fulfilled - created} ms`];
  // a request workflow only where the launcher has one (the lead node workflow may carry the request)
  for (const wf of [`request/${id}`, `node/${node}`]) {
    let h: Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;
    try {
      h = await t.temporal.workflow.getHandle(wf).fetchHistory();
    } catch (err) {
      lines.push(`history of ${wf}: none (${(err as Error).message})`);
      continue;
    }
    let prev = 0;
    lines.push(`history of ${wf} (first event at ${eventMs(h.events?.[0]) - created} ms):`);
    for (const e of h.events ?? []) {
      const at = eventMs(e);
      const name = Object.keys(e).find((k) => k.endsWith('EventAttributes')) ?? '';
      const detail = (e as Record<string, { activityType?: { name?: string } }>)[name]?.activityType?.name ?? '';
      lines.push(`  +${prev ? at - prev : 0}ms ${name.replace('EventAttributes', '')} ${detail}`);
      prev = at;
    }
  }
  return lines;
}

export async function runStorm(t: StormTarget, n: number, opts: { history?: boolean } = {}): Promise<StormResult> {
  // 1. warm-up
  const warm = new ZuulStandIn(t.zk);
  for (let i = 0; i < 5; i++) await warm.submit(LABEL);
  await warm.watchAll();
  await waitFulfilled(warm, 5, `${t.what} warm-up`);
  await returnAll(t, warm, 5, `${t.what} warm-up`);

  // 2. the storm
  const callsBefore = await routeCounts(t);
  const cpuBefore = cpuOf(t);
  const partsBefore = partsCpu(t);
  const zuul = new ZuulStandIn(t.zk);
  for (let i = 0; i < n; i++) await zuul.submit(LABEL);
  await zuul.watchAll();
  await waitFulfilled(zuul, n, `${t.what} storm`);
  const cpuStorm = cpuOf(t);
  const partsStorm = partsCpu(t);
  const stats = new Map<string, { ctime: number; mtime: number }>();
  await Promise.all(
    zuul.ids.map(async (id) => {
      const got = await t.zk.getIfExists(requestPath(id));
      if (!got || decodeRequest(id, got.data).state !== 'fulfilled') throw new Error(`${t.what}: request ${id} is no longer fulfilled`);
      stats.set(id, { ctime: got.stat.ctime, mtime: got.stat.mtime });
    }),
  );
  const overheads = [...stats.values()].map((d) => d.mtime - d.ctime).sort((a, b) => a - b);
  const makespanMs = Math.max(...[...stats.values()].map((d) => d.mtime)) - Math.min(...[...stats.values()].map((d) => d.ctime));
  let history: string[] = [];
  if (opts.history && t.temporal) {
    const mid = zuul.ids[Math.floor(zuul.ids.length / 2)] as string;
    const s = stats.get(mid) ?? { ctime: 0, mtime: 0 };
    history = await historyLines(t, mid, zuul.nodesOf.get(mid)?.[0], s.ctime, s.mtime);
  }

  // 3. Zuul returns every node; the launcher deletes them
  const returnedAt = Date.now();
  await returnAll(t, zuul, n, `${t.what} storm`);
  const returnMs = Date.now() - returnedAt;
  const cpuAll = cpuOf(t);
  const partsAll = partsCpu(t);
  const callsAfter = await routeCounts(t);
  const calls: Record<string, number> = {};
  for (const [route, k] of Object.entries(callsAfter)) {
    const d = k - (callsBefore[route] ?? 0);
    if (d > 0) calls[route] = d;
  }
  // the two state reads of the bench itself go to /_admin, which the simulator does not count
  let parts: Record<ClusterPart, PartResult> | undefined;
  if (t.temporalParts) {
    const tp = t.temporalParts;
    const at = (r: Record<string, number>, p: ClusterPart) => r[p] ?? NaN;
    parts = Object.fromEntries(
      clusterParts.map((p) => [
        p,
        {
          stormCpu: at(partsStorm, p) - at(partsBefore, p),
          allCpu: at(partsAll, p) - at(partsBefore, p),
          peakRssMiB: peakRssMiBOf(tp[p]),
          pssMiB: pssMiBOf(tp[p]),
          processes: processCount(tp[p]),
        },
      ]),
    ) as Record<ClusterPart, PartResult>;
  }
  return {
    what: t.what,
    temporalKind: t.temporalKind,
    n,
    makespanMs,
    overheads,
    stormCpu: minus(cpuStorm, cpuBefore),
    allCpu: minus(cpuAll, cpuBefore),
    launcherCpuTotal: cpuStorm.launcher,
    peakRssMiB: { launcher: peakRssMiBOf(t.pids.launcher), temporal: peakRssMiBOf(t.pids.temporal) },
    pssMiB: { launcher: pssMiBOf(t.pids.launcher), temporal: pssMiBOf(t.pids.temporal) },
    parts,
    returnMs,
    calls,
    history,
  };
}
