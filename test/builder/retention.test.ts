// Retention (spec §3.9) on a real ZooKeeper, with a stand-in cloud that records deletes: two newest
// ready builds kept, uploads of older builds deleted cloud first, failed and dead building records
// removed, leftovers on kept builds cleaned, obsolete providers emptied, failing cloud deletes
// retried, and an image gone from the config keeps nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createCleanupActivities } from '../../activities/builder/cleanup';
import { type BuilderContext } from '../../activities/builder/context';
import { BuildLocks } from '../../activities/builder/locks';
import { Semaphore } from '../../activities/builder/semaphore';
import { type CloudImage, type Provider } from '../../drivers/provider';
import { loadConfig, type NodepoolConfig } from '../../lib/config';
import { type ImageBuild, type ImageUpload, type BuildState, type UploadState } from '../../lib/model/image';
import { readBuild, readBuilds, readUploads, storeBuild, storeUpload } from '../../lib/zk/operations/images';
import { ZkSession } from '../../lib/zk/session';
import { startZooKeeper, type ZooKeeperServer } from '../../tools/servers/zookeeper';

let server: ZooKeeperServer;
let zk: ZkSession;
let config: NodepoolConfig;
let withoutImage: NodepoolConfig;

const IMG = 'ret-image';

async function writeAndLoad(dir: string, name: string, doc: Record<string, unknown>): Promise<NodepoolConfig> {
  const path = join(dir, name);
  writeFileSync(path, stringify({ 'zookeeper-servers': [{ host: '127.0.0.1', port: server.port }], 'images-dir': dir, ...doc }));
  return (await loadConfig(path)).config;
}

before(async () => {
  server = await startZooKeeper();
  zk = await ZkSession.connect({ servers: server.connectString });
  const dir = mkdtempSync(join(tmpdir(), 'retention-'));
  const pool = { name: 'main', 'max-servers': 1, labels: [{ name: 'l', diskimage: IMG, 'flavor-name': 'x' }] };
  const providers = [
    { name: 'p1', cloud: 'c', diskimages: [{ name: IMG }], pools: [pool] },
    { name: 'p9', cloud: 'c', diskimages: [], pools: [] },
  ];
  config = await writeAndLoad(dir, 'a.yaml', { labels: [{ name: 'l' }], diskimages: [{ name: IMG }], providers });
  withoutImage = await writeAndLoad(dir, 'b.yaml', { labels: [], diskimages: [], providers: [{ ...providers[0], diskimages: [], pools: [] }, providers[1]] });
});

after(async () => {
  await zk?.close();
  await server?.remove();
});

class FakeCloud {
  deleted: string[] = [];
  failing = new Set<string>();
  images: CloudImage[] = [];
  provider(): Provider {
    return {
      deleteImage: async (id: string) => {
        if (this.failing.has(id)) throw new Error(`cannot delete ${id}`);
        this.deleted.push(id);
        this.images = this.images.filter((i) => i.id !== id);
        return true;
      },
      listImages: async () => this.images,
    } as unknown as Provider;
  }
}

function context(cloud: FakeCloud, cfg: () => NodepoolConfig): BuilderContext {
  return {
    zk: () => zk,
    config: cfg,
    builderId: 'me',
    hostname: 'host',
    provider: () => cloud.provider(),
    imageFormatOf: () => undefined,
    stats: { increment: () => undefined, timing: () => undefined, gauge: () => undefined, close: async () => undefined },
    uploadSlots: new Semaphore(1),
    buildLocks: new BuildLocks(),
  };
}

let clock = 1_000_000;
async function build(state: BuildState, id: string): Promise<ImageBuild> {
  const b: ImageBuild = { image: IMG, id, state, state_time: clock++, builder: 'host', builder_id: 'me', formats: ['qcow2'], username: 'zuul', python_path: null, shell_type: null, extra: new Map() };
  await storeBuild(zk, b);
  return b;
}
async function upload(buildId: string, provider: string, state: UploadState, externalId: string | null): Promise<ImageUpload> {
  const u: ImageUpload = { image: IMG, build_id: buildId, provider, id: '', state, state_time: clock++, external_id: externalId, external_name: externalId, format: 'qcow2', username: 'zuul', python_path: null, shell_type: null, extra: new Map() };
  await storeUpload(zk, u);
  return u;
}

void test('retention keeps two ready builds and cleans everything else, cloud first', async () => {
  const cloud = new FakeCloud();
  const { cleanupDiskimage } = createCleanupActivities(context(cloud, () => config));
  await build('ready', 'b1');
  await upload('b1', 'p1', 'ready', 'img-1');
  await build('failed', 'bf');
  await build('building', 'bdead'); // a builder died mid-build: no lock, not ours
  await build('building', 'bnow'); // ours, running now
  await build('ready', 'b2');
  await upload('b2', 'p1', 'ready', 'img-2');
  await build('ready', 'b3');
  await upload('b3', 'p1', 'ready', 'img-3');
  const dead = await upload('b3', 'p1', 'uploading', null); // an upload that died (A15: look for its image)
  cloud.images.push({ id: 'partial', name: 'x', status: 'queued', properties: { nodepool_build_id: 'b3', nodepool_upload_id: dead.id, nodepool_provider_name: 'p1' } });
  await upload('b3', 'p9', 'ready', 'img-9'); // p9 does not list the image any more
  await upload('b3', 'p1', 'deleting', 'img-op'); // nodepool image-delete by an operator

  const r = await cleanupDiskimage({ name: IMG, activeBuilds: ['bnow'], activeUploads: [] });
  assert.deepEqual(cloud.deleted.sort(), ['img-1', 'img-9', 'img-op', 'partial'].sort());
  assert.deepEqual(r.removable.map((x) => x.buildId).sort(), ['b1', 'bdead', 'bf']);
  assert.deepEqual(r.operatorDeleted, [{ buildId: 'b3', provider: 'p1' }]);
  assert.equal(r.failedDeletes, 0);
  for (const id of ['b1', 'bf', 'bdead']) assert.equal((await readBuild(zk, IMG, id))?.value.state, 'deleting', id);
  assert.equal((await readBuild(zk, IMG, 'bnow'))?.value.state, 'building', 'the active build is left alone');
  assert.deepEqual((await readUploads(zk, IMG, 'b3', 'p1')).map((u) => u.external_id), ['img-3']);
  assert.deepEqual(await readUploads(zk, IMG, 'b3', 'p9'), []);
  assert.equal((await readUploads(zk, IMG, 'b2', 'p1')).length, 1, 'b2 is kept with its upload');
});

void test('a failing cloud delete keeps the upload deleting and the build until it works', async () => {
  const cloud = new FakeCloud();
  const { cleanupDiskimage } = createCleanupActivities(context(cloud, () => config));
  await build('ready', 'b4');
  await upload('b4', 'p1', 'ready', 'img-4');
  // now b3 and b4 are kept; b2 goes
  cloud.failing.add('img-2');
  const r1 = await cleanupDiskimage({ name: IMG, activeBuilds: [], activeUploads: [] });
  assert.equal(r1.failedDeletes, 1);
  assert.ok(!r1.removable.some((x) => x.buildId === 'b2'));
  assert.equal((await readUploads(zk, IMG, 'b2', 'p1'))[0]?.state, 'deleting');
  assert.equal((await readBuild(zk, IMG, 'b2'))?.value.state, 'deleting', 'files may go while the cloud delete is retried');
  cloud.failing.clear();
  const r2 = await cleanupDiskimage({ name: IMG, activeBuilds: [], activeUploads: [] });
  assert.ok(r2.removable.some((x) => x.buildId === 'b2'));
  assert.ok(cloud.deleted.includes('img-2'));
});

void test('an image gone from the config keeps nothing', async () => {
  const cloud = new FakeCloud();
  const { cleanupDiskimage } = createCleanupActivities(context(cloud, () => withoutImage));
  const r = await cleanupDiskimage({ name: IMG, activeBuilds: [], activeUploads: [] });
  const left = await readBuilds(zk, IMG);
  assert.ok(left.every((b) => b.state === 'deleting'), 'every build marked deleting');
  assert.ok(cloud.deleted.includes('img-3') && cloud.deleted.includes('img-4'));
  assert.ok(r.removable.some((x) => x.buildId === 'b3') && r.removable.some((x) => x.buildId === 'b4'));
});
