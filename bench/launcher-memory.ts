// What a launcher needs in memory per node: N one-node requests are fulfilled and their N nodes
// kept (READY, allocated, each with its live node workflow waiting for Zuul), on an instant-boot
// simulator. Prints the launcher's resident set (VmRSS) and peak (VmHWM) when idle after start,
// and with the N nodes, and the difference per 1,000 nodes; the same for the Temporal server.
//   [NODEPOOL_LAUNCHER_FROM=dist] npx tsx bench/launcher-memory.ts [--n 1000] [--cache K] [--node-options '--max-old-space-size=M']
// --cache: the launcher's workflow cache size (NODEPOOL_WORKFLOW_CACHE; default as the launcher's);
// NODEPOOL_LAUNCHER_FROM=dist measures the compiled launcher (`npm run build` first), as installed.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startStack } from '../test/harness/stack';
import { ZuulStandIn } from './backlog/zuul';
import { LABEL, stormConfig } from './storm/targets';

const { values: opts } = parseArgs({ options: { n: { type: 'string', default: '1000' }, cache: { type: 'string' }, 'node-options': { type: 'string' } } });
const N = Number(opts.n);

function memMiB(pid: number | undefined): { rss: number; peak: number } {
  if (!pid) return { rss: NaN, peak: NaN };
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f0 = (x: number) => x.toFixed(0);

async function main(): Promise<void> {
  const stack = await startStack((cloud) => stormConfig(cloud, { n: N, bootDelayMs: 0, privateNetwork: false }), { bootDelayMs: 0 });
  try {
    await stack.sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
    await stack.sim.admin.setQuotas({ instances: -1, cores: -1, ram: -1 });
    const env: Record<string, string> = {};
    if (opts.cache) env.NODEPOOL_WORKFLOW_CACHE = opts.cache;
    if (opts['node-options']) env.NODE_OPTIONS = opts['node-options'];
    await stack.startLauncher(env);
    const launcher = stack.launcherPid;
    const temporal = stack.temporal.pid;
    await sleep(5000);
    const idle = { launcher: memMiB(launcher), temporal: memMiB(temporal) };

    const zuul = new ZuulStandIn(stack.zk);
    for (let i = 0; i < N; i++) await zuul.submit(LABEL);
    await zuul.watchAll();
    const t0 = Date.now();
    while (zuul.count('fulfilled') < N) {
      if (Date.now() - t0 > 20 * 60_000) throw new Error(`only ${zuul.count('fulfilled')}/${N} fulfilled`);
      await sleep(500);
    }
    await sleep(10_000);
    const held = { launcher: memMiB(launcher), temporal: memMiB(temporal) };

    console.log(`launcher memory: ${N} one-node requests fulfilled, their nodes kept READY (workflow cache ${opts.cache ?? 'default'})`);
    for (const [what, a, b] of [
      ['launcher', idle.launcher, held.launcher],
      ['Temporal server', idle.temporal, held.temporal],
    ] as const) {
      console.log(`${`${what}:`.padEnd(17)}idle RSS ${f0(a.rss)} MiB (peak ${f0(a.peak)}); with ${N} nodes RSS ${f0(b.rss)} MiB (peak ${f0(b.peak)}); ${f0(((b.rss - a.rss) / N) * 1000)} MiB per 1,000 nodes`);
    }
    console.log(`fulfilled in:    ${((Date.now() - t0) / 1000 - 10).toFixed(1)} s`);
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
