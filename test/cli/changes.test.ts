// The CLI commands that write: hold (NP24), delete without Temporal (Nodepool's fallback: lock,
// `deleting`, unlock), delete --now waiting for the launcher, and erase with and without
// --force. Run through the real CLI on a real ZooKeeper.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useZooKeeper } from '../harness/servers';
import { eventually, freshSession, seedBuild, seedNode, seedUpload, tableRows } from '../status/helpers';
import { runCli, writeConfig } from './helpers';
import { decodeNode } from '../../lib/zk/codec-node';
import { ZkLock } from '../../lib/zk/lock';
import { nodeLockPath, nodePath } from '../../lib/zk/paths';
import { readNode } from '../../lib/zk/operations/nodes';
import { type ZkSession } from '../../lib/zk/session';

const zk = useZooKeeper();
let s: ZkSession;
let config: string;

before(async () => {
  const fresh = await freshSession(zk);
  s = fresh.s;
  config = writeConfig(fresh.server, fresh.chroot);
});
after(async () => {
  await s?.close();
});

const stateOf = async (id: string): Promise<string | undefined> => (await readNode(s, id))?.value.state;

void test('hold ID: sets hold and prints the node row; an unknown id is a message, exit 0', async () => {
  const n = await seedNode(s);
  const r = await runCli(config, ['hold', n.id]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await stateOf(n.id), 'hold');
  assert.deepEqual(tableRows(r.stdout)[0]?.slice(0, 7), [n.id, 'fake-provider', 'fake-label', 'fake', 'fake', '', 'hold']);
  assert.equal(tableRows(r.stdout)[0]?.length, 9);
  // the lock was released: no contenders left
  assert.deepEqual(await s.getChildren(nodeLockPath(n.id)), []);
  const missing = await runCli(config, ['hold', '9999999999']);
  assert.equal(missing.code, 0);
  assert.equal(missing.stdout, 'Node id 9999999999 not found\n');
});

void test('hold on a node someone else has locked fails after ~5 s with a clear message', async () => {
  const n = await seedNode(s);
  const lock = new ZkLock(s, nodeLockPath(n.id), 'zuul');
  assert.ok(await lock.acquire({ blocking: false }));
  try {
    const r = await runCli(config, ['hold', n.id]);
    assert.equal(r.code, 1);
    assert.ok(r.ms >= 4900, `gave up after ${r.ms} ms`);
    assert.equal(r.stderr, `Timeout trying to lock node ${n.id} after 5 s: someone else holds its lock\n`);
    assert.equal(r.stdout, '');
    assert.equal(await stateOf(n.id), 'ready');
  } finally {
    await lock.release();
  }
});

void test('delete without Temporal: falls back to Nodepool’s lock + deleting, names the Temporal address', async () => {
  const n = await seedNode(s);
  const r = await runCli(config, ['delete', n.id]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await stateOf(n.id), 'deleting');
  assert.match(r.stderr, new RegExp(`^Could not connect to Temporal at 127\\.0\\.0\\.1:1: .*; marking node ${n.id} deleting in ZooKeeper instead\\n$`));
  assert.equal(tableRows(r.stdout)[0]?.[6], 'deleting');
  const missing = await runCli(config, ['delete', '9999999999']);
  assert.equal(missing.stdout, 'Node id 9999999999 not found\n');
  assert.equal(missing.code, 0);
});

void test('delete --now: waits until the launcher has removed the znode, then prints the (empty) list', async () => {
  const n = await seedNode(s);
  // a launcher stand-in: removes the node once it is marked deleting
  const launcher = eventually(
    'node marked deleting',
    async () => {
      const got = await s.getIfExists(nodePath(n.id));
      if (!got || decodeNode(n.id, got.data).state !== 'deleting') return false;
      await s.deleteRecursive(nodePath(n.id));
      return true;
    },
    30_000,
  );
  const r = await runCli(config, ['delete', '--now', n.id]);
  await launcher;
  assert.equal(r.code, 0, r.stderr);
  const [first, ...table] = r.stdout.split('\n');
  assert.equal(first, `Node ${n.id} deleted`);
  assert.equal(tableRows(table.join('\n')).length, 0);
  assert.equal(await s.exists(nodePath(n.id)), null);
});

void test('erase without --force: the prompt, and "n" aborts without erasing', async () => {
  const n = await seedNode(s, { provider: 'gone-provider' });
  const r = await runCli(config, ['erase', 'gone-provider'], { stdin: 'n\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '\nWARNING! This action is not reversible!\nErase ZooKeeper data for provider gone-provider? [N/y] Aborting. No data erased.\n');
  assert.notEqual(await stateOf(n.id), undefined);
});

void test('erase --force: removes the provider’s uploads and nodes only; info then shows nothing', async () => {
  const b = await seedBuild(s, 'img');
  await seedUpload(s, b, 'p1');
  const keep = await seedUpload(s, b, 'p2');
  const n1 = await seedNode(s, { provider: 'p1' });
  const n2 = await seedNode(s, { provider: 'p2' });
  const r = await runCli(config, ['erase', 'p1', '--force']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Erasing build data for p1...\nErasing node data for p1...\n');
  assert.equal(await s.exists(nodePath(n1.id)), null);
  assert.notEqual(await s.exists(nodePath(n2.id)), null);
  assert.equal(await s.exists(`/nodepool/images/img/builds/${b.id}/providers/p1`), null);
  assert.notEqual(await s.exists(`/nodepool/images/img/builds/${b.id}/providers/p2/images/${keep.id}`), null);
  const info = await runCli(config, ['info', 'p1']);
  assert.equal(
    info.stdout,
    [
      'ZooKeeper data for provider p1',
      '',
      'Image data:',
      '+------------+----------+------------+',
      '| Image Name | Build ID | Upload IDs |',
      '+------------+----------+------------+',
      '+------------+----------+------------+',
      '',
      'Nodes:',
      '+----+-----------+',
      '| ID | Server ID |',
      '+----+-----------+',
      '+----+-----------+',
      '',
    ].join('\n'),
  );
  const yes = await runCli(config, ['erase', 'p2'], { stdin: 'Y\n' });
  assert.ok(yes.stdout.endsWith('[N/y] Erasing build data for p2...\nErasing node data for p2...\n'), yes.stdout);
});
