// Request storm: N one-node requests (default 200) written at once into ZooKeeper the way Zuul
// writes them, served by a real nodepool-launcher process on the OpenStack simulator (instant
// boot unless --boot-ms); then Zuul returns every node and the launcher deletes them all.
//
//   npx tsx bench/request-storm.ts [N] [--n N] [--boot-ms MS] [--private-network]
//                                  [--cluster | --compare-dev] [--compare-nodepool <venv>]
//
//   --n N                 requests in the storm (a bare number works too); default 200
//   --boot-ms MS          simulator BUILD -> ACTIVE delay; default 0 (issue 12's reference run: 1000)
//   --private-network     pool `networks: [private]` and `auto-floating-ip: false`, clouds.yaml
//                         `private: true`: servers get an address on the simulator's private network
//                         only (no floating IP) and the launchers connect to it. Without it both
//                         launchers attach a floating IP to every server (auto-floating-ip, default
//                         true; the simulator's floating-IP quota is 50 unless raised).
//   --compare-nodepool V  afterwards the same storm against Nodepool 11 (`V/bin/nodepool-launcher`,
//                         e.g. /tmp/np11-venv: pip install nodepool==11.0.0 cachetools) on its own
//                         fresh TLS ZooKeeper and simulator, then a side-by-side table
//   --cluster             our launcher on a real Temporal cluster instead of the dev server
//                         (tools/servers/temporal-cluster.ts: PostgreSQL and the frontend, history,
//                         matching and worker services as separate processes, server version from
//                         tools/temporal-server.version; built by tools/setup-temporal-cluster).
//                         The Temporal lines then say "Temporal cluster" and give the sum of its
//                         processes, and a table gives each one's CPU, peak RSS and PSS.
//   --compare-dev         the same storm twice, on the dev server and then on the cluster, each on
//                         fresh servers; both blocks, then a side-by-side table (makespan, overhead,
//                         CPU per request of every process and in total, peak RSS and PSS).
//                         Not together with --compare-nodepool.
//   STORM_HISTORY=1       also print one request's and one node's workflow history with timings
//   STORM_CPU_PROF=<dir>  V8 CPU profiles of our launcher (main thread and workflow threads)
//
// Each storm (bench/storm/run.ts): 5 warm-up requests are fulfilled, returned and deleted first;
// then the N requests, each followed with a ZooKeeper data watch; then Zuul (bench/backlog/zuul.ts)
// returns every node: lock, delete the request, in-use, used, unlock; the bench waits until no node
// znode, server or floating IP is left. Lines printed per storm:
//   request storm:        what ran (N, boot delay, network; "— Nodepool 11 (venv)" for Nodepool)
//   makespan:             first request created -> last one fulfilled (ZooKeeper ctime/mtime)
//   overhead p50/p99/max: per request, created -> fulfilled (ctime -> mtime of the request znode)
//   launcher CPU:         launcher process utime+stime from the first storm request written to the
//                         last seen fulfilled (and since the launcher started)
//   launcher CPU/request: the same divided by N
//   launcher peak RSS:    VmHWM of the launcher process (/proc/<pid>/status), warm-up included
//   Temporal server CPU:  the Temporal dev server's CPU over the same window (same machine),
//   Temporal server CPU/request, launcher+Temporal CPU/request: ... per request, and the two summed
//   Temporal server peak RSS, launcher+Temporal peak RSS: VmHWM of the dev server, and the sum
//                         (these five lines only for ours: Nodepool has no Temporal)
//   with --cluster the same five lines say "Temporal cluster" and give the sums over the cluster's
//                         processes: frontend, history, matching, worker, and PostgreSQL (the
//                         postmaster and its backends; its CPU includes the backends that exited,
//                         through the postmaster's cutime/cstime). Then, per process: CPU over the
//                         storm, per request, per node with deletes, peak RSS (VmHWM; PostgreSQL's
//                         is summed over its processes, so shared buffers count once per process)
//                         and PSS at the end. Pids are read from the cluster at every reading (a
//                         restarted service has a new one; none is restarted here).
//   ZooKeeper CPU/request: the ZooKeeper server's CPU over the storm window, per request
//   returned:             how long after Zuul started returning nodes the last node znode, server
//                         and floating IP was gone
//   CPU/node with deletes: CPU per node from the first storm request to the last node gone (the
//                         storm, the returns and the deletes)
//   cloud API calls:      simulator requests per node over the same window (its own per-route
//                         counters, `_admin` not counted), then one row per route: per node, total,
//                         method and URL template (ids as {id})
// With --compare-nodepool: ours runs first (and is stopped), then Nodepool; both blocks are printed,
// then a table: ours, Nodepool, ours/Nodepool for makespan, overhead, CPU (ours = launcher +
// Temporal server, Nodepool = its launcher), ZooKeeper CPU, peak RSS (the same sums), time to
// delete, API calls per node in all and per route. Our ZooKeeper is plain, Nodepool's is TLS
// (Nodepool cannot do without; test/harness/stack.ts starts a plain one). With --cluster too,
// ours runs on the cluster.
// With --compare-dev: the dev server's storm runs first (and is stopped), then the cluster's; both
// blocks are printed, then a table: dev server, cluster, cluster/dev.
import { printComparison, printDevVsCluster, printStorm } from './storm/report';
import { runStorm, type StormResult } from './storm/run';
import { checkClusterBinaries, startNodepool11, startOurs, type StormOptions, type StormTarget } from './storm/targets';

type Args = StormOptions & { compareNodepool?: string; compareDev?: boolean };

function parseArgs(argv: string[]): Args {
  const o: Args = { n: 200, bootDelayMs: 0, privateNetwork: false, cpuProfDir: process.env.STORM_CPU_PROF || undefined };
  const number = (flag: string, v: string | undefined): number => {
    const x = Number(v);
    if (v === undefined || !Number.isInteger(x) || x < 0) throw new Error(`${flag} wants a whole number, not ${v}`);
    return x;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--n') o.n = number(a, argv[++i]);
    else if (a === '--boot-ms') o.bootDelayMs = number(a, argv[++i]);
    else if (a === '--private-network') o.privateNetwork = true;
    else if (a === '--cluster') o.cluster = true;
    else if (a === '--compare-dev') o.compareDev = true;
    else if (a === '--compare-nodepool') {
      o.compareNodepool = argv[++i];
      if (!o.compareNodepool) throw new Error('--compare-nodepool wants the path of a Python venv with nodepool 11');
    } else if (/^\d+$/.test(a)) o.n = Number(a);
    else throw new Error(`unknown argument ${a} (usage: request-storm.ts [--n N] [--boot-ms MS] [--private-network] [--cluster | --compare-dev] [--compare-nodepool <venv>])`);
  }
  if (o.n < 1) throw new Error('--n must be at least 1');
  if (o.compareDev && o.compareNodepool) throw new Error('--compare-dev and --compare-nodepool: one comparison at a time');
  if (o.compareDev && o.cluster) throw new Error('--compare-dev runs the dev server and the cluster both: leave --cluster out');
  return o;
}

async function storm(start: () => Promise<StormTarget>, o: StormOptions): Promise<StormResult> {
  const target = await start();
  try {
    return await runStorm(target, o.n, { history: !!process.env.STORM_HISTORY });
  } finally {
    await target.stop();
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  // fail before the first storm, not after it, when the cluster cannot be started
  if (o.cluster || o.compareDev) checkClusterBinaries();
  if (o.compareDev) {
    const dev = await storm(() => startOurs({ ...o, cluster: false }), o);
    printStorm(dev, o);
    console.log('');
    const cl = await storm(() => startOurs({ ...o, cluster: true }), o);
    printStorm(cl, o);
    console.log('');
    printDevVsCluster(dev, cl);
    return;
  }
  const ours = await storm(() => startOurs(o), o);
  printStorm(ours, o);
  if (!o.compareNodepool) return;
  const venv = o.compareNodepool;
  const np = await storm(() => startNodepool11(venv, o), o);
  console.log('');
  printStorm(np, o);
  console.log('');
  printComparison(ours, np, o);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
