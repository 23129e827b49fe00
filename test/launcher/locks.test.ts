// Lock holders adopting a lock a local activity took (tryLock), on real ZooKeeper and a real
// Temporal server: in the same session the holder just watches its contender; across processes
// (two ZooKeeper sessions) it takes the lock in its own session when the first session dies while
// the workflow still wants the lock, and lets go when the workflow released it on purpose (or is
// gone); a workflow that cannot answer is not taken for one that let go.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker } from '@temporalio/worker';
import { startZooKeeper, type ZooKeeperServer } from '../../tools/servers/zookeeper';
import { startTemporalDevServer, type TemporalDevServer } from '../../tools/servers/temporal';
import { ZkSession } from '../../lib/zk/session';
import { sortContenders } from '../../lib/zk/lock';
import { contendersWithToken, createLockActivities } from '../../activities/launcher/locks';
import type { HoldLockResult } from '../../activities/launcher/api';
import { eventually } from '../harness/eventually';
import { failQueriesSignal, finishSignal, setWantedSignal } from './fixtures/lock-owner';

let zkServer: ZooKeeperServer;
let temporal: TemporalDevServer;
let connection: NativeConnection;
let client: Client;
let worker: Worker;
let running: Promise<void>;
const sessions: ZkSession[] = [];

before(async () => {
  [zkServer, temporal] = await Promise.all([startZooKeeper(), startTemporalDevServer()]);
  connection = await NativeConnection.connect({ address: temporal.address });
  client = new Client({ connection, namespace: temporal.namespace });
  worker = await Worker.create({ connection, namespace: temporal.namespace, taskQueue: 'lock-owner', workflowsPath: require.resolve('./fixtures/lock-owner') });
  running = worker.run();
});

after(async () => {
  for (const s of sessions) await s.close().catch(() => undefined);
  worker?.shutdown();
  await running;
  await connection?.close();
  await temporal?.stop();
  await zkServer?.remove();
});

async function session(): Promise<ZkSession> {
  const s = await ZkSession.connect({ servers: zkServer.connectString, sessionTimeoutMs: 4000 });
  sessions.push(s);
  return s;
}

async function owner(id: string) {
  return client.workflow.start('lockOwnerWorkflow', { taskQueue: 'lock-owner', workflowId: id });
}

function holder(zk: ZkSession, input: { lockPath: string; token: string; workflowId: string }): { result: Promise<HoldLockResult>; env: MockActivityEnvironment } {
  const env = new MockActivityEnvironment({ attempt: 1 }, { client });
  const acts = createLockActivities(() => zk);
  return { env, result: env.run(acts.holdLock, { ...input, blocking: false, adopt: true }) as Promise<HoldLockResult> };
}

test('same session: the holder adopts the contender tryLock made and ends when it is released', async () => {
  const zk = await session();
  const acts = createLockActivities(() => zk);
  const lock = { lockPath: '/test/locks/same/lock', token: 'same-token' };
  const wf = await owner('owner-same');
  assert.equal(await acts.tryLock(lock), true);
  assert.equal(await acts.tryLock({ ...lock, token: 'someone-else' }), false, 'the lock is taken');
  const h = holder(zk, { ...lock, workflowId: wf.workflowId });
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await contendersWithToken(zk, lock.lockPath, lock.token)).length, 1, 'the holder made no contender of its own');
  await wf.signal(setWantedSignal, false);
  await acts.releaseLock(lock);
  assert.deepEqual(await h.result, { kind: 'released' });
  await wf.signal(finishSignal);
});

test('across sessions: when the session that took the lock dies, the holder takes it in its own', async () => {
  const [a, b] = [await session(), await session()];
  const lock = { lockPath: '/test/locks/cross/lock', token: 'cross-token' };
  const wf = await owner('owner-cross');
  assert.equal(await createLockActivities(() => a).tryLock(lock), true);
  const h = holder(b, { ...lock, workflowId: wf.workflowId });
  let settled = false;
  void h.result.finally(() => (settled = true));
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(settled, false, 'the holder holds while the other session lives');
  await a.close(); // the process that ran tryLock dies: its ephemeral contender goes
  const mine = await eventually('the lock taken back in the holder’s session', async () => {
    const found = await contendersWithToken(b, lock.lockPath, lock.token);
    return found.length === 1 && found[0]?.owner === b.sessionId ? found : null;
  }, 10_000);
  assert.equal(sortContenders(await b.getChildren(lock.lockPath))[0], mine[0]?.name, 'and it holds the lock');
  assert.equal(settled, false);
  // now a release on purpose: the workflow lets go, the contender is deleted
  await wf.signal(setWantedSignal, false);
  await createLockActivities(() => b).releaseLock(lock);
  assert.deepEqual(await h.result, { kind: 'released' });
  assert.deepEqual(await b.getChildren(lock.lockPath), []);
  await wf.signal(finishSignal);
});

test('across sessions: a contender deleted on purpose before the holder started is a release', async () => {
  const [a, b] = [await session(), await session()];
  const lock = { lockPath: '/test/locks/early/lock', token: 'early-token' };
  const wf = await owner('owner-early');
  assert.equal(await createLockActivities(() => a).tryLock(lock), true);
  await wf.signal(setWantedSignal, false);
  await createLockActivities(() => a).releaseLock(lock);
  const h = holder(b, { ...lock, workflowId: wf.workflowId });
  assert.deepEqual(await h.result, { kind: 'released' });
  assert.deepEqual(await b.getChildren(lock.lockPath), [], 'nothing taken back');
  await wf.signal(finishSignal);
});

test('across sessions: a holder whose workflow cannot answer does not give the lock up (it fails, to be retried)', async () => {
  const [a, b] = [await session(), await session()];
  const lock = { lockPath: '/test/locks/mute/lock', token: 'mute-token' };
  const wf = await owner('owner-mute');
  assert.equal(await createLockActivities(() => a).tryLock(lock), true);
  const h = holder(b, { ...lock, workflowId: wf.workflowId });
  await new Promise((r) => setTimeout(r, 500));
  await wf.signal(failQueriesSignal);
  await a.close(); // the session that took the lock dies; the holder asks the workflow, which does not answer
  await assert.rejects(h.result, /no answer/, 'no "released" the workflow never said');
  await wf.signal(finishSignal);
});

test('across sessions: a holder whose workflow no longer exists lets go', async () => {
  const [a, b] = [await session(), await session()];
  const lock = { lockPath: '/test/locks/orphan/lock', token: 'orphan-token' };
  assert.equal(await createLockActivities(() => a).tryLock(lock), true);
  await a.close();
  const h = holder(b, { ...lock, workflowId: 'no-such-workflow' });
  assert.deepEqual(await h.result, { kind: 'released' });
  assert.deepEqual(await b.getChildren(lock.lockPath), [], 'nothing taken back');
});
