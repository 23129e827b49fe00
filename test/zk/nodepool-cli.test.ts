// Nodepool's own Python readers (NP24 ZooKeeper + status, as `nodepool list` etc. use them) over
// TLS, on a tree written by this layer. Needs a Nodepool source tree in NODEPOOL_SRC and
// Debian's python3 (PyYAML, PrettyTable, kazoo); skipped otherwise.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { useZooKeeper } from '../harness/servers';
import { makeTestTls } from '../harness/tls';
import { ZkSession } from '../../lib/zk/session';
import { createNodeLocked, storeNode } from '../../lib/zk/operations/nodes';
import { submitRequest } from '../../lib/zk/operations/requests';
import { storeBuild, storeUpload } from '../../lib/zk/operations/images';
import { newNode, setNodeState } from '../../lib/zk/codec-node';
import { newRequest } from '../../lib/zk/codec-request';
import { RawJson } from '../../lib/zk/json';
import { registerComponent } from '../../lib/zk/operations/components';
import { type PoolComponent } from '../../lib/model/component';
import { runPython } from './py';
import { serverReady } from './helpers';

type Row = Record<string, unknown>;
interface CliOutput {
  nodes: Row[];
  requests: Row[];
  dib_images: Row[];
  images: Row[];
  node_table: string;
  lock_node: string;
  pools: Row[];
}

const SRC = process.env.NODEPOOL_SRC;
const skip = !SRC || !existsSync(join(SRC, 'nodepool/status.py')) ? 'set NODEPOOL_SRC to a Nodepool (2024) source tree' : false;

const certs = makeTestTls();
const zk = useZooKeeper({ tls: certs.stores });
after(() => certs.remove());

void test('nodepool list / request-list / dib-image-list / image-list read our tree', { skip }, async () => {
  await serverReady(zk);
  const tls = { cert: certs.cert, key: certs.key, ca: certs.ca };
  const s = await ZkSession.connect({ servers: `127.0.0.1:${zk().securePort}`, tls });
  try {
    await registerComponent<PoolComponent>(s, {
      kind: 'pool',
      hostname: 'nl01',
      state: 'running',
      version: '10.0.0',
      model_api: 0,
      id: 'nl01-PoolWorker.rax-dfw-main-x',
      name: 'main',
      provider_name: 'rax-dfw',
      supported_labels: ['ubuntu-jammy'],
      priority: 100,
      paused: false,
    });
    const req = newRequest({ node_types: ['ubuntu-jammy'], requestor: 'NodePool:min-ready', reuse: false, event_id: 'e'.repeat(32) });
    await submitRequest(s, req, { priority: '900' });
    const { node, lock } = await createNodeLocked(s, newNode({ provider: 'rax-dfw', pool: 'main', type: ['ubuntu-jammy'], launcher: 'nl01-PoolWorker.rax-dfw-main-x', allocated_to: req.id }));
    node.external_id = 'server-1';
    node.public_ipv4 = '203.0.113.10';
    node.user_data = new RawJson('{"zuul_system": "x", "big": 123456789012345678901234567890}');
    setNodeState(node, 'ready');
    await storeNode(s, node);
    const build = { image: 'ubuntu-jammy', id: '', state: 'ready' as const, state_time: Date.now() / 1000, builder: 'nb01', builder_id: '1a2b3c4d-0000-4000-8000-123456789abc', formats: ['raw', 'qcow2'], username: 'zuul', python_path: 'auto', shell_type: null, extra: new Map() };
    await storeBuild(s, build);
    const upload = { image: 'ubuntu-jammy', build_id: build.id, provider: 'rax-dfw', id: '', state: 'ready' as const, state_time: Date.now() / 1000, external_id: 'img-1', external_name: 'ubuntu-jammy-1', format: 'qcow2', username: 'zuul', python_path: 'auto', shell_type: null, extra: new Map() };
    await storeUpload(s, upload);

    const out = JSON.parse(
      await runPython(
        join(__dirname, '../zuul/nodepool_cli.py'),
        ['--hosts', `127.0.0.1:${zk().securePort}`, '--tls-cert', certs.cert, '--tls-key', certs.key, '--tls-ca', certs.ca, '--try-lock-node', node.id],
        '/usr/bin/python3',
      ).catch((e: Error) => {
        throw new Error(e.message);
      }),
    ) as CliOutput;
    console.log(out.node_table);
    const n = out.nodes[0] as Row;
    assert.equal(n.id, node.id);
    assert.equal(n.state, 'ready');
    assert.equal(n.locked, 'locked', 'our kazoo-style contender shows as Locked');
    assert.deepEqual(n.label, ['ubuntu-jammy']);
    assert.equal(n.connection_port, 22);
    assert.equal(out.lock_node, 'locked by someone else', 'NP24 lockNode respects our lock');
    const r = out.requests[0] as Row;
    assert.equal(r.id, req.id);
    assert.equal(r.state, 'requested');
    assert.equal(r.requestor, 'NodePool:min-ready');
    const b = out.dib_images[0] as Row;
    assert.equal(b.id, `ubuntu-jammy-${build.id}`);
    assert.equal(b.state, 'ready');
    assert.deepEqual(b.formats, ['qcow2', 'raw']);
    const u = out.images[0] as Row;
    assert.equal(u.upload_id, upload.id);
    assert.equal(u.external_name, 'ubuntu-jammy-1');
    assert.deepEqual(out.pools, [
      {
        hostname: 'nl01',
        id: 'nl01-PoolWorker.rax-dfw-main-x',
        kind: 'pool',
        model_api: 0,
        name: 'main',
        paused: false,
        priority: 100,
        provider_name: 'rax-dfw',
        state: 'running',
        supported_labels: ['ubuntu-jammy'],
        version: '10.0.0',
      },
    ]);
    await lock.release();
  } finally {
    await s.close();
  }
});
