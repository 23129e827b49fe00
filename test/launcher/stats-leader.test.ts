// The stats-leader election (workers/launcher/stats-leader.ts) against a real ZooKeeper: kazoo
// Election naming and data, one leader at a time, the next in line takes over on stop() or when
// the leader's session ends, and a Nodepool launcher (kazoo's Election, as NP24's StatsWorker
// runs it) takes part in the same election both ways.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { useZooKeeper } from '../harness/servers';
import { ZkSession } from '../../lib/zk/session';
import { lockContenders } from '../../lib/zk/lock';
import { STATS_ELECTION } from '../../lib/zk/paths';
import { StatsLeader } from '../../workers/launcher/stats-leader';
import { PyHelper } from '../zk/py';
import { eventually, serverReady, sleep } from '../zk/helpers';

const zk = useZooKeeper();
let a: ZkSession;
let b: ZkSession;

before(async () => {
  await serverReady(zk);
  a = await ZkSession.connect({ servers: zk().connectString, sessionTimeoutMs: 4000 });
  b = await ZkSession.connect({ servers: zk().connectString, sessionTimeoutMs: 4000 });
});
after(async () => {
  await a?.close();
  await b?.close();
});

/** Records 'elected'/'deposed' so a test can wait for them. */
function watch(l: StatsLeader): string[] {
  const events: string[] = [];
  l.on('elected', () => events.push('elected'));
  l.on('deposed', () => events.push('deposed'));
  return events;
}

void test('one leader at a time; kazoo Election naming and "<hostname>-<pid>"; stop() hands over', async () => {
  const la = new StatsLeader(() => a);
  const lb = new StatsLeader(() => b, 'other-host-4242');
  const ea = watch(la);
  const eb = watch(lb);
  try {
    la.start();
    await eventually('a elected', () => la.isLeader);
    lb.start();
    await eventually('b in line', async () => (await lockContenders(a, STATS_ELECTION)).length === 2);
    assert.deepEqual(await lockContenders(a, STATS_ELECTION), [`${hostname()}-${process.pid}`, 'other-host-4242']);
    for (const child of await a.getChildren(STATS_ELECTION)) assert.match(child, /^[0-9a-f]{32}__lock__\d{10}$/);
    await sleep(300);
    assert.equal(lb.isLeader, false, 'b waits while a leads');
    await la.stop();
    assert.equal(la.isLeader, false);
    assert.deepEqual(ea, ['elected', 'deposed']);
    await eventually('b takes over', () => lb.isLeader);
    assert.deepEqual(eb, ['elected']);
    assert.deepEqual(await lockContenders(a, STATS_ELECTION), ['other-host-4242'], 'a left the election');
  } finally {
    await la.stop();
    await lb.stop();
  }
  assert.deepEqual(await lockContenders(a, STATS_ELECTION), [], 'nobody left behind');
});

void test('a waiting contender leaves the election on stop()', async () => {
  const la = new StatsLeader(() => a, 'first');
  const lb = new StatsLeader(() => b, 'second');
  try {
    la.start();
    await eventually('a elected', () => la.isLeader);
    lb.start();
    await eventually('b in line', async () => (await lockContenders(a, STATS_ELECTION)).length === 2);
    await lb.stop();
    assert.deepEqual(await lockContenders(a, STATS_ELECTION), ['first']);
  } finally {
    await la.stop();
    await lb.stop();
  }
});

void test('with a Nodepool launcher (kazoo Election): waits behind it, leads when it resigns, is deposed when its session expires', async () => {
  const np = new PyHelper(join(__dirname, 'fixtures', 'kazoo_election.py'), [zk().connectString, 'nl01-1234']);
  const c = await ZkSession.connect({ servers: zk().connectString, sessionTimeoutMs: 4000 });
  const ours = new StatsLeader(() => c);
  const events = watch(ours);
  try {
    await np.next();
    // Nodepool leads first: we queue behind it, and its contenders() lists us
    await np.call({ op: 'run' });
    await eventually('nodepool leads', async () => (await np.call<{ leader: boolean }>({ op: 'status' })).leader);
    ours.start();
    await eventually('we are in line', async () => (await np.call<{ contenders: string[] }>({ op: 'contenders' })).contenders.length === 2);
    assert.deepEqual((await np.call<{ contenders: string[] }>({ op: 'contenders' })).contenders, ['nl01-1234', ours.identifier]);
    assert.equal(ours.isLeader, false);
    // it resigns: we lead, and it waits behind us
    await np.call({ op: 'resign' });
    await eventually('we lead', () => ours.isLeader);
    await np.call({ op: 'run' });
    await eventually('nodepool in line', async () => (await lockContenders(a, STATS_ELECTION)).length === 2);
    assert.equal((await np.call<{ leader: boolean }>({ op: 'status' })).leader, false);
    // our session expires (this process frozen past the session timeout, as a long GC pause):
    // Nodepool takes over, we stop counting ourselves leader and queue again in the new session
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, c.sessionTimeoutMs + 2000);
    await eventually('deposed', () => events.includes('deposed'), 20_000);
    assert.equal(ours.isLeader, false);
    await eventually('nodepool leads again', async () => (await np.call<{ leader: boolean }>({ op: 'status' })).leader, 20_000);
    await eventually('we are in line again', async () => (await lockContenders(a, STATS_ELECTION)).length === 2, 20_000);
    assert.deepEqual(await lockContenders(a, STATS_ELECTION), ['nl01-1234', ours.identifier]);
    await np.call({ op: 'resign' });
    await eventually('we lead again', () => ours.isLeader, 20_000);
    assert.deepEqual(events, ['elected', 'deposed', 'elected']);
  } finally {
    await ours.stop();
    await np.close();
    await c.close();
  }
});
