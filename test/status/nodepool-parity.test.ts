// Our listings against Nodepool's own status.py (NP24) on the same ZooKeeper tree: the tables
// must match character for character and the JSON byte for byte (ages masked, since the two
// read at different seconds). Needs a Nodepool source tree in NODEPOOL_SRC and Debian's python3
// (kazoo, PrettyTable, PyYAML); skipped otherwise. NP24 insists on TLS, so the server has it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { useZooKeeper } from '../harness/servers';
import { makeTestTls } from '../harness/tls';
import { maskAges, seedBuild, seedNode, seedPool, seedRequest, seedUpload } from './helpers';
import { serverReady } from '../zk/helpers';
import { runPython } from '../zk/py';
import { dibImageList, imageList, imageStatus, labelList, LIST_FIELDS, nodeList, output, renderTable, requestList, type Listing } from '../../lib/status';
import { RawJson } from '../../lib/zk/json';
import { ZkLock } from '../../lib/zk/lock';
import { imageBuildRequestPath, imagePausePath, nodeLockPath } from '../../lib/zk/paths';
import { ZkSession } from '../../lib/zk/session';

const SRC = process.env.NODEPOOL_SRC;
const skip = !SRC || !existsSync(join(SRC, 'nodepool/status.py')) ? 'set NODEPOOL_SRC to a Nodepool (2024) source tree' : false;

const certs = makeTestTls();
const zk = useZooKeeper({ tls: certs.stores });
after(() => certs.remove());

type Formats = { pretty: string; json: string };
type NpOutput = Record<'node_list' | 'request_list' | 'dib_image_list' | 'image_list' | 'image_status' | 'label_list', Formats> & { list: string };

/** Table body lines sorted (Nodepool lists nodes and builds in ZooKeeper's child order). */
const normalise = (text: string): string => {
  const lines = maskAges(text).split('\n');
  return [...lines.slice(0, 3), ...lines.slice(3, -1).sort(), ...lines.slice(-1)].join('\n');
};
const normaliseJson = (text: string): unknown[] => (JSON.parse(maskAges(text)) as Array<Record<string, unknown>>).sort((a, b) => String(a.id ?? a.image ?? a.label).localeCompare(String(b.id ?? b.image ?? b.label)));

void test('tables and JSON are the ones Nodepool’s status.py prints for the same tree', { skip }, async () => {
  await serverReady(zk);
  const tls = { cert: certs.cert, key: certs.key, ca: certs.ca };
  const hosts = `127.0.0.1:${zk().securePort}`;
  const s = await ZkSession.connect({ servers: hosts, chroot: '/parity', tls });
  try {
    await seedNode(s, { username: 'zuul', hostname: 'np1', az: 'nova', private_ipv4: '10.0.0.5', launcher: 'nl01-PoolWorker.p-main', allocated_to: '200-0000000001', comment: "it's held", hold_job: 't p j', user_data: new RawJson('{"zuul_system": "abc", "big": 123456789012345678901234567890, "ok": true, "none": null}') });
    await seedNode(s, { provider: 'k8s', type: ['pod'], connection_port: new RawJson('{"token": "secret"}'), driver_data: new RawJson('{"backing_node": "0000000009", "slot": 0}'), external_id: new RawJson('{"name": "pod-1"}') });
    const locked = await seedNode(s, { state: 'in-use', public_ipv6: '2001:db8::10' });
    const lock = new ZkLock(s, nodeLockPath(locked.id));
    await lock.acquire({ blocking: false });
    await seedRequest(s, { relative_priority: 1, declined_by: ['x', 'y'], nodes: ['0000000001'] }, '200');
    await seedRequest(s, { event_id: null, requestor: 'NodePool:min-ready' }, '900');
    const b1 = await seedBuild(s, 'img-a', { formats: ['qcow2', 'raw'] });
    await seedBuild(s, 'img-b', { state: 'building', formats: [], builder: null });
    await seedUpload(s, b1, 'p1');
    await seedUpload(s, b1, 'p2', { state: 'uploading', external_id: null, external_name: null });
    await s.create(imagePausePath('img-b'));
    await s.create(imageBuildRequestPath('img-a'));
    await seedPool(s, 'p1', ['small', 'large']);

    const np = JSON.parse(
      await runPython(join(__dirname, 'np_status.py'), ['--hosts', `${hosts}/parity`, '--tls-cert', certs.cert, '--tls-key', certs.key, '--tls-ca', certs.ca], '/usr/bin/python3'),
    ) as NpOutput;
    const ours: Record<keyof Omit<NpOutput, 'list'>, Listing> = {
      node_list: await nodeList(s),
      request_list: await requestList(s),
      dib_image_list: await dibImageList(s),
      image_list: await imageList(s),
      image_status: await imageStatus(s),
      label_list: await labelList(s),
    };
    for (const [name, listing] of Object.entries(ours) as Array<[keyof typeof ours, Listing]>) {
      assert.equal(normalise(renderTable(listing)), normalise(np[name].pretty), `${name} table`);
      assert.deepEqual(normaliseJson(output(listing, 'json')), normaliseJson(np[name].json), `${name} JSON`);
    }
    assert.equal(normalise(renderTable(ours.node_list, LIST_FIELDS)), normalise(np.list), 'list (9 columns)');
    await lock.release();
  } finally {
    await s.close();
  }
});
