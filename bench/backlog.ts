// Backlog: what a busy site sees. N one-node requests arrive at once for a pool of M servers
// (instant-boot simulator). The first M are served; the other N−M wait. Measures how long the
// first M nodes take to be READY, what the waiting backlog costs while nothing can happen (pool
// full, nothing returned: launcher and Temporal server CPU, workflow history growth, ZooKeeper
// traffic), and then the drain with the bench playing Zuul (lock, delete request, in-use, used,
// unlock): requests/s, CPU-seconds per request, and the most node znodes ever seen (≤ M).
//   npx tsx bench/backlog.ts [--n 1000] [--m 4] [--wait-seconds 60] [--drain-seconds 120] [--boot-ms 0]
//                            [--nodepool <venv> | --cluster | --compare-dev]
// --nodepool: the same against Nodepool's own nodepool-launcher from that Python venv
// (python3 -m venv /tmp/np11 && /tmp/np11/bin/pip install nodepool==11.0.0 cachetools) on a TLS
// ZooKeeper and the same simulator; no Temporal there, so its lines are left out.
// --cluster: our launcher on a real Temporal cluster instead of the dev server
// (tools/servers/temporal-cluster.ts: PostgreSQL and the frontend, history, matching and worker
// services as separate processes; tools/setup-temporal-cluster builds them). "Temporal" is then the
// sum of the cluster's processes, and each CPU line is followed by one per process (frontend,
// history, matching, worker, PostgreSQL: the postmaster and its backends, with the CPU of backends
// that exited meanwhile); the peak RSS line gives each process's VmHWM (PostgreSQL's summed over
// its processes, so its shared buffers count once per process) and PSS at the end.
// --compare-dev: the whole run twice, on the dev server and then on the cluster, each on fresh
// servers; both reports, then a side-by-side table (first M nodes, CPU of every process in the
// burst, the wait and the drain, drain rate, peak RSS and PSS).
// The drain rate counts the M requests already fulfilled when the drain starts.
import { parseArgs } from 'node:util';
import { ZkSession } from '../lib/zk/session';
import { requestPath } from '../lib/zk/paths';
import { ZuulStandIn } from './backlog/zuul';
import { clusterParts, cpuDelta, NodeCounter, peakRssMiBOf, poolNodeStates, processCount, pssMiBOf, snapshot, zkPacketsReceived, type CpuSnapshot, type Watched } from './backlog/measure';
import { checkClusterBinaries, startNodepool, startOurLauncher, type Target, type TargetOptions } from './backlog/targets';
import { historyLength, runningWorkflows, workflowsStartingWith } from './backlog/temporal';
import { printTable, type Row } from './storm/report';
import { temporalServerVersion } from '../tools/servers/temporal-cluster';

const { values: opts } = parseArgs({
  options: {
    n: { type: 'string', default: '1000' },
    m: { type: 'string', default: '4' },
    'wait-seconds': { type: 'string', default: '60' },
    'drain-seconds': { type: 'string', default: '120' },
    'boot-ms': { type: 'string', default: '0' },
    nodepool: { type: 'string' },
    cluster: { type: 'boolean', default: false },
    'compare-dev': { type: 'boolean', default: false },
  },
});
const N = Number(opts.n);
const M = Number(opts.m);
const WAIT_S = Number(opts['wait-seconds']);
const DRAIN_S = Number(opts['drain-seconds']);
const BOOT_MS = Number(opts['boot-ms']);
const NODEPOOL_VENV = opts.nodepool;
const CLUSTER = opts.cluster;
const COMPARE_DEV = opts['compare-dev'];
const LABEL = 'backlog';
const PROVIDER = 'sim';
const POOL = 'main';
const SETTLE_MS = 5000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const line = (label: string, value: string) => console.log(`${`${label}:`.padEnd(26)}${value}`);
const s2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const pct = (cpu: number, wallS: number) => (Number.isFinite(cpu) ? `${((cpu / wallS) * 100).toFixed(1)} %` : 'n/a');

async function until<T>(what: string, timeoutMs: number, everyMs: number, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await check();
    if (got !== undefined && got !== false) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Launcher + Temporal server (just the launcher when there is no Temporal). */
const bothOf = (d: Record<string, number>) => (d.launcher ?? NaN) + ('temporal' in d ? (d.temporal ?? NaN) : 0);

/** The snapshot key of a cluster process. */
const partKey = (p: string) => `temporal/${p}`;

/** What snapshot() reads: the target's processes, and a cluster's one by one. */
function watchedOf(t: Target): Record<string, Watched> {
  const w: Record<string, Watched> = { launcher: t.pids.launcher, zookeeper: t.pids.zookeeper };
  if (t.pids.temporal !== undefined) w.temporal = t.pids.temporal;
  for (const p of t.temporalParts ? clusterParts : []) w[partKey(p)] = t.temporalParts?.[p];
  return w;
}

function cpuLines(what: string, a: CpuSnapshot, b: CpuSnapshot): Record<string, number> {
  const d = cpuDelta(a, b);
  const wallS = (b.at - a.at) / 1000;
  const both = bothOf(d);
  const cluster = partKey(clusterParts[0]) in d;
  line(`${what} CPU launcher`, `${pct(d.launcher ?? NaN, wallS)} of one core (${s2(d.launcher ?? NaN)} s in ${wallS.toFixed(1)} s)`);
  if ('temporal' in d) {
    line(`${what} CPU Temporal`, `${pct(d.temporal ?? NaN, wallS)} (${s2(d.temporal ?? NaN)} s)${cluster ? `, the cluster's ${clusterParts.length} processes:` : ''}`);
    if (cluster) for (const p of clusterParts) line(`${what} CPU  ${p}`, `${pct(d[partKey(p)] ?? NaN, wallS)} (${s2(d[partKey(p)] ?? NaN)} s)`);
    line(`${what} CPU both`, `${pct(both, wallS)} (${s2(both)} s)`);
  }
  line(`${what} CPU ZooKeeper`, `${pct(d.zookeeper ?? NaN, wallS)} (${s2(d.zookeeper ?? NaN)} s)`);
  line(`${what} CPU bench`, `${pct(d.bench ?? NaN, wallS)} (${s2(d.bench ?? NaN)} s, this process: Zuul + sampling)`);
  return d;
}

/** How fair the service was: wait times and the rank correlation of submission and fulfilment order. */
function fulfilOrder(ids: string[], fulfilledAt: Map<string, number>, t0: number) {
  const done = ids.filter((id) => fulfilledAt.has(id));
  if (done.length < 2) return null;
  const byTime = [...done].sort((a, b) => (fulfilledAt.get(a) as number) - (fulfilledAt.get(b) as number));
  const rank = new Map(byTime.map((id, i) => [id, i]));
  const n = done.length;
  let d2 = 0;
  done.forEach((id, i) => (d2 += ((rank.get(id) as number) - i) ** 2));
  const waits = byTime.map((id) => ((fulfilledAt.get(id) as number) - t0) / 1000);
  const firstAt = rank.get(ids[0] as string);
  return {
    rho: (1 - (6 * d2) / (n * (n * n - 1))).toFixed(2),
    p50: (waits[Math.floor(n / 2)] as number).toFixed(1),
    max: (waits[n - 1] as number).toFixed(1),
    firstAt: firstAt === undefined ? 'never fulfilled' : `fulfilled #${firstAt + 1}`,
  };
}

/** What --compare-dev sets side by side. */
interface BacklogResult {
  firstReadyS: number;
  firstFulfilledS: number;
  /** CPU seconds per snapshot key (launcher, temporal, temporal/<process>, zookeeper, bench). */
  burstCpu: Record<string, number>;
  waitCpu: Record<string, number>;
  waitS: number;
  drainCpu: Record<string, number>;
  drainS: number;
  served: number;
  order: ReturnType<typeof fulfilOrder>;
  /** MiB per key (launcher, temporal, temporal/<process>). */
  peakRssMiB: Record<string, number>;
  pssMiB: Record<string, number>;
  maxNodes: number;
}

/** Peak RSS and PSS of the launcher and Temporal (and a cluster's processes one by one), read now. */
function memoryLines(t: Target): { peakRssMiB: Record<string, number>; pssMiB: Record<string, number> } {
  const peakRssMiB: Record<string, number> = {};
  const pssMiB: Record<string, number> = {};
  const w = watchedOf(t);
  for (const k of Object.keys(w).filter((k) => k !== 'zookeeper')) {
    peakRssMiB[k] = peakRssMiBOf(w[k]);
    pssMiB[k] = pssMiBOf(w[k]);
  }
  const mib = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? `${x.toFixed(0)} MiB` : 'n/a');
  const both = (r: Record<string, number>) => (r.launcher ?? NaN) + ('temporal' in r ? (r.temporal ?? NaN) : 0);
  line('peak RSS launcher', `${mib(peakRssMiB.launcher)} (VmHWM; PSS now ${mib(pssMiB.launcher)})`);
  if ('temporal' in w) {
    line('peak RSS Temporal', `${mib(peakRssMiB.temporal)} (PSS now ${mib(pssMiB.temporal)})${t.temporalParts ? `, the cluster's ${clusterParts.length} processes:` : ''}`);
    for (const p of t.temporalParts ? clusterParts : []) {
      const k = partKey(p);
      const n = processCount(t.temporalParts?.[p]);
      line(`peak RSS  ${p}`, `${mib(peakRssMiB[k])} (PSS now ${mib(pssMiB[k])})${n > 1 ? `, ${n} processes, VmHWM summed` : ''}`);
    }
    line('peak RSS both', `${mib(both(peakRssMiB))} (PSS now ${mib(both(pssMiB))})`);
  }
  return { peakRssMiB, pssMiB };
}

async function runBacklog(options: TargetOptions): Promise<BacklogResult> {
  let target: Target | undefined;
  let zuulZk: ZkSession | undefined;
  let counter: NodeCounter | undefined;
  const stopAll = async () => {
    counter?.stop();
    await zuulZk?.close().catch(() => undefined);
    await target?.stop();
  };
  const onSignal = () => {
    console.error('interrupted: stopping the stack');
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    target = NODEPOOL_VENV ? await startNodepool(NODEPOOL_VENV, options) : await startOurLauncher(options);
    const t = target;
    await sleep(2000);
    zuulZk = await ZkSession.connect({ servers: t.zkServer.connectString });
    const zuul = new ZuulStandIn(zuulZk);
    const pids = watchedOf(t);
    counter = new NodeCounter(t.zk, 100);
    counter.start();

    console.log(`backlog: ${N} one-node requests at once for a pool of max-servers ${M}; simulator boot delay ${BOOT_MS} ms, host-key-checking off, ${t.what}`);

    // ---- 1. burst ------------------------------------------------------------------------
    const burst0 = snapshot(pids);
    const writeStart = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next++ < N) await zuul.submit(LABEL);
      }),
    );
    zuul.ids.sort();
    const writeMs = Date.now() - writeStart;
    const t0 = (await t.zk.get(requestPath(zuul.ids[0] as string))).stat.ctime;
    await zuul.watchAll();
    line('burst written', `${N} requests in ${writeMs} ms (${((N * 1000) / writeMs).toFixed(0)}/s)`);
    const budget = 120_000 + BOOT_MS * 2;
    const readyMs = await until(`${M} READY nodes`, budget, 50, async () => {
      const states = await poolNodeStates(t.zk, PROVIDER, POOL);
      return [...states.values()].filter((s) => s === 'ready').length >= M ? Date.now() - t0 : undefined;
    });
    line(`first ${M} nodes READY`, `${(readyMs / 1000).toFixed(2)} s after the first request was created (50 ms poll)`);
    await until(`${M} fulfilled requests`, budget, 50, async () => zuul.count('fulfilled') >= M);
    const fulfilledMs = Math.max(...[...zuul.fulfilledAt.values()].sort((a, b) => a - b).slice(0, M)) - t0;
    const burst1 = snapshot(pids);
    line(`first ${M} fulfilled`, `${(fulfilledMs / 1000).toFixed(2)} s (data watches)`);
    const burstCpu = cpuDelta(burst0, burst1);
    const burstParts = t.temporalParts ? ` (${clusterParts.map((p) => `${p} ${s2(burstCpu[partKey(p)] ?? NaN)}`).join(', ')})` : '';
    const burstTemporal = 'temporal' in burstCpu ? `, Temporal ${s2(burstCpu.temporal ?? NaN)} s${burstParts}` : '';
    line('burst CPU', `launcher ${s2(burstCpu.launcher ?? NaN)} s${burstTemporal}, ZooKeeper ${s2(burstCpu.zookeeper ?? NaN)} s (writing → ${M} fulfilled)`);

    // ---- 2. waiting: pool full, nothing returned -----------------------------------------
    await sleep(SETTLE_MS);
    const oldest = zuul.oldestWaiting();
    const reqWf = oldest ? `request/${oldest}` : undefined;
    const tc = t.temporal;
    const hist0 = tc && reqWf ? await historyLength(tc, reqWf) : null;
    const poolWfs = tc ? await workflowsStartingWith(tc, 'pool/') : null;
    const poolHist0 = new Map<string, number | null>();
    for (const id of poolWfs ?? []) poolHist0.set(id, tc ? await historyLength(tc, id) : null);
    const running = tc ? await runningWorkflows(tc) : NaN;
    const states0 = { requested: zuul.count('requested'), pending: zuul.count('pending'), fulfilled: zuul.count('fulfilled') };
    const watch0 = zuul.watchEvents;
    const pkts0 = await zkPacketsReceived(t.zkServer);
    const ops0 = counter.ops + zuul.watchEvents;
    const wait0 = snapshot(pids);
    await sleep(WAIT_S * 1000);
    const wait1 = snapshot(pids);
    const pkts1 = await zkPacketsReceived(t.zkServer);
    const ops1 = counter.ops + zuul.watchEvents;
    const watch1 = zuul.watchEvents;
    const hist1 = tc && reqWf ? await historyLength(tc, reqWf) : null;
    const held = zuul.count('fulfilled');
    console.log(`-- waiting ${WAIT_S} s (after ${SETTLE_MS / 1000} s to settle): ${held} fulfilled and held, ${N - held} waiting`);
    line('requests by state', `requested ${states0.requested}, pending ${states0.pending}, fulfilled ${states0.fulfilled} (start); requested ${zuul.count('requested')}, pending ${zuul.count('pending')}, fulfilled ${zuul.count('fulfilled')} (end)${held > M ? `  ** ${held} fulfilled > max-servers ${M} **` : ''}`);
    const waitCpu = cpuLines('waiting', wait0, wait1);
    const waitS = (wait1.at - wait0.at) / 1000;
    line('ZooKeeper requests', `${((pkts1 - pkts0) / waitS).toFixed(1)}/s from all clients, ${((ops1 - ops0) / waitS).toFixed(1)}/s of them the bench's (plus session pings)`);
    line('request writes seen', `${watch1 - watch0} data-watch events on request znodes in the window`);
    if (tc) line('running workflows', Number.isFinite(running) ? String(running) : 'n/a');
    const grow = (h0: number | null, h1: number | null) =>
      `${h0 ?? 'none'} events before, ${h1 ?? 'none'} after${h0 !== null && h1 !== null ? ` (+${h1 - h0} in ${WAIT_S} s)` : ''}`;
    if (!reqWf) line('oldest waiting request', 'none');
    else if (!tc) line('oldest waiting request', `${oldest}: no workflow (no Temporal: waits in ZooKeeper)`);
    else if (hist0 === null && hist1 === null) line('oldest waiting request', `${oldest}: no workflow (waits in ZooKeeper)`);
    else line('oldest waiting request', `${reqWf}: ${grow(hist0, hist1)}`);
    if (!tc || poolWfs === null) {
      // this server cannot list by WorkflowId prefix: skip quietly
    } else if (poolWfs.length === 0) line('pool/ workflows', 'none');
    else for (const id of poolWfs) line('pool/ workflow', `${id}: ${grow(poolHist0.get(id) ?? null, await historyLength(tc, id))}`);

    // ---- 3. drain: Zuul takes every fulfilled request ------------------------------------
    const atMaxBeforeDrain = counter.atMax;
    const maxBeforeDrain = counter.reset();
    const drain0 = snapshot(pids);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, DRAIN_S * 1000);
      const check = () => {
        if (zuul.finished >= N) {
          clearTimeout(timer);
          resolve();
        }
      };
      zuul.startDraining(check);
      check();
    });
    const drain1 = snapshot(pids);
    await zuul.settle();
    const drainS = (drain1.at - drain0.at) / 1000;
    const served = zuul.served;
    console.log(`-- drain (bench plays Zuul: lock, delete request, in-use, used, unlock)${zuul.finished < N ? `: stopped after ${DRAIN_S} s` : ''}`);
    line('requests served', `${served} of ${N}${zuul.refused ? `, ${zuul.refused} refused` : ''}${zuul.failed ? `, ${zuul.failed} failed` : ''} in ${drainS.toFixed(1)} s`);
    line('drain rate', `${(served / drainS).toFixed(2)} requests/s`);
    const order = fulfilOrder(zuul.ids, zuul.fulfilledAt, t0);
    if (order) {
      line('wait for a node', `p50 ${order.p50} s, max ${order.max} s (first request created -> fulfilled, all fulfilled ones)`);
      line('fulfil order', `FIFO rank correlation ${order.rho} (1 = first come first served); the first request submitted was ${order.firstAt}`);
    }
    const d = cpuLines('drain', drain0, drain1);
    const per = (x: number) => (served ? `${((x * 1000) / served).toFixed(0)} ms` : 'n/a');
    const perParts = t.temporalParts ? ` (${clusterParts.map((p) => `${p} ${per(d[partKey(p)] ?? NaN)}`).join(', ')})` : '';
    line('CPU per request', 'temporal' in d ? `launcher ${per(d.launcher ?? NaN)}, Temporal ${per(d.temporal ?? NaN)}${perParts}, both ${per(bothOf(d))}` : `launcher ${per(d.launcher ?? NaN)}`);
    line('most node znodes at once', `${counter.max} during the drain (${counter.atMax}), ${maxBeforeDrain} before it (${atMaxBeforeDrain}); limit ${M}, 100 ms samples`);
    if (Math.max(counter.max, maxBeforeDrain) > M) line('** OVER max-servers **', `more than ${M} node znodes of the pool existed at once`);
    const memory = memoryLines(t);
    line('launcher log', t.launcherLog);
    return {
      firstReadyS: readyMs / 1000,
      firstFulfilledS: fulfilledMs / 1000,
      burstCpu,
      waitCpu,
      waitS,
      drainCpu: d,
      drainS,
      served,
      order,
      ...memory,
      maxNodes: Math.max(counter.max, maxBeforeDrain),
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll();
  }
}

/** --compare-dev: the dev server's run and the cluster's, every process side by side. */
function printDevVsCluster(dev: BacklogResult, cl: BacklogResult): void {
  const rows: Row[] = [];
  const row = (what: string, a: number, b: number, digits: number, note = '') => rows.push([what, a, b, digits, note]);
  const get = (r: Record<string, number>, k: string) => r[k] ?? NaN;
  /** launcher + Temporal, each, the cluster's processes, ZooKeeper; f turns CPU seconds into the row's unit */
  const procRows = (title: string, a: Record<string, number>, b: Record<string, number>, f: (x: number, r: 'dev' | 'cl') => number, digits: number, note: string, zookeeper = true) => {
    row(title, f(get(a, 'launcher') + get(a, 'temporal'), 'dev'), f(get(b, 'launcher') + get(b, 'temporal'), 'cl'), digits, note);
    row('  launcher', f(get(a, 'launcher'), 'dev'), f(get(b, 'launcher'), 'cl'), digits);
    row('  Temporal', f(get(a, 'temporal'), 'dev'), f(get(b, 'temporal'), 'cl'), digits, 'dev server; cluster: the sum of the five below');
    for (const p of clusterParts) row(`    ${p}`, NaN, f(get(b, partKey(p)), 'cl'), digits);
    if (zookeeper) row('  ZooKeeper', f(get(a, 'zookeeper'), 'dev'), f(get(b, 'zookeeper'), 'cl'), digits, 'not in the total');
  };
  const same = (x: number) => x;
  row(`first ${M} nodes READY (s)`, dev.firstReadyS, cl.firstReadyS, 2);
  row(`first ${M} fulfilled (s)`, dev.firstFulfilledS, cl.firstFulfilledS, 2);
  procRows(`burst CPU (s)`, dev.burstCpu, cl.burstCpu, same, 2, `launcher + Temporal, writing -> ${M} fulfilled`);
  const core = (x: number, r: 'dev' | 'cl') => (x / (r === 'dev' ? dev.waitS : cl.waitS)) * 100;
  procRows(`waiting CPU (% of a core)`, dev.waitCpu, cl.waitCpu, core, 1, `launcher + Temporal, ${N - M} requests waiting`);
  row('drain rate (requests/s)', dev.served / dev.drainS, cl.served / cl.drainS, 2);
  const perReq = (x: number, r: 'dev' | 'cl') => ((r === 'dev' ? dev : cl).served ? (x * 1000) / (r === 'dev' ? dev : cl).served : NaN);
  procRows('drain CPU/request (ms)', dev.drainCpu, cl.drainCpu, perReq, 0, 'launcher + Temporal');
  row('wait for a node p50 (s)', Number(dev.order?.p50 ?? NaN), Number(cl.order?.p50 ?? NaN), 1);
  row('FIFO rank correlation', Number(dev.order?.rho ?? NaN), Number(cl.order?.rho ?? NaN), 2);
  procRows('peak RSS (MiB)', dev.peakRssMiB, cl.peakRssMiB, same, 0, 'launcher + Temporal, VmHWM (PostgreSQL: summed over its processes)', false);
  procRows('PSS at the end (MiB)', dev.pssMiB, cl.pssMiB, same, 0, 'launcher + Temporal', false);
  row('most node znodes at once', dev.maxNodes, cl.maxNodes, 0, `limit ${M}`);
  printTable(`dev server vs Temporal cluster ${temporalServerVersion()}, the same backlog of ${N} requests for ${M} servers, one after the other:`, ['dev server', 'cluster', 'cluster/dev'], rows, true);
}

async function main(): Promise<void> {
  if (!(N > M && M > 0)) throw new Error(`need --n > --m > 0 (got n=${N}, m=${M})`);
  if (NODEPOOL_VENV && (CLUSTER || COMPARE_DEV)) throw new Error('--nodepool runs Nodepool 11, which has no Temporal: not with --cluster or --compare-dev');
  if (CLUSTER && COMPARE_DEV) throw new Error('--compare-dev runs the dev server and the cluster both: leave --cluster out');
  // fail before the first run, not after it, when the cluster cannot be started
  if (CLUSTER || COMPARE_DEV) checkClusterBinaries();
  const options: TargetOptions = { label: LABEL, provider: PROVIDER, pool: POOL, maxServers: M, bootDelayMs: BOOT_MS };
  if (!COMPARE_DEV) {
    await runBacklog({ ...options, cluster: CLUSTER });
    return;
  }
  const dev = await runBacklog({ ...options, cluster: false });
  console.log('');
  const cl = await runBacklog({ ...options, cluster: true });
  console.log('');
  printDevVsCluster(dev, cl);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
