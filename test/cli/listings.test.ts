// `nodepool list / request-list / image-list / dib-image-list / image-status / info` through the
// real CLI on a real ZooKeeper: Nodepool's tables (9 and 21 columns), --json, exit codes, and a
// one-line error for an unreachable ZooKeeper.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useZooKeeper } from '../harness/servers';
import { freshSession, maskAges, seedBuild, seedNode, seedRequest, seedUpload, tableRows } from '../status/helpers';
import { runCli, writeConfig } from './helpers';
import { type ImageBuild } from '../../lib/model/image';
import { type Node } from '../../lib/model/node';
import { type NodeRequest } from '../../lib/model/node-request';
import { type ZkSession } from '../../lib/zk/session';

const zk = useZooKeeper();
let s: ZkSession;
let config: string;
let node: Node;
let request: NodeRequest;
let build: ImageBuild;

before(async () => {
  const fresh = await freshSession(zk);
  s = fresh.s;
  config = writeConfig(fresh.server, fresh.chroot);
  node = await seedNode(s, { public_ipv4: '203.0.113.10', username: 'zuul' });
  request = await seedRequest(s, {}, '200');
  build = await seedBuild(s, 'fake-image');
  await seedUpload(s, build, 'fake-provider');
});
after(async () => {
  await s?.close();
});

void test('list: Nodepool’s 9-column table', async () => {
  const r = await runCli(config, ['list']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    maskAges(r.stdout),
    [
      '+------------+---------------+------------+-----------+--------------+------+-------+-------------+----------+',
      '| ID         | Provider      | Label      | Server ID | Public IPv4  | IPv6 | State | Age         | Locked   |',
      '+------------+---------------+------------+-----------+--------------+------+-------+-------------+----------+',
      `| ${node.id} | fake-provider | fake-label | fake      | 203.0.113.10 |      | ready | DD:HH:MM:SS | unlocked |`,
      '+------------+---------------+------------+-----------+--------------+------+-------+-------------+----------+',
      '',
    ].join('\n'),
  );
});

void test('list --detail: 21 columns; --json: every key', async () => {
  const r = await runCli(config, ['list', '--detail']);
  assert.equal(r.code, 0, r.stderr);
  const rows = tableRows(r.stdout);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]?.length, 21);
  assert.equal(r.stdout.split('\n')[1]?.split('|').length, 23);
  const j = await runCli(config, ['list', '--json']);
  const parsed = JSON.parse(j.stdout) as Array<Record<string, unknown>>;
  assert.equal(Object.keys(parsed[0] ?? {}).length, 21);
  assert.equal(parsed[0]?.id, node.id);
});

void test('request-list, image-list, dib-image-list, image-status: tables and --json', async () => {
  const req = await runCli(config, ['request-list']);
  assert.equal(req.code, 0, req.stderr);
  assert.deepEqual(tableRows(req.stdout), [[request.id, '0', 'requested', 'test', 'fake-label', '', '', 'e1']]);
  const img = await runCli(config, ['image-list']);
  assert.deepEqual(
    tableRows(maskAges(img.stdout)).map((r) => r.slice(2)),
    [['fake-provider', 'fake-image', 'fake-image-123', `ext-${build.id.slice(0, 4)}`, 'ready', 'DD:HH:MM:SS']],
  );
  const dib = await runCli(config, ['dib-image-list']);
  assert.equal(tableRows(dib.stdout)[0]?.[4], 'ready'); // State is column 5 (Nodepool's test)
  const status = await runCli(config, ['image-status']);
  assert.deepEqual(tableRows(status.stdout), [['fake-image', 'False', '', '']]);
  const json = JSON.parse((await runCli(config, ['dib-image-list', '--json'])).stdout) as Array<Record<string, unknown>>;
  assert.deepEqual(json[0]?.formats, ['qcow2']);
  assert.equal(typeof json[0]?.age, 'number');
});

void test('empty listings print the header frame only (image-list with no images)', async () => {
  const { s: empty, chroot, server } = await freshSession(zk);
  try {
    const r = await runCli(writeConfig(server, chroot), ['image-list']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(tableRows(r.stdout).length, 0);
    assert.equal(r.stdout.trimEnd().split('\n').length, 4);
  } finally {
    await empty.close();
  }
});

void test('info PROVIDER: image data and nodes', async () => {
  const r = await runCli(config, ['info', 'fake-provider']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.deepEqual(lines.slice(0, 3), ['ZooKeeper data for provider fake-provider', '', 'Image data:']);
  assert.ok(r.stdout.includes(`| fake-image | ${build.id} | 0000000000 |`), r.stdout);
  assert.ok(r.stdout.includes(`\nNodes:\n+------------+-----------+\n| ID         | Server ID |\n+------------+-----------+\n| ${node.id} | fake      |\n`), r.stdout);
});

void test('unreachable ZooKeeper: one line naming the address, exit 1, no stack trace', async () => {
  const bad = writeConfig({ host: '127.0.0.1', port: 1 }, '', 'zookeeper-timeout: 1\n');
  const r = await runCli(bad, ['list']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^Could not connect to ZooKeeper at 127\.0\.0\.1:1: .*\n$/);
  assert.ok(!r.stderr.includes('    at '), r.stderr);
});
