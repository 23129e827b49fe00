// nodepool-builder under failure (fake DIB, real ZooKeeper, Temporal and simulator): builder
// killed -9 mid-upload resumes with nothing orphaned; a Glance failure is retried; a failing
// build and a build past build-timeout leave no files behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBuilds, readUploads } from '../../lib/zk/operations/images';
import { type ImageUpload } from '../../lib/model/image';
import { builds, cloudImages, filesOf, IMAGE, nodepool, readyUpload } from './helpers';
import { CLOUD_QCOW2, CLOUD_RAW, eventually, useBuilderStack, type BuilderStack } from './stack';

const pool = { name: 'main', 'max-servers': 1, labels: [{ name: 'fake-label', diskimage: IMAGE, 'flavor-name': 'm1.small' }] };
const config = (extraImages: Array<Record<string, unknown>> = []) => ({
  labels: [{ name: 'fake-label' }],
  diskimages: [{ name: IMAGE, elements: ['fedora'], release: 21 }, ...extraImages],
  providers: [
    { name: 'p1', cloud: CLOUD_QCOW2, rate: 0, diskimages: [{ name: IMAGE }, ...extraImages.map((d) => ({ name: d.name }))], pools: [pool] },
    { name: 'p2', cloud: CLOUD_RAW, rate: 0, diskimages: [{ name: IMAGE }], pools: [pool] },
  ],
});

const stack = useBuilderStack(() => config());

/** Every upload record of an image, any build, any provider. */
async function allUploads(s: BuilderStack, image = IMAGE): Promise<ImageUpload[]> {
  const out: ImageUpload[] = [];
  for (const b of await readBuilds(s.zk, image)) for (const p of ['p1', 'p2']) out.push(...(await readUploads(s.zk, image, b.id, p)));
  return out;
}

/** No cloud image without a ready upload record, and no record left half-done. */
async function assertNothingOrphaned(s: BuilderStack): Promise<void> {
  await eventually('cloud and ZooKeeper agree', async () => {
    const uploads = await allUploads(s);
    const ready = new Set(uploads.filter((u) => u.state === 'ready').map((u) => u.external_id));
    const imgs = await cloudImages(s);
    const orphans = imgs.filter((i) => !ready.has(i.id));
    const halfDone = uploads.filter((u) => u.state !== 'ready');
    return orphans.length === 0 && halfDone.length === 0 && imgs.length === ready.size;
  }, 60_000);
}

async function newestWithBothUploads(s: BuilderStack, after: string[] = []) {
  return eventually('a new build uploaded to p1 and p2', async () => {
    const b = (await builds(s.zk, IMAGE, 'ready')).filter((x) => !after.includes(x.id)).at(-1);
    if (!b) return null;
    return (await readyUpload(s.zk, IMAGE, b.id, 'p1')) && (await readyUpload(s.zk, IMAGE, b.id, 'p2')) ? b : null;
  }, 150_000);
}

void test('builder failures', async (t) => {
  const s = stack();
  Object.assign(process.env, s.env);
  try {
    await t.test('builder killed -9 mid-upload: the upload resumes, the partial image is removed', async () => {
      await s.sim.admin.injectFault({ service: 'image', method: 'PUT', pathRegex: '/file$', hang: true, times: 1 });
      s.startBuilder();
      await eventually('an upload hanging in Glance', async () => (await cloudImages(s)).some((i) => i.status !== 'active'), 60_000);
      const id = readFileSync(join(s.imagesDir, 'builder_id.txt'), 'utf8').trim();
      assert.match(id, /^[0-9a-f-]{36}$/);
      await s.killBuilder();
      const partial = (await cloudImages(s)).filter((i) => i.status !== 'active').map((i) => i.id);
      s.startBuilder();
      const b = await newestWithBothUploads(s);
      assert.equal(b.builder_id, id, 'the same builder (builder_id.txt) finished it');
      await assertNothingOrphaned(s);
      const ids = new Set((await cloudImages(s)).map((i) => i.id));
      for (const p of partial) assert.ok(!ids.has(p), `partial image ${p} deleted`);
    });

    await t.test('a Glance failure during upload is retried', async () => {
      const before = (await builds(s.zk, IMAGE)).map((b) => b.id);
      const fault = await s.sim.admin.injectFault({ service: 'image', method: 'PUT', pathRegex: '/file$', status: 503, times: 3 });
      assert.equal((await nodepool(s, ['image-build', IMAGE])).code, 0);
      await newestWithBothUploads(s, before);
      assert.ok(!(await s.sim.admin.faults()).some((f) => f.id === fault), 'all three injected failures were hit');
      await assertNothingOrphaned(s);
    });

    await t.test('builder killed -9 mid-build: the dead build and its files go, the requested build is made again', async () => {
      const pauseFile = join(s.imagesDir, 'fake-image-create.pause');
      writeFileSync(pauseFile, '');
      const before = (await builds(s.zk, IMAGE)).map((b) => b.id);
      assert.equal((await nodepool(s, ['image-build', IMAGE])).code, 0);
      const dead = await eventually('a build in progress', async () => (await builds(s.zk, IMAGE, 'building'))[0], 60_000);
      await s.killBuilder();
      rmSync(pauseFile);
      s.startBuilder();
      // the DIB activity's heartbeat timeout (2 min) tells the workflow the build died
      await newestWithBothUploads(s, [...before, dead.id]);
      await eventually('the dead build record is gone', async () => !(await builds(s.zk, IMAGE)).some((b) => b.id === dead.id), 60_000);
      await eventually('the dead build files are gone', async () => filesOf(s, IMAGE, dead.id).length === 0, 60_000);
      await assertNothingOrphaned(s);
    });

    await t.test('a failing build and a build past build-timeout leave no files', async () => {
      s.writeConfig(
        config([
          { name: 'broken-image', elements: ['fedora'], 'env-vars': { SHOULD_FAIL: 'true' } },
          { name: 'slow-image', elements: ['fedora'], 'build-timeout': 2, 'env-vars': { FAKE_DIB_SLEEP_SECONDS: '60' } },
        ]),
      );
      const seen = new Set<string>();
      await eventually('both failed builds recorded', async () => {
        for (const image of ['broken-image', 'slow-image']) for (const b of await readBuilds(s.zk, image)) if (b.state === 'failed') seen.add(image);
        return seen.size === 2;
      }, 90_000);
      await new Promise((r) => setTimeout(r, 1000));
      for (const image of ['broken-image', 'slow-image']) {
        assert.deepEqual(filesOf(s, image), [], `${image}: no files left`);
        assert.equal((await readBuilds(s.zk, image)).filter((b) => b.state === 'ready').length, 0);
      }
      const log = readFileSync(s.builderLog, 'utf8');
      assert.match(log, /Build timeout for image slow-image/);
      s.writeConfig(config());
      await eventually('removed diskimages lose their build records', async () => (await readBuilds(s.zk, 'broken-image')).length === 0 && (await readBuilds(s.zk, 'slow-image')).length === 0, 60_000);
    });
  } finally {
    await s.stopBuilder();
  }
});
