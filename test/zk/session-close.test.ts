// Closing a session whose server is gone (a daemon's stop with ZooKeeper down) and losing one
// with requests queued: both fail the queued requests with SESSION_EXPIRED and neither throws
// (the library's callbacks once got our ZkError, called getCode() on it and threw out of close()
// and out of the watchdog).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useZooKeeper } from '../harness/servers';
import { ZkSession } from '../../lib/zk/session';
import { ZkError } from '../../lib/zk/errors';
import { eventually, serverReady } from './helpers';

const zk = useZooKeeper();

function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
}

void test('close() with the server gone fails queued requests and resolves at once', async () => {
  const server = await serverReady(zk);
  const s = await ZkSession.connect({ servers: server.connectString, sessionTimeoutMs: 10_000 });
  await server.stop();
  try {
    await eventually('suspended', async () => s.state === 'suspended', 10_000);
    const queued = [rejection(s.exists('/a')), rejection(s.get('/b')), rejection(s.getChildren('/')), rejection(s.create('/c'))];
    const t0 = Date.now();
    await s.close();
    assert.ok(Date.now() - t0 < 1000, `close took ${Date.now() - t0} ms`);
    for (const e of await Promise.all(queued)) {
      assert.ok(e instanceof ZkError, String(e));
      assert.equal(e.code, 'SESSION_EXPIRED');
    }
  } finally {
    await server.start();
  }
});

void test('a session lost with requests queued fails them and starts a new one', async () => {
  const server = await serverReady(zk);
  const s = await ZkSession.connect({ servers: server.connectString, sessionTimeoutMs: 2000 });
  try {
    await server.stop();
    await eventually('suspended', async () => s.state === 'suspended', 10_000);
    const queued = rejection(s.exists('/a'));
    await eventually('lost', async () => s.state === 'lost', 15_000);
    const e = await queued;
    assert.ok(e instanceof ZkError && e.code === 'SESSION_EXPIRED', String(e));
    await server.start();
    await s.waitConnected(30_000);
    assert.equal(await s.exists('/zookeeper/no-such'), null);
  } finally {
    await s.close();
  }
});
