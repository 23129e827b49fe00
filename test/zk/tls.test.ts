// zookeeper-tls against a real ZooKeeper with a secureClientPort (Netty, client auth required):
// our patched client connects, creates, locks; kazoo sees the same data over TLS; a certificate
// from another CA is refused.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { useZooKeeper } from '../harness/servers';
import { makeTestTls } from '../harness/tls';
import { ZkSession } from '../../lib/zk/session';
import { ZkLock } from '../../lib/zk/lock';
import { ZkError } from '../../lib/zk/errors';
import { runPython } from './py';
import { serverReady } from './helpers';

const certs = makeTestTls();
const zk = useZooKeeper({ tls: certs.stores });
after(() => certs.remove());

const secure = () => `127.0.0.1:${zk().securePort}`;

void test('TLS: connect to secureClientPort, create, read back, lock; kazoo reads it over TLS', async () => {
  await serverReady(zk);
  const s = await ZkSession.connect({ servers: secure(), tls: { cert: certs.cert, key: certs.key, ca: certs.ca }, sessionTimeoutMs: 6000 });
  try {
    assert.equal(s._socket?.constructor.name, 'TLSSocket');
    await s.create('/nodepool/tls-check', Buffer.from('{"over": "tls"}'), { makepath: true });
    assert.equal((await s.get('/nodepool/tls-check')).data.toString(), '{"over": "tls"}');
    const lock = new ZkLock(s, '/nodepool/nodes/0000000001/lock', 'tls-launcher');
    assert.equal(await lock.acquire({ blocking: false }), true);
    const out = await runPython(join(__dirname, '../zuul/zuul_standin.py'), ['--hosts', secure(), '--tls-cert', certs.cert, '--tls-key', certs.key, '--tls-ca', certs.ca, 'system-id']);
    assert.match((JSON.parse(out) as { system_id: string }).system_id, /^[0-9a-f]{32}$/);
    assert.ok(await s.exists('/zuul-system'), 'kazoo over TLS wrote where we read');
    await lock.release();
  } finally {
    await s.close();
  }
});

void test('TLS: a client certificate from another CA is refused (connect times out, no crash)', async () => {
  await serverReady(zk);
  await assert.rejects(
    ZkSession.connect({ servers: secure(), tls: { cert: certs.rogueCert, key: certs.rogueKey, ca: certs.ca }, connectTimeoutMs: 3000, sessionTimeoutMs: 4000 }),
    (e) => e instanceof ZkError && e.code === 'TIMEOUT',
  );
});

void test('TLS: plain client on the secure port does not get a session', async () => {
  await serverReady(zk);
  await assert.rejects(ZkSession.connect({ servers: secure(), connectTimeoutMs: 2000, sessionTimeoutMs: 4000 }), (e) => e instanceof ZkError && e.code === 'TIMEOUT');
});
