// The foundation's proof that Temporal is real here: a workflow + activity on the dev server
// (with our search attributes, visible to list queries as in the Web UI), a replay of its
// history (from the server and from JSON, which breaks if protobufjs is duplicated), and 24 h of
// workflow time on the time-skipping test server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode, type WorkflowBundle, DefaultLogger, Runtime } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { useTemporal } from '../harness/servers';
import { temporalTestServerBin } from '../../tools/servers/paths';
import * as activities from './activities';
import { smoke, sleepOneDay } from './workflows';

Runtime.install({ logger: new DefaultLogger('WARN') });
const temporal = useTemporal();
let bundle: WorkflowBundle;

before(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: new DefaultLogger('WARN') });
});

/** Runs the smoke workflow on a fresh worker, then hands its client, id and result to `check`. */
async function withSmokeRun(arg: string, check: (client: Client, workflowId: string, result: string) => Promise<void>): Promise<void> {
  const { NativeConnection } = await import('@temporalio/worker');
  const nativeConnection = await NativeConnection.connect({ address: temporal().address });
  const connection = await Connection.connect({ address: temporal().address });
  const client = new Client({ connection, namespace: temporal().namespace });
  const taskQueue = `smoke-${randomUUID()}`;
  const workflowId = `smoke/${randomUUID()}`;
  try {
    const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: bundle, activities });
    const result = await worker.runUntil(client.workflow.execute(smoke, { taskQueue, workflowId, args: [arg] }));
    await check(client, workflowId, result);
  } finally {
    await connection.close();
    await nativeConnection.close();
  }
}

test('a workflow and its activity run on the real dev server, and replay from their history', async () => {
  await withSmokeRun('zuul', async (client, workflowId, result) => {
    assert.equal(result, 'hello zuul');

    // Search attributes are what the Web UI filters on: visibility is eventually consistent.
    let found = 0;
    for (let i = 0; i < 50 && found === 0; i++) {
      const { count } = await client.workflow.count(`NodepoolProvider = "sim" AND NodepoolLabel = "ubuntu-noble" AND WorkflowId = "${workflowId}"`);
      found = count;
      if (!found) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(found, 1, 'workflow is findable by provider and label');

    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId);

    // The same history through JSON, as `temporal workflow show --output json` saves it.
    const { historyToJSON } = await import('@temporalio/common/lib/proto-utils');
    const json = JSON.parse(historyToJSON(history));
    await Worker.runReplayHistory({ workflowBundle: bundle }, json, workflowId);
  });
});

test('replay detects a non-deterministic change', async () => {
  await withSmokeRun('x', async (client, workflowId) => {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    // Replaying the smoke history with a different workflow body (sleep instead of an activity)
    // must be rejected: this is what guards deploys against breaking running workflows.
    const changed = await bundleWorkflowCode({
      workflowsPath: require.resolve('./workflows-changed'),
      logger: new DefaultLogger('WARN'),
    });
    await assert.rejects(Worker.runReplayHistory({ workflowBundle: changed }, history, workflowId), (err: Error) => {
      assert.equal(err.name, 'DeterminismViolationError');
      return true;
    });
  });
});

test('the time-skipping server sleeps 24 h of workflow time without waiting for it', async () => {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerBin() } },
  });
  try {
    const taskQueue = `skip-${randomUUID()}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    const wallStart = Date.now();
    const r = await worker.runUntil(env.client.workflow.execute(sleepOneDay, { taskQueue, workflowId: randomUUID() }));
    const wallMs = Date.now() - wallStart;
    assert.ok(r.elapsedMs >= 24 * 3600 * 1000, `workflow saw ${r.elapsedMs} ms pass`);
    console.log(`# time-skipping: 24 h of workflow time took ${wallMs} ms of wall time`);
  } finally {
    await env.teardown();
  }
});

after(() => undefined);
