// How long a workflow task waits between scheduled and started (history event times) when it
// follows closely on one that ran local activities. A parent starts children one after another,
// with 0 or 3 local activities before each step, on a bare worker (no Nodepool code), with the
// workflow cache on (sticky queue) and off. Seen on this machine: ~5 ms without local activities
// or without the cache, ~50 ms with both; the launcher's critical path pays it at every step.
// Turning the cache off is no way out: the launcher with maxCachedWorkflows 0 made Core log
// "This is an SDK bug" around local activities (tried 2026-11-23). Kept to chase the cause.
//   npx tsx bench/sticky-dispatch.ts
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { startTemporalDevServer } from '../tools/servers/temporal';

const eventMs = (e: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }) =>
  Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);

async function main(): Promise<void> {
  const temporal = await startTemporalDevServer();
  const connection = await NativeConnection.connect({ address: temporal.address });
  try {
    for (const maxCachedWorkflows of [undefined, 0]) {
      const taskQueue = `dispatch-${maxCachedWorkflows ?? 'cached'}`;
      const worker = await Worker.create({
        connection,
        namespace: temporal.namespace,
        taskQueue,
        workflowsPath: require.resolve('./floor/workflows'),
        activities: { noop: async () => undefined },
        ...(maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows }),
      });
      await worker.runUntil(async () => {
        const client = new Client({ connection, namespace: temporal.namespace });
        for (const localActivities of [0, 3]) {
          const handle = await client.workflow.start('parentWorkflow', { taskQueue, workflowId: `${taskQueue}-${localActivities}-${Date.now()}`, args: [6, localActivities] });
          await handle.result();
          const gaps: number[] = [];
          let prev: { name: string; ms: number } | null = null;
          for (const e of (await handle.fetchHistory()).events ?? []) {
            const name = Object.keys(e).find((k) => k.endsWith('EventAttributes')) ?? '';
            const ms = eventMs(e);
            if (name.startsWith('workflowTaskStarted') && prev?.name.startsWith('workflowTaskScheduled')) gaps.push(ms - prev.ms);
            prev = { name, ms };
          }
          const sorted = [...gaps].sort((a, b) => a - b);
          console.log(
            `cache ${maxCachedWorkflows === 0 ? 'off' : 'on '}, ${localActivities} local activities per step: workflow task scheduled->started median ${sorted[sorted.length >> 1]} ms (${gaps.join(' ')})`,
          );
        }
      });
    }
  } finally {
    await connection.close();
    await temporal.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
