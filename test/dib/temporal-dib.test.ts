// The DIB activity on a real Temporal dev server with the recommended activity options: a build's
// result and a DibFailed reach the workflow, cancelling the workflow reaches the activity through
// its heartbeats and kills the process group before the workflow resumes
// (WAIT_CANCELLATION_COMPLETED), and no secure env-var value is anywhere in the history.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { useTemporal } from '../harness/servers';
import { alive, fakeBuilder, type FakeBuilder, waitFor } from './fake-build';
import { dibBuildOnce } from './workflows';

Runtime.install({ logger: new DefaultLogger('WARN') });
const temporal = useTemporal();
let bundle: WorkflowBundle;
before(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: new DefaultLogger('WARN') });
});

const SECRET = 'hist-s3cr3t-0042';
const USER = 'hist-user-0042';

async function withWorker<T>(b: FakeBuilder, fn: (client: Client, taskQueue: string) => Promise<T>): Promise<T> {
  const native = await NativeConnection.connect({ address: temporal().address });
  const connection = await Connection.connect({ address: temporal().address });
  const client = new Client({ connection, namespace: temporal().namespace });
  const taskQueue = `dib-${randomUUID()}`;
  try {
    const worker = await Worker.create({ connection: native, namespace: temporal().namespace, taskQueue, workflowBundle: bundle, activities: b.acts });
    return await worker.runUntil(fn(client, taskQueue));
  } finally {
    await connection.close();
    await native.close();
  }
}

async function historyText(client: Client, workflowId: string): Promise<string> {
  const { historyToJSON } = await import('@temporalio/common/lib/proto-utils');
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  // Payloads are base64 JSON in the history; decode them so a leak would be visible.
  const json = historyToJSON(history);
  const decoded = [...json.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1] as string, 'base64').toString('utf8'));
  return `${json}\n${decoded.join('\n')}`;
}

const secrets = { REG_PASSWORD: SECRET, DIB_REG_USER: USER, FAKE_DIB_SHOW_ENV: 'DIB_REG_USER,REG_PASSWORD' };

void test('a build runs through a workflow; the history holds the result but no secret', async (t) => {
  const b = fakeBuilder({ envVars: { ...secrets, FAKE_DIB_SLEEP_SECONDS: '0.5' }, secretEnvNames: ['REG_PASSWORD', 'DIB_REG_USER'] });
  t.after(b.cleanup);
  const workflowId = `dib-ok-${randomUUID()}`;
  await withWorker(b, async (client, taskQueue) => {
    const r = await client.workflow.execute(dibBuildOnce, { taskQueue, workflowId, args: [{ diskimage: 'fake-image', buildId: 'b0' }, 60, '10s'] });
    assert.deepEqual(r.formats, ['qcow2', 'raw']);
    assert.match(r.files[0]?.md5 ?? '', /^[0-9a-f]{32}$/);
    const text = await historyText(client, workflowId);
    assert.ok(text.includes('fake-image-b0.qcow2'), 'the decoded result is in the history');
    assert.ok(!text.includes(SECRET) && !text.includes(USER), 'no secret value in the history');
  });
  assert.ok(!b.log('b0').includes(USER));
});

void test('DibFailed reaches the workflow as a non-retryable ActivityFailure cause; no secret in history', async (t) => {
  const b = fakeBuilder({ envVars: { ...secrets, SHOULD_FAIL: 'true' }, secretEnvNames: ['REG_PASSWORD', 'DIB_REG_USER'] });
  t.after(b.cleanup);
  const workflowId = `dib-fail-${randomUUID()}`;
  await withWorker(b, async (client, taskQueue) => {
    const err = await client.workflow.execute(dibBuildOnce, { taskQueue, workflowId, args: [{ diskimage: 'fake-image', buildId: 'b1' }, 60, '10s'] }).catch((e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ActivityFailure);
    const cause = err.cause.cause;
    assert.ok(cause instanceof ApplicationFailure);
    assert.equal(cause.type, 'DibFailed');
    assert.equal(cause.nonRetryable, true);
    assert.equal((cause.details?.[0] as { rc: number }).rc, 127);
    const text = await historyText(client, workflowId);
    assert.ok(!text.includes(SECRET) && !text.includes(USER));
  });
  assert.deepEqual(b.images(), []);
});

void test('cancelling the workflow kills DIB via heartbeats before the workflow resumes', async (t) => {
  const b = fakeBuilder({ envVars: { FAKE_DIB_HANG: '1' } });
  t.after(b.cleanup);
  const workflowId = `dib-cancel-${randomUUID()}`;
  await withWorker(b, async (client, taskQueue) => {
    const handle = await client.workflow.start(dibBuildOnce, { taskQueue, workflowId, args: [{ diskimage: 'fake-image', buildId: 'b2' }, 600, '2s'] });
    const logPath = join(b.logDir, 'fake-image-b2.log');
    const pids = await waitFor(
      'the fake to start its child',
      () => {
        const text = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
        const m = /child pid (\d+)/.exec(text);
        return m ? [Number(/fake-dib: pid (\d+)/.exec(text)?.[1]), Number(m[1])] : undefined;
      },
      20_000,
    );
    const t0 = Date.now();
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError, String(err));
    assert.ok(err.cause instanceof CancelledFailure, String(err.cause));
    // WAIT_CANCELLATION_COMPLETED: by the time the workflow ends, the group is dead and files are gone.
    for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} still alive`);
    assert.deepEqual(b.images(), []);
    assert.match(b.log('b2'), /Build cancelled; DIB killed\n$/);
    console.log(`# cancel reached the activity and finished in ${Date.now() - t0} ms`);
  });
});
