// The CLI over zookeeper-tls (what NP24 configs require): cert/key/ca from the config reach the
// session; without them the TLS port does not answer a plain client and the error is one line.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { useZooKeeper } from '../harness/servers';
import { makeTestTls } from '../harness/tls';
import { seedNode, tableRows } from '../status/helpers';
import { serverReady } from '../zk/helpers';
import { runCli, writeConfig } from './helpers';
import { ZkSession } from '../../lib/zk/session';

const certs = makeTestTls();
const zk = useZooKeeper({ tls: certs.stores });
after(() => certs.remove());

void test('list over zookeeper-tls, with chroot and zookeeper-timeout from the config', async () => {
  const server = await serverReady(zk);
  const port = server.securePort as number;
  const s = await ZkSession.connect({ servers: `127.0.0.1:${port}`, chroot: '/tls', tls: { cert: certs.cert, key: certs.key, ca: certs.ca } });
  try {
    const n = await seedNode(s);
    const tls = `zookeeper-tls:\n  cert: ${certs.cert}\n  key: ${certs.key}\n  ca: ${certs.ca}\nzookeeper-timeout: 3\n`;
    const r = await runCli(writeConfig({ host: '127.0.0.1', port }, '/tls', tls), ['list']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(tableRows(r.stdout).map((row) => row[0]), [n.id]);
    const plain = await runCli(writeConfig({ host: '127.0.0.1', port }, '/tls', 'zookeeper-timeout: 2\n'), ['list']);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, new RegExp(`^Could not connect to ZooKeeper at 127\\.0\\.0\\.1:${port}/tls: .*\\n$`));
  } finally {
    await s.close();
  }
});
