// The listings read from a real ZooKeeper written with the codecs: rows with Nodepool's keys,
// exact tables, 9/21 node columns, locked from lock contenders (without creating lock parents),
// redacted ports, paused builds, build request states, label union and provider info.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { useZooKeeper } from '../harness/servers';
import { freshSession, seedBuild, seedNode, seedPool, seedRequest, seedUpload, tableRows } from './helpers';
import {
  dibImageList,
  imageList,
  imageStatus,
  labelList,
  LIST_DETAIL_FIELDS,
  LIST_FIELDS,
  nodeList,
  output,
  providerInfo,
  renderTable,
  requestList,
} from '../../lib/status';
import { RawJson } from '../../lib/zk/json';
import { ZkLock } from '../../lib/zk/lock';
import { imageBuildLockPath, imageBuildRequestPath, imagePausePath, nodeLockPath, nodePath } from '../../lib/zk/paths';
import { type ZkSession } from '../../lib/zk/session';

const zk = useZooKeeper();
const sessions: ZkSession[] = [];
after(async () => {
  for (const s of sessions) await s.close();
});
async function session(): Promise<ZkSession> {
  const { s } = await freshSession(zk);
  sessions.push(s);
  return s;
}

const NOW = 1_700_000_000;

void test('node list: 9 and 21 columns, Nodepool keys, exact table', async () => {
  const s = await session();
  const n = await seedNode(s, { state_time: NOW - 3661, public_ipv4: '203.0.113.10', username: 'zuul', hostname: 'np0' });
  const listing = await nodeList(s, { now: NOW });
  assert.deepEqual(Object.keys(listing.rows[0] ?? {}), LIST_DETAIL_FIELDS);
  assert.equal(LIST_FIELDS.length, 9);
  assert.equal(LIST_DETAIL_FIELDS.length, 21);
  assert.equal(
    renderTable(listing, LIST_FIELDS),
    [
      '+------------+---------------+------------+-----------+--------------+------+-------+-------------+----------+',
      '| ID         | Provider      | Label      | Server ID | Public IPv4  | IPv6 | State | Age         | Locked   |',
      '+------------+---------------+------------+-----------+--------------+------+-------+-------------+----------+',
      `| ${n.id} | fake-provider | fake-label | fake      | 203.0.113.10 |      | ready | 00:01:01:01 | unlocked |`,
      '+------------+---------------+------------+-----------+--------------+------+-------+-------------+----------+',
    ].join('\n'),
  );
  const detail = tableRows(renderTable(listing, LIST_DETAIL_FIELDS));
  assert.equal(detail[0]?.length, 21);
  assert.deepEqual(detail[0]?.slice(9), ['main', 'np0', '', '', 'zuul', '22', '', '', '', '', '', '']);
  // reading did not create the lock parent (kazoo's contenders() would)
  assert.equal(await s.exists(nodeLockPath(n.id)), null);
});

void test('node list: locked from contenders, redacted port, node_id filter, user_data repr', async () => {
  const s = await session();
  const a = await seedNode(s, { connection_port: new RawJson('{"token": "secret"}'), user_data: new RawJson('{"zuul_system": "abc", "n": 123456789012345678901234567890}') });
  const b = await seedNode(s, { type: ['l1', 'l2'] });
  const lock = new ZkLock(s, nodeLockPath(b.id));
  assert.ok(await lock.acquire({ blocking: false }));
  const rows = (await nodeList(s)).rows;
  assert.deepEqual(
    rows.map((r) => [r.id, r.locked, r.connection_port]),
    [
      [a.id, 'unlocked', 'redacted'],
      [b.id, 'locked', 22],
    ],
  );
  assert.deepEqual(rows[1]?.label, ['l1', 'l2']);
  const json = output({ headers: [], rows: rows.slice(0, 1) }, 'json');
  assert.ok(json.includes('"user_data": {"zuul_system": "abc", "n": 123456789012345678901234567890}'), json);
  const text = renderTable({ headers: (await nodeList(s)).headers, rows }, ['id', 'user_data', 'label']);
  assert.ok(text.includes("| {'zuul_system': 'abc', 'n': 123456789012345678901234567890} |"), text);
  assert.ok(text.includes('| l1,l2 '), text);
  assert.deepEqual(
    (await nodeList(s, { nodeId: b.id })).rows.map((r) => r.id),
    [b.id],
  );
  assert.deepEqual((await nodeList(s, { nodeId: '9999999999' })).rows, []);
  assert.deepEqual((await nodeList(s, { nodeId: '../requests' })).rows, []);
  await lock.release();
  // an empty node znode (mid-creation or left over) is skipped, as Nodepool does
  await s.create(`${nodePath('')}x-empty`, Buffer.alloc(0));
  assert.equal((await nodeList(s)).rows.length, 2);
});

void test('request list: Nodepool columns and order', async () => {
  const s = await session();
  const r1 = await seedRequest(s, { relative_priority: 2, declined_by: ['l1', 'l2'] }, '200');
  const r0 = await seedRequest(s, { node_types: ['a', 'b'], nodes: ['0000000001', '0000000002'], event_id: null }, '100');
  const listing = await requestList(s);
  assert.deepEqual(
    listing.rows.map((r) => r.id),
    [r0.id, r1.id],
  );
  assert.deepEqual(listing.rows[0], { id: r0.id, relative_priority: 0, state: 'requested', requestor: 'test', node_types: ['a', 'b'], nodes: ['0000000001', '0000000002'], declined_by: [], event_id: null });
  assert.equal(
    renderTable(listing),
    [
      '+----------------+----------+-----------+-----------+------------+-----------------------+-------------+----------+',
      '| Request ID     | Priority | State     | Requestor | Node Types | Nodes                 | Declined By | Event ID |',
      '+----------------+----------+-----------+-----------+------------+-----------------------+-------------+----------+',
      `| ${r0.id} | 0        | requested | test      | a,b        | 0000000001,0000000002 |             |          |`,
      `| ${r1.id} | 2        | requested | test      | fake-label |                       | l1,l2       | e1       |`,
      '+----------------+----------+-----------+-----------+------------+-----------------------+-------------+----------+',
    ].join('\n'),
  );
});

void test('image-list and dib-image-list: uploads and builds, epoch ages in JSON, paused builds', async () => {
  const s = await session();
  const b = await seedBuild(s, 'fake-image', { state_time: NOW - 60, formats: ['raw', 'qcow2'] });
  const u = await seedUpload(s, b, 'fake-provider', { state_time: NOW - 120.7 });
  await seedUpload(s, b, 'other-provider', { state: 'uploading', external_id: null, external_name: null });
  const uploads = await imageList(s);
  assert.deepEqual(uploads.rows[0], { id: b.id, upload_id: u.id, provider: 'fake-provider', image: 'fake-image', external_name: 'fake-image-123', external_id: u.external_id, state: 'ready', age: NOW - 121 });
  assert.deepEqual(
    uploads.rows.map((r) => r.provider),
    ['fake-provider', 'other-provider'],
  );
  assert.equal(tableRows(renderTable(uploads, ['id', 'image', 'state']))[0]?.join('|'), `${b.id}|fake-image|ready`);
  const builds = await dibImageList(s);
  assert.deepEqual(builds.rows, [{ id: `fake-image-${b.id}`, image: 'fake-image', builder: 'builder01', formats: ['qcow2', 'raw'], state: 'ready', age: NOW - 60 }]);
  assert.equal(tableRows(renderTable(builds, null, NOW))[0]?.join('|'), `fake-image-${b.id}|fake-image|builder01|qcow2,raw|ready|00:00:01:00`);
  await s.create(imagePausePath('fake-image'));
  assert.equal((await dibImageList(s)).rows[0]?.state, 'paused');
});

void test('image-status: null → pending → building while the build lock is held', async () => {
  const s = await session();
  const old = await seedBuild(s, 'img');
  assert.deepEqual((await imageStatus(s)).rows, [{ image: 'img', paused: false, build_request: null, build_request_age: null }]);
  await s.create(imageBuildRequestPath('img'));
  const pending = (await imageStatus(s)).rows[0];
  assert.equal(pending?.build_request, 'pending');
  assert.ok(typeof pending?.build_request_age === 'number' && Math.abs(pending.build_request_age - Date.now() / 1000) < 60);
  // the builder takes the image build lock; the lock parent is older than the newest build
  await s.delete(`/nodepool/images/img/builds/${old.id}`);
  const lock = new ZkLock(s, imageBuildLockPath('img'));
  assert.ok(await lock.acquire({ blocking: false }));
  assert.equal((await imageStatus(s)).rows[0]?.build_request, 'pending');
  await seedBuild(s, 'img', { state: 'building' });
  assert.equal((await imageStatus(s)).rows[0]?.build_request, 'building');
  await lock.release();
  await s.create(imagePausePath('img'));
  const text = renderTable(await imageStatus(s));
  assert.match(text.split('\n')[3] ?? '', /^\| img {3}\| True {3}\| pending {7}\| \d\d:\d\d:\d\d:\d\d {7}\|$/);
});

void test('label-list: union of the registered pools’ labels', async () => {
  const s = await session();
  await seedPool(s, 'p1', ['b', 'a']);
  await seedPool(s, 'p2', ['a', 'c']);
  const labels = await labelList(s);
  assert.deepEqual(labels.rows, [{ label: 'a' }, { label: 'b' }, { label: 'c' }]);
  assert.equal(output(labels, 'json'), '[{"label": "a"}, {"label": "b"}, {"label": "c"}]');
});

void test('provider info: builds with a directory for the provider, sorted upload ids, its nodes', async () => {
  const s = await session();
  const b = await seedBuild(s, 'img');
  const u1 = await seedUpload(s, b, 'p1');
  const u2 = await seedUpload(s, b, 'p1');
  await seedUpload(s, b, 'p2');
  const n = await seedNode(s, { provider: 'p1', external_id: 'srv-1' });
  await seedNode(s, { provider: 'p2' });
  const info = await providerInfo(s, 'p1');
  assert.deepEqual(info.images.rows, [{ image: 'img', build_id: b.id, upload_ids: [u1.id, u2.id] }]);
  assert.deepEqual(info.nodes.rows, [{ id: n.id, server_id: 'srv-1' }]);
  assert.equal(tableRows(renderTable(info.images))[0]?.join('|'), `img|${b.id}|${u1.id},${u2.id}`);
});
