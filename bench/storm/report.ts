// What bench/request-storm.ts prints: one block per storm (the lines before "Temporal server CPU:"
// are the bench's original output, kept word for word; on a cluster the Temporal lines say
// "Temporal cluster" and a table of its processes follows) and, with --compare-nodepool or
// --compare-dev, a table of both storms side by side with their ratios.
import { clusterParts } from '../backlog/measure';
import { type StormResult } from './run';
import { temporalLabel, type StormOptions } from './targets';

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (seconds: number, n: number) => (seconds * 1000) / n;
const fix = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '-');
const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

export function describe(o: StormOptions): string {
  const boot = o.bootDelayMs === 0 ? 'instant-boot' : `${o.bootDelayMs} ms boot`;
  return `${o.n} one-node requests, ${boot} simulator, host-key-checking off${o.privateNetwork ? ', private network only (no floating IP)' : ''}`;
}

/** "Temporal server" (the dev server) or "Temporal cluster" (its processes summed). */
const temporalName = (r: StormResult) => (r.temporalKind === 'cluster' ? 'Temporal cluster' : 'Temporal server');

export function printStorm(r: StormResult, o: StormOptions): void {
  const n = r.n;
  const hasTemporal = Number.isFinite(r.stormCpu.temporal);
  const T = temporalName(r);
  const on = r.temporalKind === 'cluster' ? ` — ours on a ${temporalLabel('cluster')}` : '';
  console.log(`request storm: ${describe(o)}${r.what === 'ours' ? on : ` — ${r.what}`}`);
  console.log(`makespan:            ${(r.makespanMs / 1000).toFixed(2)} s (${(n / (r.makespanMs / 1000)).toFixed(1)} requests/s)`);
  console.log(`overhead p50:        ${pct(r.overheads, 50)} ms   (created -> fulfilled, ZooKeeper ctime/mtime)`);
  console.log(`overhead p99:        ${pct(r.overheads, 99)} ms`);
  console.log(`overhead max:        ${r.overheads[r.overheads.length - 1]} ms`);
  console.log(`launcher CPU:        ${r.stormCpu.launcher.toFixed(2)} s during the storm (${r.launcherCpuTotal.toFixed(2)} s since start)`);
  console.log(`launcher CPU/request: ${ms(r.stormCpu.launcher, n).toFixed(0)} ms`);
  console.log(`launcher peak RSS:   ${fix(r.peakRssMiB.launcher)} MiB`);
  if (hasTemporal) {
    const sum = r.parts ? `; the sum of its ${clusterParts.length} processes below` : '';
    console.log(`${T} CPU: ${r.stormCpu.temporal.toFixed(2)} s during the storm (same machine${sum})`);
    console.log(`${T} CPU/request: ${ms(r.stormCpu.temporal, n).toFixed(0)} ms`);
    console.log(`launcher+Temporal CPU/request: ${ms(r.stormCpu.launcher + r.stormCpu.temporal, n).toFixed(0)} ms`);
    console.log(`${T} peak RSS: ${fix(r.peakRssMiB.temporal)} MiB`);
    console.log(`launcher+Temporal peak RSS: ${fix(r.peakRssMiB.launcher + r.peakRssMiB.temporal)} MiB`);
    if (r.parts) printParts(r);
  }
  console.log(`ZooKeeper CPU/request: ${fix(ms(r.stormCpu.zookeeper, n))} ms`);
  console.log(`returned:            ${n} nodes marked used; all nodes, servers and floating IPs gone ${(r.returnMs / 1000).toFixed(2)} s later`);
  const both = r.allCpu.launcher + (hasTemporal ? r.allCpu.temporal : 0);
  console.log(
    `CPU/node with deletes: launcher ${ms(r.allCpu.launcher, n).toFixed(0)} ms` +
      (hasTemporal ? `, ${T} ${ms(r.allCpu.temporal, n).toFixed(0)} ms, together ${ms(both, n).toFixed(0)} ms` : '') +
      `, ZooKeeper ${fix(ms(r.allCpu.zookeeper, n))} ms (storm, returns and deletes)`,
  );
  const total = sum(r.calls);
  console.log(`cloud API calls:     ${(total / n).toFixed(2)} per node (${total} over the storm and the deletes of its nodes)`);
  console.log(`  per node    calls  route`);
  for (const [route, k] of Object.entries(r.calls).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
    console.log(`  ${(k / n).toFixed(2).padStart(8)} ${String(k).padStart(8)}  ${route}`);
  }
  for (const line of r.history) console.log(line);
}

/** A cluster's processes: CPU over the storm (and with the deletes), peak RSS and PSS at the end. */
function printParts(r: StormResult): void {
  if (!r.parts) return;
  const n = r.n;
  const w = 24;
  console.log(`Temporal cluster by process (CPU as above; VmHWM and PSS read at the end):`);
  console.log(`  ${'process'.padEnd(w)}${'storm CPU'.padStart(11)}${'CPU/request'.padStart(13)}${'with deletes'.padStart(14)}${'peak RSS'.padStart(10)}${'PSS'.padStart(9)}`);
  const line = (name: string, storm: number, all: number, rss: number, pss: number) =>
    console.log(
      `  ${name.padEnd(w)}${`${fix(storm, 2)} s`.padStart(11)}${`${fix(ms(storm, n))} ms`.padStart(13)}${`${fix(ms(all, n))} ms`.padStart(14)}${`${fix(rss)} MiB`.padStart(10)}${`${fix(pss)} MiB`.padStart(9)}`,
    );
  for (const p of clusterParts) {
    const x = r.parts[p];
    line(x.processes > 1 ? `${p} (${x.processes} procs)` : p, x.stormCpu, x.allCpu, x.peakRssMiB, x.pssMiB);
  }
  line('cluster', r.stormCpu.temporal, r.allCpu.temporal, r.peakRssMiB.temporal, r.pssMiB.temporal);
  console.log(`  (PostgreSQL's peak RSS adds up its processes' VmHWM, so its shared buffers count once per process; PSS shares them out)`);
}

export type Row = [what: string, a: number, b: number, digits: number, note: string];

/** Rows of two columns and their ratio: first/second, or second/first with `secondOverFirst`. */
export function printTable(heading: string, columns: [string, string, string], rows: Row[], secondOverFirst = false): void {
  const w = Math.max(...rows.map((r) => r[0].length)) + 2;
  const cw = Math.max(10, ...columns.map((c) => c.length + 2));
  console.log(heading);
  console.log(`${''.padEnd(w)}${columns.map((c) => c.padStart(cw)).join('')}`);
  for (const [what, a, b, digits, note] of rows) {
    const [num, den] = secondOverFirst ? [b, a] : [a, b];
    const ratio = Number.isFinite(num) && Number.isFinite(den) && den !== 0 ? (num / den).toFixed(2) : '-';
    console.log(`${what.padEnd(w)}${fix(a, digits).padStart(cw)}${fix(b, digits).padStart(cw)}${ratio.padStart(cw)}${note ? `   ${note}` : ''}`);
  }
}

/** --compare-dev: the same storm on the dev server and on the cluster, every process's share side by side. */
export function printDevVsCluster(dev: StormResult, cl: StormResult): void {
  const rows: Row[] = [];
  const row = (what: string, a: number, b: number, digits: number, note = '') => rows.push([what, a, b, digits, note]);
  const part = (r: StormResult, p: (typeof clusterParts)[number], f: (x: NonNullable<StormResult['parts']>[typeof p]) => number) => (r.parts ? f(r.parts[p]) : NaN);
  row('makespan (s)', dev.makespanMs / 1000, cl.makespanMs / 1000, 2);
  row('overhead p50 (ms)', pct(dev.overheads, 50), pct(cl.overheads, 50), 0);
  row('overhead p99 (ms)', pct(dev.overheads, 99), pct(cl.overheads, 99), 0);
  const cpuRows = (title: string, key: 'stormCpu' | 'allCpu', note: string) => {
    row(title, ms(dev[key].launcher + dev[key].temporal, dev.n), ms(cl[key].launcher + cl[key].temporal, cl.n), 0, note);
    row('  launcher', ms(dev[key].launcher, dev.n), ms(cl[key].launcher, cl.n), 0);
    row('  Temporal', ms(dev[key].temporal, dev.n), ms(cl[key].temporal, cl.n), 0, 'dev server; cluster: the sum of the five below');
    for (const p of clusterParts) row(`    ${p}`, NaN, ms(part(cl, p, (x) => x[key]), cl.n), 0);
    row('  ZooKeeper', ms(dev[key].zookeeper, dev.n), ms(cl[key].zookeeper, cl.n), 0, 'not in the total');
  };
  cpuRows('CPU/request, storm (ms)', 'stormCpu', 'launcher + Temporal');
  cpuRows('CPU/node, with deletes (ms)', 'allCpu', 'launcher + Temporal');
  const memRows = (title: string, key: 'peakRssMiB' | 'pssMiB', f: (x: NonNullable<StormResult['parts']>['frontend']) => number, note: string) => {
    row(title, dev[key].launcher + dev[key].temporal, cl[key].launcher + cl[key].temporal, 0, note);
    row('  launcher', dev[key].launcher, cl[key].launcher, 0);
    row('  Temporal', dev[key].temporal, cl[key].temporal, 0, 'cluster: the sum of the five below');
    for (const p of clusterParts) row(`    ${p}`, NaN, part(cl, p, f), 0, p === 'PostgreSQL' && key === 'peakRssMiB' ? 'shared buffers counted once per process' : '');
  };
  memRows('peak RSS (MiB)', 'peakRssMiB', (x) => x.peakRssMiB, 'launcher + Temporal, VmHWM');
  memRows('PSS at the end (MiB)', 'pssMiB', (x) => x.pssMiB, 'launcher + Temporal');
  row('returned -> all gone (s)', dev.returnMs / 1000, cl.returnMs / 1000, 2);
  row('API calls/node', sum(dev.calls) / dev.n, sum(cl.calls) / cl.n, 2, 'storm + deletes');
  printTable(`dev server vs ${temporalLabel('cluster')}, the same storm of ${dev.n} requests, one after the other:`, ['dev server', 'cluster', 'cluster/dev'], rows, true);
}

export function printComparison(ours: StormResult, np: StormResult, o: StormOptions): void {
  const T = temporalName(ours);
  const n = ours.n;
  const rows: Row[] = [];
  const row = (what: string, a: number, b: number, digits: number, note = '') => rows.push([what, a, b, digits, note]);
  row('makespan (s)', ours.makespanMs / 1000, np.makespanMs / 1000, 2);
  row('overhead p50 (ms)', pct(ours.overheads, 50), pct(np.overheads, 50), 0);
  row('overhead p99 (ms)', pct(ours.overheads, 99), pct(np.overheads, 99), 0);
  row('CPU/request, storm (ms)', ms(ours.stormCpu.launcher + ours.stormCpu.temporal, n), ms(np.stormCpu.launcher, np.n), 0, `ours: launcher + ${T}`);
  row('  launcher', ms(ours.stormCpu.launcher, n), ms(np.stormCpu.launcher, np.n), 0);
  row(`  ${T}`, ms(ours.stormCpu.temporal, n), NaN, 0);
  row('CPU/node, with deletes (ms)', ms(ours.allCpu.launcher + ours.allCpu.temporal, n), ms(np.allCpu.launcher, np.n), 0, `ours: launcher + ${T}`);
  row('ZooKeeper CPU/node (ms)', ms(ours.allCpu.zookeeper, n), ms(np.allCpu.zookeeper, np.n), 0, 'with deletes; Nodepool: TLS port');
  row('peak RSS (MiB)', ours.peakRssMiB.launcher + ours.peakRssMiB.temporal, np.peakRssMiB.launcher, 0, `ours: launcher + ${T}`);
  row('  launcher', ours.peakRssMiB.launcher, np.peakRssMiB.launcher, 0);
  row(`  ${T}`, ours.peakRssMiB.temporal, NaN, 0);
  row('returned -> all gone (s)', ours.returnMs / 1000, np.returnMs / 1000, 2);
  row('API calls/node', sum(ours.calls) / n, sum(np.calls) / np.n, 2, 'storm + deletes');
  const routes = [...new Set([...Object.keys(ours.calls), ...Object.keys(np.calls)])].sort(
    (a, b) => (ours.calls[b] ?? 0) + (np.calls[b] ?? 0) - (ours.calls[a] ?? 0) - (np.calls[a] ?? 0) || a.localeCompare(b),
  );
  for (const r of routes) row(`  ${r}`, (ours.calls[r] ?? 0) / n, (np.calls[r] ?? 0) / np.n, 2);
  printTable(`ours vs ${np.what}, the same storm of ${n} requests, one after the other:`, ['ours', 'Nodepool', 'ours/NP'], rows);
  if (!o.privateNetwork) {
    console.log('note: Nodepool gives every server a floating IP (auto-floating-ip); ours does not implement it yet: --private-network compares like with like');
  }
}
