// A Zuul written with kazoo (test/zuul/zuul_standin.py) against this layer acting as the
// launcher: the whole of spec §6 (request → pending → node init/building/ready → fulfilled →
// Zuul locks, deletes the request, in-use, used → launcher deletes the node), the decline/FAILED
// variant and a 2019-style scheduler. Every znode is checked against the spec on the way.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { useZooKeeper } from '../harness/servers';
import { ZkSession } from '../../lib/zk/session';
import { RequestWatcher, type RequestEvent } from '../../lib/zk/watchers/request-watcher';
import { NodeWatcher, type NodeStateChange } from '../../lib/zk/watchers/node-watcher';
import { lockRequest, readRequest, storeRequest } from '../../lib/zk/operations/requests';
import { createNodeLocked, deleteNode, lockNode, readNode, storeNode } from '../../lib/zk/operations/nodes';
import { fulfilRequest } from '../../lib/zk/operations/fulfil';
import { declineRequest } from '../../lib/zk/operations/decline';
import { registerComponent, type ComponentRegistration } from '../../lib/zk/operations/components';
import { newNode, setNodeState } from '../../lib/zk/codec-node';
import { setRequestState } from '../../lib/zk/codec-request';
import { parseRawObject } from '../../lib/zk/json';
import { isLocked, sortContenders } from '../../lib/zk/lock';
import { requestLockPath, nodeLockPath, nodePath, requestPath } from '../../lib/zk/paths';
import { type NodeRequest } from '../../lib/model/node-request';
import { type PoolComponent } from '../../lib/model/component';
import { runPython } from './py';
import { eventually, serverReady } from './helpers';

const STANDIN = join(__dirname, '../zuul/zuul_standin.py');
const POOL_ID = 'nl01.example.com-PoolWorker.rax-dfw-main-9c5e0a7b3f1e4d2c8b6a5f4e3d2c1b0a';

const zk = useZooKeeper();
let s: ZkSession;
let pool: ComponentRegistration<PoolComponent>;
let requests: RequestWatcher;
let nodes: NodeWatcher;

before(async () => {
  await serverReady(zk);
  s = await ZkSession.connect({ servers: zk().connectString, sessionTimeoutMs: 10_000 });
  await registerComponent(s, { kind: 'launcher', hostname: 'nl01', state: 'running', version: '10.0.0', model_api: 0 });
  pool = await registerComponent<PoolComponent>(s, {
    kind: 'pool',
    hostname: 'nl01',
    state: 'running',
    version: '10.0.0',
    model_api: 0,
    id: POOL_ID,
    name: 'main',
    provider_name: 'rax-dfw',
    supported_labels: ['ubuntu-jammy', 'ubuntu-noble'],
    priority: 100,
    paused: false,
  });
  requests = new RequestWatcher(s);
  nodes = new NodeWatcher(s);
  await requests.start();
  await nodes.start();
});
after(async () => {
  requests?.stop();
  nodes?.stop();
  await s?.close();
});

function standin(...args: string[]): Promise<Record<string, unknown>> {
  return runPython(STANDIN, ['--hosts', zk().connectString, ...args]).then((out) => JSON.parse(out) as Record<string, unknown>);
}

function nextRequest(): Promise<NodeRequest> {
  return new Promise((resolve) => {
    const on = (ev: RequestEvent) => {
      if (ev.type === 'added' && ev.value.state === 'requested') {
        requests.off('event', on);
        resolve(ev.value);
      }
    };
    requests.on('event', on);
  });
}

async function rawDoc(path: string): Promise<Map<string, string>> {
  const got = await s.get(path);
  return new Map([...parseRawObject(got.data.toString('utf8'))].map(([k, v]) => [k, v.text]));
}

/** The launcher side of spec §6 phases C–E, built only from lib/zk operations. */
async function serve(req: NodeRequest): Promise<string[]> {
  const created = await rawDoc(requestPath(req.id));
  const lock = await lockRequest(s, req.id);
  assert.ok(lock, 'request lock taken non-blocking');
  const fresh = await readRequest(s, req.id);
  assert.equal(fresh?.value.state, 'requested');
  const r = (fresh as { value: NodeRequest }).value;
  setRequestState(r, 'pending');
  await storeRequest(s, r);
  // §6 item 9: the whole document, pending, Nodepool's defaults added, Zuul's fields byte-exact
  const pending = await rawDoc(requestPath(req.id));
  assert.deepEqual(
    [...pending.keys()],
    ['state', 'state_time', 'declined_by', 'node_types', 'nodes', 'reuse', 'requestor', 'requestor_data', 'provider', 'relative_priority', 'event_id', 'created_time', 'tenant_name'],
  );
  assert.equal(pending.get('state'), '"pending"');
  assert.equal(pending.get('declined_by'), '[]');
  assert.equal(pending.get('nodes'), '[]');
  assert.equal(pending.get('reuse'), 'true');
  for (const [k, v] of created) if (k !== 'state' && k !== 'state_time') assert.equal(pending.get(k), v, `${k} kept byte-exact`);

  const held = [];
  for (const label of r.node_types) {
    const n = newNode({ provider: 'rax-dfw', pool: 'main', type: [label], launcher: POOL_ID, allocated_to: r.id, tenant_name: r.tenant_name, requestor: r.requestor });
    const created = await createNodeLocked(s, n);
    // locked before building: the lock contender exists and the state is building
    const contenders = sortContenders(await s.getChildren(nodeLockPath(n.id)));
    assert.equal(contenders.length, 1);
    assert.equal((await readNode(s, n.id))?.value.state, 'building');
    Object.assign(n, {
      cloud: 'rax',
      region: 'DFW',
      az: 'nova',
      public_ipv4: '203.0.113.10',
      private_ipv4: '10.0.0.5',
      interface_ip: '203.0.113.10',
      host_id: 'host-1',
      external_id: 'server-uuid',
      username: 'zuul',
      connection_type: 'ssh',
      python_path: 'auto',
      host_keys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA'],
      resources: { cores: 8, instances: 1, ram: 8192 },
    });
    setNodeState(n, 'ready');
    await storeNode(s, n);
    held.push({ node: n, lock: created.lock });
  }
  assert.equal(await fulfilRequest(s, r, held, lock), 'fulfilled');
  return r.nodes;
}

void test('Zuul ≥ 5 stand-in: request, fulfil, accept, in-use, used, delete — every znode as in the spec', async () => {
  const seen = nextRequest();
  const states: NodeStateChange[] = [];
  nodes.onStateChange((c) => states.push(c));
  const zuul = standin('request', '--label', 'ubuntu-jammy', '--label', 'ubuntu-noble', '--priority', '200', '--wait', '--use', '--release', '--job-seconds', '0.5');
  const req = await seen;
  assert.match(req.id, /^200-\d{10}$/);
  const stat = await s.exists(requestPath(req.id));
  assert.equal(stat?.ephemeralOwner, 0n, 'Zuul ≥ 5 requests are persistent');
  assert.match(req.requestor_data?.text ?? '', /"trace_id": \d{30,}/, 'a 128-bit trace id to carry');

  const nodeIds = await serve(req);
  assert.deepEqual(await standin('audit'), { ok: true, problems: [] }, 'the tree as Zuul and the CLI need it');

  const out = await zuul;
  assert.equal(out.state, 'fulfilled', JSON.stringify(out));
  assert.equal(out.request_deleted, true);
  const final = out.final as { nodes: string[]; node_types: string[]; declined_by: string[]; reuse: boolean };
  assert.deepEqual(final.nodes, nodeIds);
  assert.equal(final.nodes.length, final.node_types.length);
  assert.deepEqual(final.declined_by, []);
  assert.equal(final.reuse, true);
  const atFulfil = out.nodes as Record<string, { state: string; allocated_to: string; type: string[]; ssh_port: number; connection_port: number }>;
  assert.deepEqual(
    nodeIds.map((id) => atFulfil[id]?.type[0]),
    ['ubuntu-jammy', 'ubuntu-noble'],
    'nodes[i] answers node_types[i]',
  );
  for (const id of nodeIds) {
    assert.equal(atFulfil[id]?.state, 'ready');
    assert.equal(atFulfil[id]?.allocated_to, req.id);
    assert.equal(atFulfil[id]?.ssh_port, 22);
  }
  const inUse = out.in_use as Record<string, { state: string; id: string; user_data: { zuul_system: string } }>;
  for (const id of nodeIds) {
    assert.equal(inUse[id]?.state, 'in-use');
    assert.equal(inUse[id]?.id, id);
    assert.match(inUse[id]?.user_data.zuul_system ?? '', /^[0-9a-f]{32}$/);
    assert.equal((out.lock_contenders as Record<string, string[]>)[id]?.length, 1, 'only Zuul holds the node lock while in use');
  }
  assert.deepEqual(
    Object.values(out.returned as Record<string, { state: string }>).map((n) => n.state),
    ['used', 'used'],
  );

  // the node watcher saw building → ready → in-use → used for each node
  for (const id of nodeIds) {
    const seq = states.filter((c) => c.id === id).map((c) => c.to);
    for (const st of ['ready', 'in-use', 'used'] as const) assert.ok(seq.includes(st), `${id}: ${seq.join(',')}`);
  }
  // we can read back what Zuul wrote (id, user_data kept as unknown/opaque)
  const used = await readNode(s, nodeIds[0] as string);
  assert.equal(used?.value.state, 'used');
  assert.equal(used?.value.extra.get('id')?.text, JSON.stringify(nodeIds[0]));

  // phase G: the launcher deletes used, unlocked nodes
  for (const id of nodeIds) {
    const lock = await lockNode(s, id);
    assert.ok(lock, 'Zuul released the node lock');
    const n = (await readNode(s, id))?.value;
    assert.ok(n);
    setNodeState(n, 'deleting');
    await storeNode(s, n);
    await deleteNode(s, n);
    assert.equal(await s.exists(nodePath(id)), null);
  }
  await eventually('watcher saw deletions', () => nodeIds.every((id) => states.some((c) => c.id === id && c.to === null)));
  assert.equal(await s.exists(requestPath(req.id)), null, 'Zuul deleted its request');
  assert.ok(await s.exists(requestLockPath(req.id)), 'request lock parent stays (cleanup removes it after 8 h)');
  assert.deepEqual(await s.getChildren(requestLockPath(req.id)), []);
});

void test('audit catches what would break Zuul: reserved keys, missing keys, bad states', async () => {
  const n = newNode({ provider: 'p', type: ['a'], state: 'ready' });
  await storeNode(s, n);
  await s.set(nodePath(n.id), Buffer.from('{"state": "ready", "state_time": "soon", "name": "x", "type": ["a"]}'));
  const out = (await standin('audit')) as { ok: boolean; problems: string[] };
  assert.equal(out.ok, false);
  for (const p of ['state_time is not a number', 'reserved key name', 'no ssh_port']) assert.ok(out.problems.some((x) => x.includes(p)), `${p}: ${out.problems.join('; ')}`);
  await s.deleteRecursive(nodePath(n.id));
});

void test('decline with the only registered pool: request FAILED, Zuul deletes it', async () => {
  const seen = nextRequest();
  const zuul = standin('request', '--label', 'centos-9', '--wait', '--timeout', '30');
  const req = await seen;
  const lock = await lockRequest(s, req.id);
  const r = (await readRequest(s, req.id))?.value as NodeRequest;
  assert.equal(await declineRequest(s, r, POOL_ID, lock), 'failed');
  const out = await zuul;
  assert.equal(out.state, 'failed');
  assert.deepEqual((out.final as { declined_by: string[] }).declined_by, [POOL_ID]);
  assert.equal(out.deleted, true);
  await eventually('request gone', async () => (await s.exists(requestPath(req.id))) === null);
});

void test('decline with another pool registered: back to requested, then FAILED when it declines too', async () => {
  const other = await registerComponent<PoolComponent>(s, { ...pool.content, hostname: 'nl02', id: 'nl02-PoolWorker.other-main-1' });
  try {
    const seen = nextRequest();
    const zuul = standin('request', '--label', 'centos-9', '--wait', '--timeout', '30');
    const req = await seen;
    let lock = await lockRequest(s, req.id);
    let r = (await readRequest(s, req.id))?.value as NodeRequest;
    assert.equal(await declineRequest(s, r, POOL_ID, lock), 'requested');
    assert.equal((await readRequest(s, req.id))?.value.state, 'requested');
    lock = await lockRequest(s, req.id);
    r = (await readRequest(s, req.id))?.value as NodeRequest;
    assert.equal(await declineRequest(s, r, 'nl02-PoolWorker.other-main-1', lock), 'failed');
    const out = await zuul;
    assert.equal(out.state, 'failed');
    assert.deepEqual((out.final as { declined_by: string[] }).declined_by, [POOL_ID, 'nl02-PoolWorker.other-main-1']);
  } finally {
    await other.unregister();
  }
});

void test('Z19 scheduler: ephemeral request with seven keys is fulfilled and accepted', async () => {
  const seen = nextRequest();
  const zuul = standin('request', '--z19', '--label', 'ubuntu-jammy', '--priority', '100', '--wait', '--use', '--release');
  const req = await seen;
  const stat = await s.exists(requestPath(req.id));
  assert.notEqual(stat?.ephemeralOwner, 0n, 'Z19 requests are ephemeral');
  assert.equal(req.requestor_data, null);
  const nodeIds = await serve(req);
  const out = await zuul;
  assert.equal(out.state, 'fulfilled', JSON.stringify(out));
  const final = out.final as Record<string, unknown>;
  for (const k of ['requestor_data', 'event_id', 'tenant_name', 'declined_by', 'nodes', 'reuse']) assert.ok(k in final, `${k} written`);
  const inUse = (out.in_use as Record<string, Record<string, unknown>>)[nodeIds[0] as string];
  assert.equal(inUse?.state, 'in-use');
  assert.equal(inUse?.user_data, null);
  for (const id of nodeIds) {
    const n = (await readNode(s, id))?.value;
    if (n) await deleteNode(s, n);
  }
});

void test('autohold: Zuul sets hold with hold_job and comment; we read it back', async () => {
  const seen = nextRequest();
  const zuul = standin('request', '--label', 'ubuntu-jammy', '--wait', '--use', '--hold', 'debugging a failure');
  const req = await seen;
  const [id] = await serve(req);
  const out = await zuul;
  assert.equal(out.state, 'fulfilled');
  const held = (await readNode(s, id as string))?.value;
  assert.equal(held?.state, 'hold');
  assert.equal(held?.comment, 'debugging a failure');
  assert.match(held?.hold_job ?? '', /^example \S+ tox-py311 /);
  assert.equal(await isLocked(s, nodeLockPath(id as string)), false, 'Zuul unlocked after holding');
  if (held) await deleteNode(s, held);
});
