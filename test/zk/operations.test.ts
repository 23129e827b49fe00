// The operations later issues build on, each on a real ZooKeeper: lost-request reset,
// request-lock GC, builds/uploads/flags, NP19 and NP24 registrations, recursive node delete, and
// watchers that catch up after a session loss.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useZooKeeper } from '../harness/servers';
import { ZkSession } from '../../lib/zk/session';
import { ZkLock } from '../../lib/zk/lock';
import { newNode, setNodeState } from '../../lib/zk/codec-node';
import { newRequest, setRequestState } from '../../lib/zk/codec-request';
import { readRequest, storeRequest, submitRequest, lockRequest, deleteRequest } from '../../lib/zk/operations/requests';
import { createNodeLocked, deallocateNode, deleteNode, lockNode, readNode, storeNode } from '../../lib/zk/operations/nodes';
import { holdsLock } from '../../activities/launcher/locks';
import { cleanupRequestLocks, resetLostRequests } from '../../lib/zk/operations/cleanup';
import { fulfilRequest } from '../../lib/zk/operations/fulfil';
import {
  isImageBuildRequested,
  isImagePaused,
  mostRecentUpload,
  pauseImage,
  readBuilds,
  readUploads,
  requestImageBuild,
  clearImageBuildRequest,
  storeBuild,
  storeUpload,
  unpauseImage,
} from '../../lib/zk/operations/images';
import { registerComponent, registerLauncher, registeredPoolIds } from '../../lib/zk/operations/components';
import { RequestWatcher, type RequestEvent } from '../../lib/zk/watchers/request-watcher';
import { NodeWatcher, type NodeStateChange } from '../../lib/zk/watchers/node-watcher';
import { type ImageBuild, type ImageUpload } from '../../lib/model/image';
import { type PoolComponent } from '../../lib/model/component';
import { nodeLockPath, nodePath, requestLockPath, uploadLockPath } from '../../lib/zk/paths';
import { runPython, PYTHON } from './py';
import { eventually, serverReady } from './helpers';

const zk = useZooKeeper();
let s: ZkSession;
let other: ZkSession;

before(async () => {
  await serverReady(zk);
  s = await ZkSession.connect({ servers: zk().connectString, sessionTimeoutMs: 4000 });
  other = await ZkSession.connect({ servers: zk().connectString, sessionTimeoutMs: 10_000 });
});
after(async () => {
  await s?.close();
  await other?.close();
});

void test('lost requests: pending and unlocked → requested, nodes deallocated, init nodes → deleting', async () => {
  const lost = newRequest({ node_types: ['a', 'b'], requestor: 'zuul' });
  await submitRequest(other, lost, { ephemeral: false, priority: 200 });
  const busy = newRequest({ node_types: ['a'], requestor: 'zuul' });
  await submitRequest(other, busy, { ephemeral: false, priority: 200 });
  for (const r of [lost, busy]) {
    setRequestState(r, 'pending');
    await storeRequest(other, r);
  }
  const ready = newNode({ provider: 'p', type: ['a'], allocated_to: lost.id, state: 'ready' });
  await storeNode(other, ready);
  const init = newNode({ provider: 'p', type: ['b'], allocated_to: lost.id, state: 'init' });
  await storeNode(other, init);
  const busyLock = await lockRequest(other, busy.id); // someone is still working on this one

  assert.deepEqual(await resetLostRequests(s), [lost.id]);
  const r = (await readRequest(s, lost.id))?.value;
  assert.equal(r?.state, 'requested');
  assert.deepEqual(r?.nodes, []);
  assert.equal((await readNode(s, ready.id))?.value.allocated_to, null);
  assert.equal((await readNode(s, ready.id))?.value.state, 'ready');
  assert.equal((await readNode(s, init.id))?.value.state, 'deleting');
  assert.equal((await readRequest(s, busy.id))?.value.state, 'pending', 'locked request untouched');
  await busyLock?.release();
  for (const id of [lost.id, busy.id]) await deleteRequest(other, id);
});

void test('request-lock GC removes parents of vanished requests once old enough', async () => {
  const keep = newRequest({ node_types: ['a'] });
  await submitRequest(other, keep);
  await other.ensurePath(requestLockPath(keep.id));
  await other.ensurePath(requestLockPath('100-0000009999'));
  const l = new ZkLock(other, requestLockPath('100-0000009998'));
  await l.acquire();
  await l.release();
  assert.deepEqual(await cleanupRequestLocks(s), [], 'nothing is 8 h old');
  const removed = await cleanupRequestLocks(s, 0, Date.now() + 1000);
  assert.ok(removed.includes('100-0000009998') && removed.includes('100-0000009999'), removed.join());
  assert.ok(!removed.includes(keep.id));
  assert.ok(await s.exists(requestLockPath(keep.id)));
  await deleteRequest(other, keep.id);
});

void test('builds (uuid hex ids), uploads (seq10 ids), most recent ready upload, pause and request-build flags', async () => {
  const build = (state: ImageBuild['state']): ImageBuild => ({
    image: 'ubuntu-jammy',
    id: '',
    state,
    state_time: Date.now() / 1000,
    builder: 'nb01',
    builder_id: null,
    formats: ['qcow2'],
    username: null,
    python_path: null,
    shell_type: null,
    extra: new Map(),
  });
  const b1 = build('ready');
  assert.match(await storeBuild(s, b1), /^[0-9a-f]{32}$/);
  // a lock child, as the builder creates, must not be read as a build
  await s.ensurePath(`/nodepool/images/ubuntu-jammy/builds/lock`);
  const upload = (state: ImageUpload['state'], t: number): ImageUpload => ({
    image: 'ubuntu-jammy',
    build_id: b1.id,
    provider: 'rax-dfw',
    id: '',
    state,
    state_time: t,
    external_id: `img-${t}`,
    external_name: `ubuntu-jammy-${t}`,
    format: 'qcow2',
    username: 'zuul',
    python_path: 'auto',
    shell_type: null,
    extra: new Map(),
  });
  await s.ensurePath(uploadLockPath('ubuntu-jammy', b1.id, 'rax-dfw')); // takes sequence 0
  const u1 = upload('ready', 100);
  assert.equal(await storeUpload(s, u1), '0000000001');
  const u2 = upload('ready', 200);
  await storeUpload(s, u2);
  await storeUpload(s, upload('uploading', 300));
  assert.equal((await mostRecentUpload(s, 'ubuntu-jammy', 'rax-dfw'))?.id, u2.id);
  assert.equal((await readUploads(s, 'ubuntu-jammy', b1.id, 'rax-dfw')).length, 3);
  const builds = await readBuilds(s, 'ubuntu-jammy');
  assert.deepEqual(
    builds.map((b) => b.id),
    [b1.id],
  );
  b1.state = 'deleting';
  await storeBuild(s, b1);
  assert.equal((await readBuilds(s, 'ubuntu-jammy'))[0]?.state, 'deleting');

  assert.equal(await isImagePaused(s, 'ubuntu-jammy'), false);
  await pauseImage(s, 'ubuntu-jammy');
  await pauseImage(s, 'ubuntu-jammy');
  assert.equal(await isImagePaused(s, 'ubuntu-jammy'), true);
  assert.equal((await s.get('/nodepool/images/ubuntu-jammy/pause')).data.length, 0, 'flags are empty znodes');
  await unpauseImage(s, 'ubuntu-jammy');
  assert.equal(await isImagePaused(s, 'ubuntu-jammy'), false);
  await requestImageBuild(s, 'ubuntu-jammy');
  assert.equal(await isImageBuildRequested(s, 'ubuntu-jammy'), true);
  await clearImageBuildRequest(s, 'ubuntu-jammy');
  assert.equal(await isImageBuildRequested(s, 'ubuntu-jammy'), false);
});

void test('registrations: NP19 launcher (ephemeral, not sequential) and NP24 pool (CAS update) count for FAILED', async () => {
  await registerLauncher(other, { id: 'nl01-1234-PoolWorker.p-main', provider_name: 'p', supported_labels: ['b', 'a'], extra: new Map() });
  const stat = await s.exists('/nodepool/launchers/nl01-1234-PoolWorker.p-main');
  assert.notEqual(stat?.ephemeralOwner, 0n);
  assert.equal((await s.get('/nodepool/launchers/nl01-1234-PoolWorker.p-main')).data.toString(), '{"id": "nl01-1234-PoolWorker.p-main", "provider_name": "p", "supported_labels": ["a", "b"]}');
  const reg = await registerComponent<PoolComponent>(other, {
    kind: 'pool',
    hostname: 'nl02',
    state: 'running',
    version: '10.0.0',
    model_api: 0,
    id: 'nl02-PoolWorker.q-main-abc',
    name: 'main',
    provider_name: 'q',
    supported_labels: ['a'],
    priority: 100,
    paused: false,
  });
  assert.match(reg.path ?? '', /^\/nodepool\/components\/pool\/nl02\d{10}$/);
  await reg.update({ paused: true });
  const got = await s.get(reg.path as string);
  assert.equal(got.stat.version, 1);
  assert.ok(got.data.toString().includes('"paused": true'));
  assert.deepEqual((await registeredPoolIds(s)).sort(), ['nl01-1234-PoolWorker.p-main', 'nl02-PoolWorker.q-main-abc']);
  await reg.unregister();
  assert.deepEqual(await registeredPoolIds(s), ['nl01-1234-PoolWorker.p-main']);
});

void test('deleteNode: marks deleted, removes the lock parent and contenders of other sessions', async () => {
  const { node, lock } = await createNodeLocked(s, newNode({ provider: 'p', type: ['a'] }));
  await lock.release();
  const theirs = new ZkLock(other, nodeLockPath(node.id), 'cli');
  await theirs.acquire();
  setNodeState(node, 'used');
  await deleteNode(s, node);
  assert.equal(await s.exists(nodePath(node.id)), null);
});

void test('request watcher: Nodepool order, and catches up on what happened while the session was lost', async () => {
  const w = new RequestWatcher(s);
  const events: RequestEvent[] = [];
  w.on('event', (e: RequestEvent) => events.push(e));
  await w.start();
  const mk = async (prio: string, rel = 0) => {
    const r = newRequest({ node_types: ['a'], relative_priority: rel });
    await submitRequest(other, r, { priority: prio, ephemeral: false });
    return r;
  };
  const low = await mk('300');
  const high = await mk('100', 1);
  const higher = await mk('100', 0);
  const mine = [low.id, high.id, higher.id];
  await eventually('three added', () => mine.every((id) => events.some((e) => e.type === 'added' && e.id === id)));
  assert.deepEqual(
    w.sorted().map((r) => r.id).filter((id) => mine.includes(id)),
    [higher.id, high.id, low.id],
  );
  const addedBefore = events.filter((e) => e.type === 'added').length;
  const launcher = await registerComponent(s, { kind: 'launcher', hostname: 'nl09', state: 'running', version: '10.0.0', model_api: 0 });
  const firstPath = launcher.path;
  const newSession = new Promise((r) => s.once('session', r));
  // While this process is frozen (and its session expires), another client changes the tree.
  const script = [
    'import sys, time, json',
    'from kazoo.client import KazooClient',
    'zk = KazooClient(hosts=sys.argv[1]); zk.start()',
    'time.sleep(1)',
    `zk.delete("/nodepool/requests/${low.id}")`,
    `d = json.loads(zk.get("/nodepool/requests/${high.id}")[0]); d["relative_priority"] = 5; zk.set("/nodepool/requests/${high.id}", json.dumps(d).encode())`,
    'zk.create("/nodepool/requests/200-", json.dumps({"state": "requested", "state_time": 1.0, "node_types": ["z"]}).encode(), sequence=True)',
    'zk.stop()',
  ].join('\n');
  const py = runPython('-c', [script, zk().connectString], PYTHON);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 7000);
  await py;
  await newSession;
  await eventually('caught up', () => events.some((e) => e.type === 'deleted' && e.id === low.id) && events.some((e) => e.type === 'changed' && e.id === high.id) && events.filter((e) => e.type === 'added').length === addedBefore + 1, 15_000);
  assert.equal(w.get(high.id)?.value.relative_priority, 5);
  // the component registered itself again: a new sequential znode, the old one gone with the session
  await eventually('re-registered', async () => (await other.getChildren('/nodepool/components/launcher')).some((c) => `/nodepool/components/launcher/${c}` === launcher.path && launcher.path !== firstPath));
  assert.equal(await other.exists(firstPath as string), null);
  // watches are armed again on the new session
  const r = (await readRequest(other, higher.id))?.value;
  assert.ok(r);
  r.relative_priority = 9;
  await storeRequest(other, r);
  await eventually('live change after recovery', () => w.get(higher.id)?.value.relative_priority === 9);
  // the same stream as an async iterator
  const ac = new AbortController();
  const it = w.events(ac.signal);
  const first = it.next();
  await deleteRequest(other, higher.id);
  const ev = (await first).value;
  assert.equal(ev?.type, 'deleted');
  assert.equal(ev?.id, higher.id);
  ac.abort();
  assert.equal((await it.next()).done, true);
  w.stop();
});

void test('node watcher: state changes keep coming after a server restart (same session, watches re-sent)', async () => {
  const w = new NodeWatcher(s);
  const changes: NodeStateChange[] = [];
  w.onStateChange((c) => changes.push(c));
  await w.start();
  const n = newNode({ provider: 'p', type: ['a'], state: 'ready' });
  await storeNode(other, n);
  await eventually('added', () => changes.some((c) => c.id === n.id && c.from === null && c.to === 'ready'));
  await zk().kill();
  await zk().start();
  await s.waitConnected(20_000);
  await other.waitConnected(20_000);
  setNodeState(n, 'in-use');
  await storeNode(other, n);
  setNodeState(n, 'used');
  await storeNode(other, n);
  await eventually('used seen', () => changes.some((c) => c.id === n.id && c.to === 'used'));
  assert.deepEqual(w.inState('used').map((x) => x.id), [n.id]);
  await deleteNode(other, n);
  await eventually('deleted seen', () => changes.some((c) => c.id === n.id && c.to === null));
  w.stop();
});

void test('a step re-run after a crash: a contender queued behind Zuul does not hold the node, and nothing is deallocated under Zuul', async () => {
  const { node, lock: launchLock } = await createNodeLocked(s, newNode({ provider: 'p', type: ['a'], allocated_to: '200-0000000001' }));
  setNodeState(node, 'ready');
  await storeNode(s, node);
  await launchLock.release(); // our fulfilment let go of it (the crash came after)
  const zuul = await lockNode(other, node.id, { blocking: false });
  assert.ok(zuul, 'Zuul takes the node');
  // our lock holder, retried after the crash, queues behind Zuul
  const ours = { lockPath: nodeLockPath(node.id), token: 'token-after-crash' };
  const queued = new ZkLock(s, ours.lockPath, ours.token).acquire({ blocking: true, timeoutMs: 10_000 });
  await eventually('our contender queued', async () => (await s.getChildren(ours.lockPath)).length === 2);
  assert.equal(await holdsLock(s, ours), false, 'queued is not holding');
  assert.equal(await deallocateNode(s, node.id, { ours: false }), false);
  assert.equal((await readNode(s, node.id))?.value.allocated_to, '200-0000000001', 'the node Zuul holds keeps its allocation');
  await zuul.release();
  assert.equal(await queued, true);
  assert.equal(await holdsLock(s, ours), true, 'first in line now');
  assert.equal(await deallocateNode(s, node.id, { ours: true }), true);
  assert.equal((await readNode(s, node.id))?.value.allocated_to, null);
  await deleteNode(s, node);
});

void test('fulfil after Zuul cancelled: nodes deallocated and unlocked, request lock released', async () => {
  const r = newRequest({ node_types: ['a'], requestor: 'zuul' });
  await submitRequest(other, r, { ephemeral: false, priority: 200 });
  const lock = await lockRequest(s, r.id);
  const { node, lock: nodeLock } = await createNodeLocked(s, newNode({ provider: 'p', type: ['a'], allocated_to: r.id }));
  setNodeState(node, 'ready');
  await storeNode(s, node);
  await deleteRequest(other, r.id); // Zuul cancels without locking
  assert.equal(await fulfilRequest(s, r, [{ node, lock: nodeLock }], lock), 'gone');
  const after = (await readNode(s, node.id))?.value;
  assert.equal(after?.state, 'ready');
  assert.equal(after?.allocated_to, null);
  assert.deepEqual(await s.getChildren(nodeLockPath(node.id)), []);
  assert.deepEqual(await s.getChildren(requestLockPath(r.id)), []);
  assert.equal(await s.exists(`/nodepool/requests/${r.id}`), null, 'a vanished request is never re-created');
  await deleteNode(s, node);
});
