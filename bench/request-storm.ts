// Request storm: N one-node requests (default 200) written straight into ZooKeeper the way Zuul
// writes them, served by a real nodepool-launcher process on an instant-boot simulator. Prints
// the makespan, the per-request overhead (request created → fulfilled, from ZooKeeper's own
// ctime/mtime) at p50/p99, and the launcher's CPU seconds and peak RSS.
//   npx tsx bench/request-storm.ts [N]
import { readFileSync } from 'node:fs';
import { startStack } from '../test/harness/stack';
import { encodeRequest, newRequest, decodeRequest } from '../lib/zk/codec-request';
import { requestPath, requestPrefix, basename } from '../lib/zk/paths';

const N = Number(process.argv[2] ?? 200);

function procStats(pid: number): { cpuSeconds: number; peakRssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { cpuSeconds: ticks / 100, peakRssMiB: Number(hwm ?? 0) / 1024 };
}

const eventMs = (e?: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }) =>
  Number(e?.eventTime?.seconds ?? 0) * 1000 + Math.floor((e?.eventTime?.nanos ?? 0) / 1e6);

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function main(): Promise<void> {
  const stack = await startStack((cloud) => ({
    labels: [{ name: 'storm' }],
    providers: [
      {
        name: 'sim',
        cloud,
        rate: 0,
        'cloud-images': [{ name: 'noble', 'image-name': 'ubuntu-noble' }],
        pools: [{ name: 'main', 'max-servers': N + 50, 'host-key-checking': false, labels: [{ name: 'storm', 'cloud-image': 'noble', 'flavor-name': 'm1.tiny' }] }],
      },
    ],
  }));
  try {
    await stack.sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
    await stack.sim.admin.setQuotas({ instances: -1, cores: -1, ram: -1 });
    // STORM_CPU_PROF=<dir>: V8 CPU profiles of the launcher (main thread and workflow threads)
    await stack.startLauncher({}, process.env.STORM_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.STORM_CPU_PROF}`] : []);
    const zk = stack.zk;
    const submit = async (): Promise<string> => {
      const req = newRequest({ node_types: ['storm'], requestor: 'bench', created_time: Date.now() / 1000, event_id: null, tenant_name: null });
      return basename(await zk.create(requestPrefix(100), encodeRequest(req), { sequential: true, makepath: true }));
    };
    const waitAll = async (ids: string[]): Promise<Map<string, { ctime: number; mtime: number }>> => {
      const done = new Map<string, { ctime: number; mtime: number }>();
      const deadline = Date.now() + 15 * 60_000;
      while (done.size < ids.length) {
        if (Date.now() > deadline) throw new Error(`only ${done.size}/${ids.length} fulfilled`);
        for (const id of ids) {
          if (done.has(id)) continue;
          const got = await zk.getIfExists(requestPath(id));
          if (got && decodeRequest(id, got.data).state === 'fulfilled') done.set(id, { ctime: got.stat.ctime, mtime: got.stat.mtime });
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      return done;
    };
    // warm up: the first requests pay for bundling caches and connections
    await waitAll(await Promise.all(Array.from({ length: 5 }, submit)));
    const pid = stack.launcherPid as number;
    const before = procStats(pid);
    const temporalPid = stack.temporal.pid;
    const temporalBefore = temporalPid ? procStats(temporalPid).cpuSeconds : 0;
    const ids: string[] = [];
    for (let i = 0; i < N; i++) ids.push(await submit());
    const done = await waitAll(ids);
    const readRequestNodes = async (id: string) => {
      const got = await zk.getIfExists(requestPath(id));
      return got ? decodeRequest(id, got.data).nodes : [];
    };
    const after = procStats(pid);
    const temporalCpu = temporalPid ? procStats(temporalPid).cpuSeconds - temporalBefore : NaN;
    const overheads = [...done.values()].map((d) => d.mtime - d.ctime).sort((a, b) => a - b);
    const makespan = Math.max(...[...done.values()].map((d) => d.mtime)) - Math.min(...[...done.values()].map((d) => d.ctime));
    console.log(`request storm: ${N} one-node requests, instant-boot simulator, host-key-checking off`);
    console.log(`makespan:            ${(makespan / 1000).toFixed(2)} s (${(N / (makespan / 1000)).toFixed(1)} requests/s)`);
    console.log(`overhead p50:        ${pct(overheads, 50)} ms   (created -> fulfilled, ZooKeeper ctime/mtime)`);
    console.log(`overhead p99:        ${pct(overheads, 99)} ms`);
    console.log(`overhead max:        ${overheads[overheads.length - 1]} ms`);
    console.log(`launcher CPU:        ${(after.cpuSeconds - before.cpuSeconds).toFixed(2)} s during the storm (${after.cpuSeconds.toFixed(2)} s since start)`);
    console.log(`launcher CPU/request: ${(((after.cpuSeconds - before.cpuSeconds) * 1000) / N).toFixed(0)} ms`);
    console.log(`launcher peak RSS:   ${after.peakRssMiB.toFixed(0)} MiB`);
    console.log(`Temporal server CPU: ${temporalCpu.toFixed(2)} s during the storm (same machine)`);
    if (process.env.STORM_HISTORY) {
      // where the time goes: one request's and one node's workflow history, event by event
      const mid = ids[Math.floor(ids.length / 2)] as string;
      const created = done.get(mid)?.ctime ?? 0;
      console.log(`request ${mid}: created at 0 ms, fulfilled at ${(done.get(mid)?.mtime ?? 0) - created} ms`);
      for (const wf of [`request/${mid}`, `node/${(await readRequestNodes(mid))[0]}`]) {
        const h = await stack.client.workflow.getHandle(wf).fetchHistory();
        let prev = 0;
        console.log(`history of ${wf} (first event at ${eventMs(h.events?.[0]) - created} ms):`);
        for (const e of h.events ?? []) {
          const t = eventMs(e);
          const name = Object.keys(e).find((k) => k.endsWith('EventAttributes')) ?? '';
          const detail = (e as Record<string, { activityType?: { name?: string } }>)[name]?.activityType?.name ?? '';
          console.log(`  +${prev ? t - prev : 0}ms ${name.replace('EventAttributes', '')} ${detail}`);
          prev = t;
        }
      }
    }
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
