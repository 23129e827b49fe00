// The kazoo lock recipe against a real ZooKeeper: naming, ordering, blocking/non-blocking, and
// interop both ways with real kazoo (2.10 from the venv and Debian's 2.8).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { useZooKeeper } from '../harness/servers';
import { ZkSession } from '../../lib/zk/session';
import { ZkLock, isLocked, lockContenders, forceUnlock } from '../../lib/zk/lock';
import { PyHelper, PYTHON } from './py';
import { eventually, serverReady, zookeeperPid } from './helpers';
import { isConnectionError } from '../../lib/zk/errors';

const zk = useZooKeeper();
let a: ZkSession;
let b: ZkSession;

before(async () => {
  await serverReady(zk);
  a = await ZkSession.connect({ servers: zk().connectString, sessionTimeoutMs: 10_000 });
  b = await ZkSession.connect({ servers: zk().connectString, sessionTimeoutMs: 10_000 });
});
after(async () => {
  await a?.close();
  await b?.close();
});

void test('contender is <uuid4 hex>__lock__<seq10>, ephemeral, carries the identifier; parent stays', async () => {
  const lock = new ZkLock(a, '/nodepool/nodes/0000000001/lock', 'js-launcher');
  assert.equal(await lock.acquire({ blocking: false }), true);
  assert.match(lock.node ?? '', /^[0-9a-f]{32}__lock__0000000000$/);
  const got = await a.get(lock.nodePath as string);
  assert.equal(got.data.toString(), 'js-launcher');
  assert.equal(got.stat.ephemeralOwner, a.sessionId);
  assert.equal(await lock.isStillValid(), true);
  assert.deepEqual(await lockContenders(b, lock.path), ['js-launcher']);
  assert.equal(await isLocked(b, lock.path), true);
  await lock.release();
  assert.equal(await isLocked(b, lock.path), false);
  assert.ok(await a.exists(lock.path), 'lock parent is never deleted on release');
});

void test('non-blocking fails while held; blocking waits for the predecessor; timeout gives up cleanly', async () => {
  const path = '/nodepool/requests-lock/100-0000000001';
  const l1 = new ZkLock(a, path);
  const l2 = new ZkLock(b, path);
  assert.equal(await l1.acquire({ blocking: false }), true);
  assert.equal(await l2.acquire({ blocking: false }), false);
  assert.equal(await l2.acquire({ timeoutMs: 300 }), false);
  assert.deepEqual(await a.getChildren(path), [l1.node], 'a failed attempt leaves no contender behind');
  const waiting = l2.acquire({ timeoutMs: 10_000 });
  await new Promise((r) => setTimeout(r, 200));
  const t0 = Date.now();
  await l1.release();
  assert.equal(await waiting, true);
  assert.ok(Date.now() - t0 < 1000);
  await l2.release();
});

void test('force-unlock deletes the lowest contender (NP24 forceUnlockNode)', async () => {
  const path = '/nodepool/nodes/0000000002/lock';
  const l1 = new ZkLock(a, path);
  await l1.acquire();
  assert.equal(await forceUnlock(b, path), l1.node);
  assert.equal(await l1.isStillValid(), false);
});

for (const python of [PYTHON, '/usr/bin/python3']) {
  void test(`interop with kazoo (${python})`, async () => {
    const kz = new PyHelper(join(__dirname, 'kazoo_lock.py'), [zk().connectString], python);
    try {
      await kz.next();
      const path = `/nodepool/nodes/interop-${python.length}/lock`;
      // kazoo holds → we cannot take it, we see its contender, and get it once kazoo releases
      const held = await kz.call({ op: 'acquire', path, identifier: 'kazoo-py', blocking: false });
      assert.equal(held.acquired, true);
      assert.deepEqual((await kz.call({ op: 'children', path })).children, [held.node]);
      const js = new ZkLock(a, path, 'js-launcher');
      assert.equal(await js.acquire({ blocking: false }), false);
      assert.equal(await js.acquire({ timeoutMs: 300 }), false);
      assert.deepEqual(await lockContenders(a, path), ['kazoo-py']);
      const waiting = js.acquire({ timeoutMs: 10_000 });
      await new Promise((r) => setTimeout(r, 200));
      await kz.call({ op: 'release', path });
      assert.equal(await waiting, true);
      // we hold → kazoo times out and its contenders() shows our identifier
      assert.deepEqual((await kz.call({ op: 'acquire', path, blocking: true, timeout: 1.0 })).acquired, false);
      assert.deepEqual((await kz.call({ op: 'contenders', path })).contenders, ['js-launcher']);
      assert.deepEqual((await kz.call({ op: 'acquire', path, blocking: false })).acquired, false);
      // kazoo waits, we release, kazoo gets it
      kz.send({ op: 'acquire', path, identifier: 'kazoo-py', blocking: true, timeout: 10 });
      await new Promise((r) => setTimeout(r, 300));
      const children = (await a.getChildren(path)).sort();
      assert.equal(children.length, 2, 'kazoo contender queued behind ours');
      for (const c of children) assert.match(c, /^[0-9a-f]{32}__lock__\d{10}$/);
      await js.release();
      assert.equal((await kz.next()).acquired, true);
      assert.equal(await js.acquire({ blocking: false }), false);
      await kz.call({ op: 'release', path });
      assert.equal(await js.acquire({ blocking: false }), true);
      await js.release();
    } finally {
      await kz.close();
    }
  });
}

void test('a release whose reply is lost (frozen server) is retried on resume: no zombie contender', async () => {
  const c = await ZkSession.connect({ servers: zk().connectString, sessionTimeoutMs: 10_000 });
  try {
    const lock = new ZkLock(c, '/nodepool/nodes/0000000042/lock');
    assert.equal(await lock.acquire({ blocking: false }), true);
    const pid = zookeeperPid(zk());
    process.kill(pid, 'SIGSTOP');
    let err: unknown;
    try {
      await lock.release().catch((e: unknown) => (err = e));
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    assert.ok(isConnectionError(err), `release failed with a connection error: ${String(err)}`);
    await c.waitConnected(15_000);
    await eventually('contender deleted after resume', async () => (await c.getChildren(lock.path)).length === 0, 15_000);
    await a.waitConnected(15_000);
    await b.waitConnected(15_000);
  } finally {
    await c.close();
  }
});
