// Saves every workflow history of a Temporal server to a directory, as JSON (the Web UI's and
// `temporal workflow show --output json` format). The test harness's dev servers call this on
// stop when NODEPOOL_RECORD_HISTORIES names a directory, so a whole test run leaves the histories
// the release really produced; tools/replay/select.ts picks the replay corpus from them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import * as workflows from '../../workflows';

/** Workflow types our workers run (what workflows/index.ts exports); test-only workflows are not recorded. */
const OURS = new Set(Object.keys(workflows));

export async function recordHistories(address: string, namespace: string, dir: string): Promise<number> {
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  let n = 0;
  try {
    const client = new Client({ connection, namespace });
    const run = `${Date.now()}-${process.pid}`;
    mkdirSync(dir, { recursive: true });
    for await (const wf of client.workflow.list()) {
      if (!OURS.has(wf.type)) continue;
      const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      const file = join(dir, `${run}-${wf.type}-${wf.workflowId.replace(/[^\w.-]+/g, '_')}-${wf.runId.slice(0, 8)}.json`);
      writeFileSync(file, historyToJSON(history));
      n++;
    }
  } finally {
    await connection.close();
  }
  return n;
}
