// Request storm: N one-node requests (default 200) written at once into ZooKeeper the way Zuul
// writes them, served by a real nodepool-launcher process on the OpenStack simulator (instant
// boot unless --boot-ms); then Zuul returns every node and the launcher deletes them all.
//
//   npx tsx bench/request-storm.ts [N] [--n N] [--boot-ms MS] [--private-network]
//                                  [--compare-nodepool <venv>]
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
// (Nodepool cannot do without; test/harness/stack.ts starts a plain one).
import { printComparison, printStorm } from './storm/report';
import { runStorm, type StormResult } from './storm/run';
import { startNodepool11, startOurs, type StormOptions, type StormTarget } from './storm/targets';

function parseArgs(argv: string[]): StormOptions & { compareNodepool?: string } {
  const o: StormOptions & { compareNodepool?: string } = { n: 200, bootDelayMs: 0, privateNetwork: false, cpuProfDir: process.env.STORM_CPU_PROF || undefined };
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
    else if (a === '--compare-nodepool') {
      o.compareNodepool = argv[++i];
      if (!o.compareNodepool) throw new Error('--compare-nodepool wants the path of a Python venv with nodepool 11');
    } else if (/^\d+$/.test(a)) o.n = Number(a);
    else throw new Error(`unknown argument ${a} (usage: request-storm.ts [--n N] [--boot-ms MS] [--private-network] [--compare-nodepool <venv>])`);
  }
  if (o.n < 1) throw new Error('--n must be at least 1');
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
