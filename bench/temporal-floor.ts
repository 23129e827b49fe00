// What a request storm costs Temporal alone, with no Nodepool logic, started at once against the
// same kind of dev server and worker the request-storm bench uses:
//   trivial: N workflows of one local activity each;
//   node:    N workflows shaped like the least a node's launch can be (a local activity, an
//            activity that waits --boot-ms like the simulator's boot, a local activity).
// Their CPU per workflow (server, and the worker+client process) and makespan are a floor for any
// design with a workflow per node; nodepool-launcher's node workflow does ZooKeeper and cloud
// work on top (bench/request-storm.ts).
//   npx tsx bench/temporal-floor.ts [N] [--boot-ms 1000]
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { startTemporalDevServer } from '../tools/servers/temporal';
import { cpuSeconds } from './backlog/measure';

const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--boot-ms');
const N = Number(positional[0] ?? 200);
const bootAt = process.argv.indexOf('--boot-ms');
const BOOT_MS = bootAt > 0 ? Number(process.argv[bootAt + 1]) : 1000;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function main(): Promise<void> {
  const temporal = await startTemporalDevServer();
  const connection = await NativeConnection.connect({ address: temporal.address });
  try {
    const worker = await Worker.create({
      connection,
      namespace: temporal.namespace,
      taskQueue: 'floor',
      workflowsPath: require.resolve('./floor/workflows'),
      activities: { noop: async () => undefined, boot: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) },
      maxConcurrentWorkflowTaskExecutions: 50,
    });
    const running = worker.run();
    const client = new Client({ connection, namespace: temporal.namespace });
    const storm = async (label: string, shape: 'trivial' | 'node') => {
      const started = Date.now();
      const serverCpu0 = cpuSeconds(temporal.pid);
      const workerCpu0 = process.cpuUsage();
      const latencies = await Promise.all(
        Array.from({ length: N }, async (_, i) => {
          const t0 = Date.now();
          const workflowId = `floor-${shape}-${started}-${i}`;
          if (shape === 'trivial') await client.workflow.execute('floorWorkflow', { taskQueue: 'floor', workflowId, requestEagerStart: true });
          else await client.workflow.execute('nodeFloorWorkflow', { taskQueue: 'floor', workflowId, args: [BOOT_MS], requestEagerStart: true });
          return Date.now() - t0;
        }),
      );
      latencies.sort((a, b) => a - b);
      const makespan = Date.now() - started;
      const serverMs = ((cpuSeconds(temporal.pid) - serverCpu0) * 1000) / N;
      const w = process.cpuUsage(workerCpu0);
      const workerMs = (w.user + w.system) / 1000 / N;
      console.log(`${label} (${shape === 'node' ? `node-shaped, ${BOOT_MS} ms boot` : 'trivial'}): ${N} workflows, makespan ${makespan} ms (${(N / (makespan / 1000)).toFixed(0)}/s), start->completed p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms`);
      console.log(`  CPU per workflow: Temporal server ${serverMs.toFixed(1)} ms, worker+client process ${workerMs.toFixed(1)} ms`);
    };
    await storm('warm-up', 'trivial');
    await storm('storm', 'trivial');
    await storm('storm', 'node');
    worker.shutdown();
    await running;
  } finally {
    await connection.close();
    await temporal.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
