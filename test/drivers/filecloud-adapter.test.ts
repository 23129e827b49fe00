// FileCloud, the file-backed test cloud: servers boot after bootMs, waits poll the files, quota
// and faults come from quota.json / fault.json, and two instances on one directory share a cloud.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { FileCloud, readServers, setFault, writeServer } from '../../drivers/filecloud/adapter';
import { FatalCloudError, isQuotaMessage, NotFoundError, QuotaExceededError, ServerWaitTimeoutError, serverErrorToCloudError } from '../../drivers/errors';
import { type CreateServerRequest } from '../../drivers/provider';

function freshDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'filecloud-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function request(nodeId: string, over: Partial<CreateServerRequest> = {}): CreateServerRequest {
  return {
    nodeId,
    poolName: 'main',
    label: 'small-node',
    imageName: 'ubuntu',
    image: { uploadExternalId: 'upload-1' },
    flavor: { minRam: 1024 },
    ...over,
  };
}

void test('a created server is BUILD, then ACTIVE after bootMs (waitForServer), with Nodepool name and metadata', async (t) => {
  const dir = freshDir(t);
  const cloud = new FileCloud({ name: 'fc', stateDir: dir, bootMs: 200, pollMs: 10 });
  const created = await cloud.createServer(request('0000000001'));
  assert.equal(created.status, 'BUILD');
  assert.equal(created.name, 'np0000000001');
  assert.equal(created.flavorId, '1');
  assert.equal(created.imageId, 'upload-1');
  assert.equal(created.metadata.nodepool_provider_name, 'fc');
  assert.equal(created.metadata.nodepool_node_id, '0000000001');
  assert.equal(created.addresses.interfaceIp, '127.0.0.1');
  assert.equal((await cloud.getServer(created.id))?.status, 'BUILD');
  const started = Date.now();
  const active = await cloud.waitForServer(created.id, (s) => s?.status === 'ACTIVE', { timeoutMs: 5000 });
  assert.equal(active?.status, 'ACTIVE');
  assert.ok(Date.now() - started >= 150, 'waited for the boot');
  assert.equal(readServers(dir)[0]?.status, 'ACTIVE', 'status is computed on read');
});

void test('listNodepoolServers keeps only this provider’s servers, planted leaks included', async (t) => {
  const dir = freshDir(t);
  const cloud = new FileCloud({ name: 'fc', stateDir: dir });
  const mine = await cloud.createServer(request('0000000001'));
  const base = { status: 'ACTIVE', addresses: {}, volumeIds: [] };
  writeServer(dir, { ...base, id: 'leak', name: 'np0000000099', metadata: { nodepool_provider_name: 'fc', nodepool_node_id: '0000000099' } });
  writeServer(dir, { ...base, id: 'other', name: 'np0000000002', metadata: { nodepool_provider_name: 'someone-else' } });
  writeServer(dir, { ...base, id: 'pet', name: 'pet', metadata: {} });
  assert.equal((await cloud.listServers()).length, 4);
  assert.deepEqual((await cloud.listNodepoolServers()).map((s) => s.id).sort(), [mine.id, 'leak'].sort());
});

void test('deleteServer removes the server, and waitForServer(gone) resolves with null', async (t) => {
  const cloud = new FileCloud({ name: 'fc', stateDir: freshDir(t), pollMs: 10 });
  const s = await cloud.createServer(request('0000000001'));
  assert.equal(await cloud.deleteServer(s.id), true);
  assert.equal(await cloud.deleteServer(s.id), false, 'already gone');
  assert.equal(await cloud.getServer(s.id), null);
  assert.equal(await cloud.waitForServer(s.id, (x) => x === null, { timeoutMs: 1000 }), null);
});

void test('waitForServer rejects with ServerWaitTimeoutError after timeoutMs, and with the reason when aborted', async (t) => {
  const cloud = new FileCloud({ name: 'fc', stateDir: freshDir(t), bootMs: 60_000, pollMs: 10 });
  const s = await cloud.createServer(request('0000000001'));
  await assert.rejects(cloud.waitForServer(s.id, (x) => x?.status === 'ACTIVE', { timeoutMs: 100 }), (e: unknown) => {
    assert.ok(e instanceof ServerWaitTimeoutError);
    assert.equal(e.serverId, s.id);
    assert.equal(e.lastSeen?.status, 'BUILD');
    return true;
  });
  const ac = new AbortController();
  const reason = new Error('cancelled');
  const waiting = cloud.waitForServer(s.id, (x) => x?.status === 'ACTIVE', { signal: ac.signal });
  setTimeout(() => ac.abort(reason), 30);
  await assert.rejects(waiting, (e: unknown) => e === reason);
  await assert.rejects(cloud.waitForServer(s.id, () => true, { signal: ac.signal }), (e: unknown) => e === reason, 'already aborted');
});

void test('quota.json limits instances: the next create is refused with a Nova-like QuotaExceededError', async (t) => {
  const dir = freshDir(t);
  writeFileSync(join(dir, 'quota.json'), JSON.stringify({ instances: 1 }));
  const cloud = new FileCloud({ name: 'fc', stateDir: dir });
  await cloud.createServer(request('0000000001', { flavor: { flavorName: 'large' } }));
  await assert.rejects(cloud.createServer(request('0000000002')), (e: unknown) => {
    assert.ok(e instanceof QuotaExceededError);
    assert.match(e.message, /Quota exceeded for instances/);
    assert.ok(isQuotaMessage(e.message));
    return true;
  });
  const q = await cloud.getQuota();
  assert.deepEqual(q.instances, { max: 1, used: 1 });
  assert.deepEqual(q.cores, { max: Infinity, used: 4 });
  assert.deepEqual(q.ram, { max: Infinity, used: 8192 });
  assert.equal(q.volumes, undefined);
  assert.equal(readServers(dir).length, 1, 'nothing was created');
});

void test('fault.json: error gives an ERROR server, quota and fatal refuse the create, null clears it', async (t) => {
  const dir = freshDir(t);
  const cloud = new FileCloud({ name: 'fc', stateDir: dir });
  setFault(dir, { createServer: 'error' });
  const failed = await cloud.createServer(request('0000000001'));
  assert.equal(failed.status, 'ERROR');
  assert.deepEqual(failed.fault, { message: 'simulated failure' });
  assert.equal((await cloud.getServer(failed.id))?.status, 'ERROR', 'stays ERROR');
  assert.ok(serverErrorToCloudError(failed) instanceof FatalCloudError);
  setFault(dir, { createServer: 'quota' });
  await assert.rejects(cloud.createServer(request('0000000002')), QuotaExceededError);
  setFault(dir, { createServer: 'fatal' });
  await assert.rejects(cloud.createServer(request('0000000003')), FatalCloudError);
  setFault(dir, null);
  assert.equal((await cloud.createServer(request('0000000004'))).status, 'ACTIVE', 'bootMs 0: active at once');
});

void test('findFlavor follows Nodepool’s rule: min-ram picks the smallest fitting flavor, else name or id', async (t) => {
  const cloud = new FileCloud({ name: 'fc', stateDir: freshDir(t) });
  assert.equal((await cloud.findFlavor({ minRam: 1024 })).name, 'small');
  assert.equal((await cloud.findFlavor({ minRam: 4096 })).name, 'large');
  assert.equal((await cloud.findFlavor({ minRam: 1024, flavorName: 'arg' })).name, 'large', 'name contains');
  assert.equal((await cloud.findFlavor({ flavorName: 'small' })).id, '1');
  assert.equal((await cloud.findFlavor({ flavorName: '2' })).name, 'large', 'by id');
  await assert.rejects(cloud.findFlavor({ flavorName: 'sma' }), NotFoundError, 'without min-ram the name must match exactly');
  await assert.rejects(cloud.findFlavor({ minRam: 100_000 }), NotFoundError);
  await assert.rejects(cloud.createServer(request('0000000001', { flavor: { flavorName: 'huge' } })), NotFoundError);
});

void test('findCloudImage: an uploaded image by name or id, else a synthetic active cloud-<name>', async (t) => {
  const dir = freshDir(t);
  const cloud = new FileCloud({ name: 'fc', stateDir: dir });
  assert.deepEqual(await cloud.findCloudImage('fedora'), { id: 'cloud-fedora', name: 'fedora', status: 'active', properties: {} });
  const s = await cloud.createServer(request('0000000001', { image: { cloudImage: 'fedora' } }));
  assert.equal(s.imageId, 'cloud-fedora');

  const file = join(dir, 'disk.qcow2');
  writeFileSync(file, 'not really an image');
  const progress: [number, number][] = [];
  const up = await cloud.uploadImage({ name: 'ubuntu-0000000001', path: file, diskFormat: 'qcow2', properties: { nodepool_build_id: '1' }, onProgress: (a, b) => progress.push([a, b]) });
  assert.deepEqual(progress, [[19, 19]]);
  assert.equal(up.status, 'active');
  assert.deepEqual(await cloud.getImage(up.id), up);
  assert.equal((await cloud.findCloudImage('ubuntu-0000000001')).id, up.id);
  assert.equal((await cloud.findCloudImage(up.id)).id, up.id);
  assert.deepEqual((await cloud.listImages({ name: 'ubuntu-0000000001' })).map((i) => i.id), [up.id]);
  assert.equal(await cloud.deleteImage(up.id), true);
  assert.equal(await cloud.deleteImage(up.id), false);
  assert.equal(await cloud.getImage(up.id), null);
});

void test('a second FileCloud on the same directory sees the servers of the first', async (t) => {
  const dir = freshDir(t);
  const a = new FileCloud({ name: 'fc', stateDir: dir });
  const b = new FileCloud({ name: 'fc', stateDir: dir, pollMs: 10 });
  const s = await a.createServer(request('0000000001'));
  assert.deepEqual((await b.listNodepoolServers()).map((x) => x.id), [s.id]);
  assert.equal((await b.getServer(s.id))?.name, 'np0000000001');
  const gone = b.waitForServer(s.id, (x) => x === null, { timeoutMs: 2000 });
  await a.deleteServer(s.id);
  assert.equal(await gone, null);
});
