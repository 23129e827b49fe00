// What bench/request-storm.ts prints: one block per storm (the lines before "Temporal server CPU:"
// are the bench's original output, kept word for word) and, with --compare-nodepool, a table of
// both storms side by side with ours/Nodepool ratios.
import { type StormResult } from './run';
import { type StormOptions } from './targets';

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (seconds: number, n: number) => (seconds * 1000) / n;
const fix = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '-');
const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

export function describe(o: StormOptions): string {
  const boot = o.bootDelayMs === 0 ? 'instant-boot' : `${o.bootDelayMs} ms boot`;
  return `${o.n} one-node requests, ${boot} simulator, host-key-checking off${o.privateNetwork ? ', private network only (no floating IP)' : ''}`;
}

export function printStorm(r: StormResult, o: StormOptions): void {
  const n = r.n;
  const hasTemporal = Number.isFinite(r.stormCpu.temporal);
  console.log(`request storm: ${describe(o)}${r.what === 'ours' ? '' : ` — ${r.what}`}`);
  console.log(`makespan:            ${(r.makespanMs / 1000).toFixed(2)} s (${(n / (r.makespanMs / 1000)).toFixed(1)} requests/s)`);
  console.log(`overhead p50:        ${pct(r.overheads, 50)} ms   (created -> fulfilled, ZooKeeper ctime/mtime)`);
  console.log(`overhead p99:        ${pct(r.overheads, 99)} ms`);
  console.log(`overhead max:        ${r.overheads[r.overheads.length - 1]} ms`);
  console.log(`launcher CPU:        ${r.stormCpu.launcher.toFixed(2)} s during the storm (${r.launcherCpuTotal.toFixed(2)} s since start)`);
  console.log(`launcher CPU/request: ${ms(r.stormCpu.launcher, n).toFixed(0)} ms`);
  console.log(`launcher peak RSS:   ${fix(r.peakRssMiB.launcher)} MiB`);
  if (hasTemporal) {
    console.log(`Temporal server CPU: ${r.stormCpu.temporal.toFixed(2)} s during the storm (same machine)`);
    console.log(`Temporal server CPU/request: ${ms(r.stormCpu.temporal, n).toFixed(0)} ms`);
    console.log(`launcher+Temporal CPU/request: ${ms(r.stormCpu.launcher + r.stormCpu.temporal, n).toFixed(0)} ms`);
    console.log(`Temporal server peak RSS: ${fix(r.peakRssMiB.temporal)} MiB`);
    console.log(`launcher+Temporal peak RSS: ${fix(r.peakRssMiB.launcher + r.peakRssMiB.temporal)} MiB`);
  }
  console.log(`ZooKeeper CPU/request: ${fix(ms(r.stormCpu.zookeeper, n))} ms`);
  console.log(`returned:            ${n} nodes marked used; all nodes, servers and floating IPs gone ${(r.returnMs / 1000).toFixed(2)} s later`);
  const both = r.allCpu.launcher + (hasTemporal ? r.allCpu.temporal : 0);
  console.log(
    `CPU/node with deletes: launcher ${ms(r.allCpu.launcher, n).toFixed(0)} ms` +
      (hasTemporal ? `, Temporal server ${ms(r.allCpu.temporal, n).toFixed(0)} ms, together ${ms(both, n).toFixed(0)} ms` : '') +
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

export function printComparison(ours: StormResult, np: StormResult, o: StormOptions): void {
  const n = ours.n;
  const rows: Array<[string, number, number, number, string]> = [];
  const row = (what: string, a: number, b: number, digits: number, note = '') => rows.push([what, a, b, digits, note]);
  row('makespan (s)', ours.makespanMs / 1000, np.makespanMs / 1000, 2);
  row('overhead p50 (ms)', pct(ours.overheads, 50), pct(np.overheads, 50), 0);
  row('overhead p99 (ms)', pct(ours.overheads, 99), pct(np.overheads, 99), 0);
  row('CPU/request, storm (ms)', ms(ours.stormCpu.launcher + ours.stormCpu.temporal, n), ms(np.stormCpu.launcher, np.n), 0, 'ours: launcher + Temporal server');
  row('  launcher', ms(ours.stormCpu.launcher, n), ms(np.stormCpu.launcher, np.n), 0);
  row('  Temporal server', ms(ours.stormCpu.temporal, n), NaN, 0);
  row('CPU/node, with deletes (ms)', ms(ours.allCpu.launcher + ours.allCpu.temporal, n), ms(np.allCpu.launcher, np.n), 0, 'ours: launcher + Temporal server');
  row('ZooKeeper CPU/node (ms)', ms(ours.allCpu.zookeeper, n), ms(np.allCpu.zookeeper, np.n), 0, 'with deletes; Nodepool: TLS port');
  row('peak RSS (MiB)', ours.peakRssMiB.launcher + ours.peakRssMiB.temporal, np.peakRssMiB.launcher, 0, 'ours: launcher + Temporal server');
  row('  launcher', ours.peakRssMiB.launcher, np.peakRssMiB.launcher, 0);
  row('  Temporal server', ours.peakRssMiB.temporal, NaN, 0);
  row('returned -> all gone (s)', ours.returnMs / 1000, np.returnMs / 1000, 2);
  row('API calls/node', sum(ours.calls) / n, sum(np.calls) / np.n, 2, 'storm + deletes');
  const routes = [...new Set([...Object.keys(ours.calls), ...Object.keys(np.calls)])].sort(
    (a, b) => (ours.calls[b] ?? 0) + (np.calls[b] ?? 0) - (ours.calls[a] ?? 0) - (np.calls[a] ?? 0) || a.localeCompare(b),
  );
  for (const r of routes) row(`  ${r}`, (ours.calls[r] ?? 0) / n, (np.calls[r] ?? 0) / np.n, 2);
  const w = Math.max(...rows.map((r) => r[0].length)) + 2;
  console.log(`ours vs ${np.what}, the same storm of ${n} requests, one after the other:`);
  console.log(`${''.padEnd(w)}${'ours'.padStart(10)}${'Nodepool'.padStart(10)}${'ours/NP'.padStart(10)}`);
  for (const [what, a, b, digits, note] of rows) {
    const ratio = Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? (a / b).toFixed(2) : '-';
    console.log(`${what.padEnd(w)}${fix(a, digits).padStart(10)}${fix(b, digits).padStart(10)}${ratio.padStart(10)}${note ? `   ${note}` : ''}`);
  }
  if (!o.privateNetwork) {
    console.log('note: Nodepool gives every server a floating IP (auto-floating-ip); ours does not implement it yet: --private-network compares like with like');
  }
}
