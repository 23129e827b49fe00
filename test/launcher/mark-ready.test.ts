// markReady after a crash (real ZooKeeper): a node workflow whose launcher died resumes on
// another launcher before its lock holder has taken the node lock back. markReady must then wait
// (a retryable failure: the local activity is retried until the holder holds the lock), not go
// on as if the node were READY — that fulfilled a request with a node still `building`, which the
// workflow then deleted as an orphan (seen once in the kill -9 test on a loaded machine). A launch
// whose node lock has no holder (LAUNCH_LOCKS_UNHELD) takes the free lock back in markReady.
// Fulfilment in the same situation takes back a request lock nobody holds any more.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { ZkSession } from '../../lib/zk/session';
import { ZkLock } from '../../lib/zk/lock';
import { newNode, setNodeState } from '../../lib/zk/codec-node';
import { createNodeLocked, deleteNode, readNode, storeNode } from '../../lib/zk/operations/nodes';
import { nodeLockPath } from '../../lib/zk/paths';
import { createNodeActivities } from '../../activities/launcher/nodes';
import { type LauncherContext } from '../../activities/launcher/context';
import { useZooKeeper } from '../harness/servers';
import { serverReady } from '../zk/helpers';

const zkServer = useZooKeeper();
let s: ZkSession;
let other: ZkSession;

before(async () => {
  await serverReady(zkServer);
  s = await ZkSession.connect({ servers: zkServer().connectString });
  other = await ZkSession.connect({ servers: zkServer().connectString });
});
after(async () => {
  await s?.close();
  await other?.close();
});

const ctx = (): LauncherContext => ({ zk: () => s, stats: { timing() {}, increment() {} } }) as unknown as LauncherContext;

void test('markReady waits (retryable) while the node is building and our holder does not hold its lock; writes READY once it does', async () => {
  // the old launcher's lock is gone with its session; someone else's contender is first meanwhile
  const { node, lock: theirs } = await createNodeLocked(other, newNode({ provider: 'p', type: ['a'] }));
  const ours = { lockPath: nodeLockPath(node.id), token: 'holder-after-crash' };
  const activities = createNodeActivities(ctx());
  await assert.rejects(
    activities.markReady({ nodeId: node.id, hostKeys: [], durationMs: 1, lock: ours }),
    (e: unknown) => e instanceof ApplicationFailure && e.type === 'NodeLockNotHeld' && !e.nonRetryable,
  );
  assert.equal((await readNode(s, node.id))?.value.state, 'building', 'nothing written');
  // our holder takes the lock back
  await theirs.release();
  const held = new ZkLock(s, ours.lockPath, ours.token);
  assert.equal(await held.acquire({ blocking: true, timeoutMs: 10_000 }), true);
  assert.equal(await activities.markReady({ nodeId: node.id, hostKeys: ['ssh-ed25519 AAAA'], durationMs: 1, lock: ours }), true);
  assert.equal((await readNode(s, node.id))?.value.state, 'ready');
  await held.release();
  await deleteNode(s, (await readNode(s, node.id))!.value);
});

void test('markReady with takeBack (no lock holder): takes a free lock of a building node and writes READY; waits while someone else holds it', async () => {
  const { node, lock: theirs } = await createNodeLocked(other, newNode({ provider: 'p', type: ['a'] }));
  const ours = { lockPath: nodeLockPath(node.id), token: 'launch-after-crash' };
  const activities = createNodeActivities(ctx());
  await assert.rejects(
    activities.markReady({ nodeId: node.id, hostKeys: [], durationMs: 1, lock: ours, takeBack: true }),
    (e: unknown) => e instanceof ApplicationFailure && e.type === 'NodeLockNotHeld' && !e.nonRetryable,
  );
  assert.equal((await readNode(s, node.id))?.value.state, 'building', 'nothing written while another contender holds it');
  // the launcher that took it died: its contender is gone with its session
  await theirs.release();
  assert.equal(await activities.markReady({ nodeId: node.id, hostKeys: ['ssh-ed25519 AAAA'], durationMs: 1, lock: ours, takeBack: true }), true);
  assert.equal((await readNode(s, node.id))?.value.state, 'ready');
  const contenders = await s.getChildren(ours.lockPath);
  assert.equal(contenders.length, 1, 'our contender holds the lock until the request is fulfilled');
  assert.equal((await s.get(`${ours.lockPath}/${contenders[0]}`)).data.toString('utf8'), ours.token);
  // without takeBack (a holder takes it back) a free lock is left alone
  const { node: n2, lock: l2 } = await createNodeLocked(other, newNode({ provider: 'p', type: ['a'] }));
  await l2.release();
  await assert.rejects(
    activities.markReady({ nodeId: n2.id, hostKeys: [], durationMs: 1, lock: { lockPath: nodeLockPath(n2.id), token: 'held-by-holder' } }),
    (e: unknown) => e instanceof ApplicationFailure && e.type === 'NodeLockNotHeld',
  );
  assert.equal((await s.getChildren(nodeLockPath(n2.id))).length, 0);
  await deleteNode(s, (await readNode(s, node.id))!.value);
  await deleteNode(s, (await readNode(s, n2.id))!.value);
});

void test('markReady re-run after the node was handed over (lock released, node READY or in use) writes nothing and does not wait', async () => {
  const { node, lock } = await createNodeLocked(s, newNode({ provider: 'p', type: ['a'] }));
  setNodeState(node, 'in-use');
  await storeNode(s, node);
  await lock.release();
  const activities = createNodeActivities(ctx());
  assert.equal(await activities.markReady({ nodeId: node.id, hostKeys: [], durationMs: 1, lock: { lockPath: nodeLockPath(node.id), token: 'gone' } }), false);
  assert.equal((await readNode(s, node.id))?.value.state, 'in-use', 'an in-use node is never set back to ready');
  await deleteNode(s, node);
});

void test('a carrier re-run after a crash that withdraws a request it had already fulfilled does not free the node Zuul may be taking; a deleted request frees it', async () => {
  const { createRequestActivities } = await import('../../activities/launcher/requests');
  const { newRequest, setRequestState } = await import('../../lib/zk/codec-request');
  const { submitRequest, readRequest, storeRequest } = await import('../../lib/zk/operations/requests');
  const activities = createRequestActivities(ctx());
  for (const requestState of ['fulfilled', 'deleted'] as const) {
    const r = newRequest({ node_types: ['a'], requestor: 'zuul' });
    await submitRequest(other, r, { ephemeral: false, priority: 200 });
    const { node, lock } = await createNodeLocked(s, newNode({ provider: 'p', type: ['a'], allocated_to: r.id }));
    setNodeState(node, 'ready');
    await storeNode(s, node);
    await lock.release();
    if (requestState === 'fulfilled') {
      const cur = (await readRequest(other, r.id))!;
      setRequestState(cur.value, 'fulfilled');
      cur.value.nodes = [node.id];
      await storeRequest(other, cur.value, cur.version);
    } else {
      await other.deleteRecursive(`/nodepool/requests/${r.id}`);
    }
    await activities.abandonRequest({ requestId: r.id, nodes: [{ nodeId: node.id, lock: { lockPath: nodeLockPath(node.id), token: 'ours' } }], requestLock: { lockPath: `/nodepool/requests-lock/${r.id}`, token: 'ours' } });
    const after = (await readNode(s, node.id))?.value;
    assert.equal(after?.allocated_to ?? null, requestState === 'fulfilled' ? r.id : null, `request ${requestState}`);
    await deleteNode(s, after!);
  }
});

void test('fulfilment after a crash takes back a request lock nobody holds (its session ended, the holder not back yet); not one someone holds, nor a request no longer pending', async () => {
  const { createRequestActivities } = await import('../../activities/launcher/requests');
  const { newRequest, setRequestState } = await import('../../lib/zk/codec-request');
  const { submitRequest, readRequest, storeRequest } = await import('../../lib/zk/operations/requests');
  const activities = createRequestActivities(ctx());
  for (const situation of ['free', 'held by someone', 'requested again'] as const) {
    const r = newRequest({ node_types: ['a'], requestor: 'zuul' });
    await submitRequest(other, r, { ephemeral: false, priority: 200 });
    const cur = (await readRequest(other, r.id))!;
    setRequestState(cur.value, situation === 'requested again' ? 'requested' : 'pending');
    await storeRequest(other, cur.value, cur.version);
    const { node, lock } = await createNodeLocked(s, newNode({ provider: 'p', type: ['a'], allocated_to: r.id }));
    setNodeState(node, 'ready');
    await storeNode(s, node);
    const requestLock = { lockPath: `/nodepool/requests-lock/${r.id}`, token: 'ours' };
    const theirs = new ZkLock(other, requestLock.lockPath, 'theirs');
    if (situation === 'held by someone') assert.equal(await theirs.acquire({ blocking: false }), true);
    const out = await activities.fulfilRequest({ requestId: r.id, nodeIds: [node.id], nodeLocks: [], requestLock });
    const after = (await readRequest(s, r.id))!.value;
    if (situation === 'free') {
      assert.equal(out, 'fulfilled');
      assert.equal(after.state, 'fulfilled');
      assert.deepEqual(after.nodes, [node.id]);
      assert.deepEqual(await s.getChildren(requestLock.lockPath), [], 'the lock taken back is let go of');
    } else {
      assert.equal(out, 'lost', situation);
      assert.equal(after.state, situation === 'requested again' ? 'requested' : 'pending', 'nothing written');
    }
    if (situation === 'held by someone') await theirs.release();
    await lock.release();
    await deleteNode(s, (await readNode(s, node.id))!.value);
  }
});
