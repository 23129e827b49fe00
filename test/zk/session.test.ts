// The session wrapper against a real ZooKeeper: promise API and versions, chroot and several
// servers, resume after a server restart, recovery from session expiry (locks reported lost,
// ephemerals re-created, watches re-armed), and dead-connection detection with a frozen server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nzc from 'node-zookeeper-client';
import { useZooKeeper } from '../harness/servers';
import { ZkSession } from '../../lib/zk/session';
import { ZkLock } from '../../lib/zk/lock';
import { ZkError, isBadVersion } from '../../lib/zk/errors';
import { installGlobalPatches } from '../../lib/zk/client-patches';
import { freePort } from '../../tools/servers/process';
import { fourLetterWord } from '../../tools/servers/zookeeper';
import { eventually, serverReady, sleep, zookeeperPid } from './helpers';

const zk = useZooKeeper();
let s: ZkSession;

before(async () => {
  await serverReady(zk);
  s = await ZkSession.connect({ servers: zk().connectString, sessionTimeoutMs: 4000 });
});
after(async () => {
  await s?.close();
});

void test('create/get/set/delete with versions; exists/getChildren watches fire', async () => {
  const p = await s.create('/t/a', Buffer.from('one'), { makepath: true });
  assert.equal(p, '/t/a');
  const got = await s.get(p);
  assert.equal(got.data.toString(), 'one');
  assert.equal(got.stat.version, 0);
  const st = await s.set(p, Buffer.from('two'), 0);
  assert.equal(st.version, 1);
  await assert.rejects(s.set(p, Buffer.from('three'), 0), (e) => isBadVersion(e));
  const seq = await s.create('/t/q-', Buffer.alloc(0), { sequential: true });
  assert.match(seq, /^\/t\/q-\d{10}$/);
  let fired: string | undefined;
  await s.getChildren('/t', (ev) => (fired = ev.type));
  await s.delete(seq);
  await eventually('child watch', () => fired === 'children');
  let dataEv: string | undefined;
  await s.get(p, (ev) => (dataEv = ev.type));
  await s.set(p, Buffer.from('x'));
  await eventually('data watch', () => dataEv === 'changed');
  assert.equal(await s.exists('/t/none'), null);
  await assert.rejects(s.get('/t/none'), (e) => e instanceof ZkError && e.code === 'NO_NODE');
  await s.create('/t/a/lock/x', Buffer.alloc(0), { makepath: true });
  await s.deleteRecursive('/t');
  assert.equal(await s.exists('/t'), null);
});

/** Requests the server has had from this session (`cons`: recved=, pings included). */
async function received(session: ZkSession): Promise<number> {
  const sid = `0x${session.sessionId.toString(16)}`;
  const line = (await fourLetterWord(zk().host, zk().port, 'cons')).split('\n').find((l) => l.includes(`sid=${sid},`) || l.includes(`sid=${sid})`));
  const n = Number(/recved=(\d+)/.exec(line ?? '')?.[1]);
  assert.ok(Number.isInteger(n), `no connection of session ${sid} in 'cons'`);
  return n;
}

void test("ensurePath as kazoo's: a lock directory under an existing znode is exists + create, missing parents made", async () => {
  // a long session timeout: no ping while we count
  const own = await ZkSession.connect({ servers: zk().connectString, sessionTimeoutMs: 30_000 });
  try {
    await own.create('/ep/node-1', Buffer.from('x'), { makepath: true });
    const before = await received(own);
    await own.ensurePath('/ep/node-1/lock');
    // (each path element created in turn would be exists + 3 creates)
    assert.equal((await received(own)) - before, 2, 'exists + create, and nothing else');
    assert.ok(await own.exists('/ep/node-1/lock'));
    await own.ensurePath('/ep/a/b/c');
    assert.ok(await own.exists('/ep/a/b/c'), 'missing parents made');
    await own.ensurePath('/ep/a/b/c'); // there already: no error
    assert.equal((await own.get('/ep/node-1')).data.toString(), 'x', 'an existing parent is left as it was');
  } finally {
    await own.deleteRecursive('/ep');
    await own.close();
  }
});

void test('multi: version 0 is honoured (the library turns 0 into "any")', async () => {
  await s.create('/m', Buffer.from('a'));
  await s.set('/m', Buffer.from('b')); // version 1 now
  await assert.rejects(s.multi([{ op: 'check', path: '/m', version: 0 }, { op: 'create', path: '/m/x' }]), (e) => isBadVersion(e));
  assert.equal(await s.exists('/m/x'), null);
  await s.multi([{ op: 'check', path: '/m', version: 1 }, { op: 'create', path: '/m/x' }, { op: 'set', path: '/m', data: Buffer.from('c'), version: 1 }]);
  assert.equal((await s.get('/m')).data.toString(), 'c');
  await s.deleteRecursive('/m');
});

void test('unknown server error codes do not crash (Exception.create patched)', () => {
  installGlobalPatches();
  const e = (nzc.Exception as unknown as { create: (c: number) => { code: number; name: string } }).create(-127);
  assert.equal(e.code, -127);
  assert.equal(e.name, 'UNKNOWN_127');
});

void test('chroot (created on connect) and a server list with a dead member', async () => {
  const dead = await freePort();
  const c = await ZkSession.connect({
    servers: [
      { host: '127.0.0.1', port: dead },
      { host: '127.0.0.1', port: zk().port },
    ],
    chroot: '/tenant-a',
    sessionTimeoutMs: 4000,
  });
  try {
    await c.create('/nodepool/nodes/x', Buffer.from('{}'), { makepath: true });
    assert.ok(await s.exists('/tenant-a/nodepool/nodes/x'));
    assert.deepEqual(await c.getChildren('/nodepool/nodes'), ['x']);
  } finally {
    await c.close();
  }
  await s.deleteRecursive('/tenant-a');
});

void test('server restart within the session timeout: suspended, then resumed with the same session', async () => {
  const eph = await s.create('/eph', Buffer.alloc(0), { ephemeral: true });
  const before = s.sessionId;
  const events: string[] = [];
  const rec = (name: string) => () => events.push(name);
  s.on('suspended', rec('suspended')).on('resumed', rec('resumed')).on('lost', rec('lost'));
  await zk().kill();
  await eventually('suspended', () => events.includes('suspended'), 10_000);
  await zk().start();
  await eventually('resumed', () => events.includes('resumed'), 20_000);
  assert.equal(s.sessionId, before);
  assert.ok(await s.exists(eph));
  assert.ok(!events.includes('lost'));
  s.removeAllListeners('suspended').removeAllListeners('resumed').removeAllListeners('lost');
  await s.delete(eph);
});

void test('session expiry: locks reported lost, ephemerals re-created, watches re-armed, new session', async () => {
  const lock = new ZkLock(s, '/nodepool/nodes/0000000007/lock');
  assert.equal(await lock.acquire({ blocking: false }), true);
  const oldSession = s.sessionId;
  let registered = await s.create('/nodepool/components/launcher/host', Buffer.from('{}'), { ephemeral: true, sequential: true, makepath: true });
  s.onNewSession(async () => {
    registered = await s.create('/nodepool/components/launcher/host', Buffer.from('{}'), { ephemeral: true, sequential: true, makepath: true });
  });
  const lostLocks: ZkLock[] = [];
  lock.on('lost', (l: ZkLock) => lostLocks.push(l));
  let sessionEvents = 0;
  let watchFired = 0;
  const arm = () => s.getChildren('/nodepool/nodes', () => watchFired++);
  await arm();
  s.on('session', () => {
    sessionEvents++;
    void arm();
  });
  const lostEvent = new Promise<unknown[]>((r) => s.once('lost', r));

  // Freeze this process (as a long GC pause would) past the session timeout: the server expires
  // the session, and we only learn it when we reconnect. (Joining the session from a second
  // client and closing it is not deterministic: both clients keep stealing the connection.)
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, s.sessionTimeoutMs + 2000);

  const lostList = await lostEvent;
  assert.ok(lostList.includes(lock));
  assert.equal(lock.isLost, true);
  assert.equal(lock.isAcquired, false);
  assert.deepEqual(lostLocks, [lock]);
  await eventually('new session', () => sessionEvents === 1, 15_000);
  assert.notEqual(s.sessionId, oldSession);
  const comps = await s.getChildren('/nodepool/components/launcher');
  assert.deepEqual(comps, [registered.split('/').pop()], 'old ephemeral gone, re-registered once');
  // the watch armed on the new client fires
  await s.create('/nodepool/nodes/0000000008', Buffer.from('{}'));
  await eventually('re-armed watch', () => watchFired >= 1);
  // and the lock can be taken again in the new session
  const again = new ZkLock(s, '/nodepool/nodes/0000000007/lock');
  assert.equal(await again.acquire({ blocking: false }), true);
  await again.release();
  s.removeAllListeners('session');
});

void test('frozen server (SIGSTOP): watchdog notices, session declared lost, recovers after SIGCONT', async () => {
  const lock = new ZkLock(s, '/nodepool/requests-lock/100-0000000009');
  assert.equal(await lock.acquire({ blocking: false }), true);
  const events: [string, number][] = [];
  const t0 = Date.now();
  for (const name of ['suspended', 'lost', 'session']) s.on(name, () => events.push([name, Date.now() - t0]));
  const pid = zookeeperPid(zk());
  process.kill(pid, 'SIGSTOP');
  try {
    // an in-flight call must fail, not hang forever
    const pending = s.get('/nodepool').then(
      () => 'ok',
      (e: ZkError) => e.code,
    );
    await eventually('suspended', () => events.some(([n]) => n === 'suspended'), 10_000);
    assert.match(await pending, /CONNECTION_LOSS|SESSION_EXPIRED/);
    await eventually('lost', () => events.some(([n]) => n === 'lost'), 15_000);
    assert.equal(lock.isLost, true);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await eventually('new session after SIGCONT', () => events.some(([n]) => n === 'session'), 30_000);
  const timing = Object.fromEntries(events.map(([n, ms]) => [n, ms]));
  console.log('frozen-server timeline (ms after SIGSTOP, session timeout 4000):', JSON.stringify(timing));
  assert.ok((timing.suspended ?? Infinity) < 4000, 'dead connection seen within the session timeout');
  // the old contender is gone once the server expires the old session
  await eventually('old contender gone', async () => (await s.getChildren(lock.path)).length === 0, 20_000);
  assert.equal(await new ZkLock(s, lock.path).acquire({ blocking: false }), true);
  await sleep(10);
});
