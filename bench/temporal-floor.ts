// What a request storm costs Temporal alone, with no Nodepool logic: N trivial workflows (one
// local activity each) started at once against the same kind of dev server and worker the
// request-storm bench uses. Its p50 is a floor for any design with a workflow per request; a
// request in nodepool-launcher runs two (request + node), several activities and signals.
//   npx tsx bench/temporal-floor.ts [N]
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { startTemporalDevServer } from '../tools/servers/temporal';

const N = Number(process.argv[2] ?? 200);
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
      activities: { noop: async () => undefined },
      maxConcurrentWorkflowTaskExecutions: 50,
    });
    const running = worker.run();
    const client = new Client({ connection, namespace: temporal.namespace });
    const storm = async (label: string) => {
      const started = Date.now();
      const latencies = await Promise.all(
        Array.from({ length: N }, async (_, i) => {
          const t0 = Date.now();
          await client.workflow.execute('floorWorkflow', { taskQueue: 'floor', workflowId: `floor-${started}-${i}`, requestEagerStart: true });
          return Date.now() - t0;
        }),
      );
      latencies.sort((a, b) => a - b);
      const makespan = Date.now() - started;
      console.log(`${label}: ${N} workflows, makespan ${makespan} ms (${(N / (makespan / 1000)).toFixed(0)}/s), start->completed p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms`);
    };
    await storm('warm-up');
    await storm('storm');
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
