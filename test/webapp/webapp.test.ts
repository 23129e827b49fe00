// The status web app over HTTP against a real ZooKeeper: endpoints, text and JSON shapes (incl.
// Nodepool's age inconsistency), fields, node_id, caching headers, 304, exact paths, Accept
// negotiation, /ready and /healthz.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useZooKeeper } from '../harness/servers';
import { freshSession, seedBuild, seedNode, seedPool, seedRequest, seedUpload, sleep, tableRows } from '../status/helpers';
import { startWebApp, type WebApp } from '../../workers/webapp';
import { type ImageBuild, type ImageUpload } from '../../lib/model/image';
import { type Node } from '../../lib/model/node';
import { type NodeRequest } from '../../lib/model/node-request';
import { type ZkSession } from '../../lib/zk/session';

const zk = useZooKeeper();
let s: ZkSession;
let app: WebApp;
let ready = false;
let node: Node;
let request: NodeRequest;
let build: ImageBuild;
let upload: ImageUpload;

before(async () => {
  s = (await freshSession(zk)).s;
  node = await seedNode(s, { state_time: Date.now() / 1000 - 90061 });
  request = await seedRequest(s);
  build = await seedBuild(s, 'fake-image');
  upload = await seedUpload(s, build, 'fake-provider');
  await seedPool(s, 'fake-provider', ['fake-label']);
  app = await startWebApp({ session: () => s, isReady: () => ready }, { port: 0, listenAddress: '127.0.0.1' });
});
after(async () => {
  await app?.close();
  await s?.close();
});

function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> {
  return fetch(`http://127.0.0.1:${app.port}${path}`, { headers, method });
}
const JSON_ACCEPT = { Accept: 'application/json' };

void test('/image-list as text for browsers, text/plain and no Accept', async () => {
  for (const accept of ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'text/plain', undefined]) {
    const res = await get('/image-list', accept ? { Accept: accept } : {});
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=UTF-8');
    const body = await res.text();
    assert.ok(body.includes('fake-image'), body);
    assert.equal(body.split('\n')[1], '| Build ID                         | Upload ID  | Provider      | Image      | Provider Image Name | Provider Image ID | State | Age         |');
  }
});

void test('/image-list?fields=id,image,state keeps only those columns', async () => {
  const body = await (await get('/image-list?fields=id,image,state')).text();
  assert.deepEqual(tableRows(body), [[build.id, 'fake-image', 'ready']]);
  assert.equal(body.split('\n')[1], '| Build ID                         | Image      | State |');
});

void test('/image-list and /dib-image-list JSON: all keys, epoch int ages, lists stay lists', async () => {
  const res = await get('/image-list?fields=id', JSON_ACCEPT);
  assert.equal(res.headers.get('content-type'), 'application/json');
  const uploads = (await res.json()) as Array<Record<string, unknown>>;
  assert.deepEqual(uploads, [{ id: build.id, upload_id: upload.id, provider: 'fake-provider', image: 'fake-image', external_name: 'fake-image-123', external_id: upload.external_id, state: 'ready', age: Math.trunc(upload.state_time) }]);
  const builds = (await (await get('/dib-image-list', JSON_ACCEPT)).json()) as Array<Record<string, unknown>>;
  assert.deepEqual(builds, [{ id: `fake-image-${build.id}`, image: 'fake-image', builder: 'builder01', formats: ['qcow2'], state: 'ready', age: Math.trunc(build.state_time) }]);
});

void test('/image-status JSON: paused bool, build_request null', async () => {
  const rows = (await (await get('/image-status', JSON_ACCEPT)).json()) as unknown;
  assert.deepEqual(rows, [{ image: 'fake-image', paused: false, build_request: null, build_request_age: null }]);
});

void test('/node-list JSON: Nodepool keys, formatted age string, node_id filter, unknown id → []', async () => {
  const rows = (await (await get('/node-list', JSON_ACCEPT)).json()) as Array<Record<string, unknown>>;
  assert.equal(rows.length, 1);
  const row = rows[0] as Record<string, unknown>;
  assert.deepEqual(Object.keys(row), ['id', 'provider', 'label', 'server_id', 'public_ipv4', 'ipv6', 'state', 'age', 'locked', 'pool', 'hostname', 'private_ipv4', 'AZ', 'username', 'connection_port', 'launcher', 'allocated_to', 'hold_job', 'comment', 'user_data', 'driver_data']);
  assert.equal(row.id, node.id);
  assert.equal(row.ipv6, '');
  assert.deepEqual(row.label, ['fake-label']);
  assert.equal(row.connection_port, 22);
  assert.equal(row.state, 'ready');
  assert.equal(row.locked, 'unlocked');
  assert.match(String(row.age), /^01:01:01:0\d$/);
  const one = (await (await get(`/node-list?node_id=${node.id}`, JSON_ACCEPT)).json()) as unknown[];
  assert.equal(one.length, 1);
  assert.deepEqual(await (await get('/node-list?node_id=9999999999', JSON_ACCEPT)).json(), []);
  const text = await (await get(`/node-list?node_id=${node.id}&fields=id,state`)).text();
  assert.deepEqual(tableRows(text), [[node.id, 'ready']]);
});

void test('/request-list and /label-list JSON', async () => {
  const reqs = (await (await get('/request-list', JSON_ACCEPT)).json()) as Array<Record<string, unknown>>;
  assert.deepEqual(reqs, [{ id: request.id, relative_priority: 0, state: 'requested', requestor: 'test', node_types: ['fake-label'], nodes: [], declined_by: [], event_id: 'e1' }]);
  assert.deepEqual(await (await get('/label-list', JSON_ACCEPT)).json(), [{ label: 'fake-label' }]);
  assert.equal(await (await get('/label-list')).text(), ['+------------+', '| Label      |', '+------------+', '| fake-label |', '+------------+'].join('\n'));
});

void test('caching headers, 1 s cache per (path, query, format), If-Modified-Since → 304', async () => {
  const res = await get('/request-list?x=1', JSON_ACCEPT);
  assert.equal(res.headers.get('cache-control'), 'public, max-age=1');
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  const lastModified = res.headers.get('last-modified') ?? '';
  const expires = res.headers.get('expires') ?? '';
  assert.equal(Date.parse(expires) - Date.parse(lastModified), 1000, `${lastModified} / ${expires}`);
  // a second request inside the second is served from the cache: the new request is not there yet
  await seedRequest(s);
  const cached = (await (await get('/request-list?x=1', JSON_ACCEPT)).json()) as unknown[];
  assert.equal(cached.length, 1);
  const fresh = (await (await get('/request-list?x=2', JSON_ACCEPT)).json()) as unknown[];
  assert.equal(fresh.length, 2, 'another query string is another cache entry');
  const notModified = await get('/request-list?x=2', { ...JSON_ACCEPT, 'If-Modified-Since': new Date(Date.now() + 5000).toUTCString() });
  assert.equal(notModified.status, 304);
  assert.equal(await notModified.text(), '');
  assert.equal(notModified.headers.get('cache-control'), 'public, max-age=1');
  const modified = await get('/request-list?x=2', { ...JSON_ACCEPT, 'If-Modified-Since': new Date(Date.now() - 60_000).toUTCString() });
  assert.equal(modified.status, 200);
  await sleep(1100);
  assert.equal(((await (await get('/request-list?x=1', JSON_ACCEPT)).json()) as unknown[]).length, 2, 'expired after 1 s');
});

void test('exact paths: trailing slash and unknown paths are 404; other methods 405; HEAD has no body', async () => {
  assert.equal((await get('/image-list/')).status, 404);
  assert.equal((await get('/nope')).status, 404);
  assert.equal((await get('/')).status, 404);
  assert.equal((await get('/image-list', {}, 'POST')).status, 405);
  const head = await get('/image-list', {}, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
});

void test('an Accept header matching none of the offers is 406 (Nodepool: 500)', async () => {
  const res = await get('/node-list', { Accept: 'image/png' });
  assert.equal(res.status, 406);
});

void test('/ready: 503 until the launcher is ready, then 200 OK; never cached', async () => {
  ready = false;
  const before = await get('/ready');
  assert.equal(before.status, 503);
  ready = true;
  const after = await get('/ready');
  assert.equal(after.status, 200);
  assert.equal(await after.text(), 'OK');
  assert.equal(after.headers.get('content-type'), 'text/plain; charset=UTF-8');
  assert.equal(after.headers.get('cache-control'), 'no-store');
});

void test('/healthz: 200 while the ZooKeeper session is connected, 503 otherwise', async () => {
  const ok = await get('/healthz');
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { status: 'ok', zookeeper: 'connected' });
  const { s: other } = await freshSession(zk);
  const app2 = await startWebApp({ session: () => other, isReady: () => true }, { port: 0, listenAddress: '127.0.0.1' });
  try {
    await other.close();
    const res = await fetch(`http://127.0.0.1:${app2.port}/healthz`);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { status: 'unavailable', zookeeper: 'closed' });
    // listings on a closed session: 503, not a crash
    assert.equal((await fetch(`http://127.0.0.1:${app2.port}/node-list`)).status, 503);
  } finally {
    await app2.close();
  }
});
