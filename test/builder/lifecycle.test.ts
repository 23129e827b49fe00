// nodepool-builder end to end (fake DIB, real ZooKeeper, Temporal and simulator): first build and
// upload to two providers, manual rebuild, rotation (third build deletes the oldest in the cloud
// and on disk), dib-image-delete of the newest makes the launcher fall back, pause, image-delete.
import { test } from 'node:test';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { newestReadyUpload } from '../../activities/launcher/images';
import { isImageBuildRequested } from '../../lib/zk/operations/images';
import { isLocked } from '../../lib/zk/lock';
import { componentKindPath, imageBuildLockPath } from '../../lib/zk/paths';
import { builds, cloudImages, filesOf, IMAGE, nodepool, readyUpload } from './helpers';
import { CLOUD_QCOW2, CLOUD_RAW, eventually, useBuilderStack, type BuilderStack } from './stack';

const provider = (name: string, cloud: string, extra: Record<string, unknown> = {}) => ({
  name,
  cloud,
  rate: 0,
  'image-name-format': '{image_name}-{upload_id}-{timestamp}',
  diskimages: [{ name: IMAGE, meta: { 'np-test': name }, ...extra }],
  pools: [{ name: 'main', 'max-servers': 1, labels: [{ name: 'fake-label', diskimage: IMAGE, 'flavor-name': 'm1.small' }] }],
});

const config = (opts: { pause?: boolean; withoutP2?: boolean } = {}) => ({
  labels: [{ name: 'fake-label' }],
  diskimages: [{ name: IMAGE, elements: ['fedora', 'vm'], release: 21, metadata: { purpose: 'test' }, ...(opts.pause ? { pause: true } : {}) }],
  providers: opts.withoutP2 ? [provider('p1', CLOUD_QCOW2)] : [provider('p1', CLOUD_QCOW2), provider('p2', CLOUD_RAW)],
});

const stack = useBuilderStack(() => config());

async function readyBuildsWithUploads(s: BuilderStack, n: number) {
  return eventually(`${n} ready builds with uploads on p1 and p2`, async () => {
    const ready = await builds(s.zk, IMAGE, 'ready');
    if (ready.length < n) return null;
    const newest = ready[ready.length - 1]!;
    const u1 = await readyUpload(s.zk, IMAGE, newest.id, 'p1');
    const u2 = await readyUpload(s.zk, IMAGE, newest.id, 'p2');
    return u1 && u2 ? { ready, newest, u1, u2 } : null;
  }, 120_000);
}

void test('builder lifecycle', async (t) => {
  const s = stack();
  Object.assign(process.env, s.env);
  const t0 = Date.now();
  s.startBuilder();
  try {
    let b1: string;
    await t.test('first build is uploaded to both providers with Nodepool records and properties', async () => {
      const { newest, u1, u2 } = await readyBuildsWithUploads(s, 1);
      console.log(`first build+upload from builder start: ${Date.now() - t0} ms`);
      b1 = newest.id;
      assert.match(b1, /^[0-9a-f]{32}$/);
      assert.deepEqual(newest.formats, ['qcow2', 'raw']);
      assert.ok(newest.builder_id && newest.builder);
      assert.equal(u1.id, '0000000001', 'as Nodepool: the upload lock znode took sequence 0');
      assert.equal(u1.format, 'qcow2');
      assert.equal(u2.format, 'raw');
      assert.match(u1.external_name ?? '', new RegExp(`^${IMAGE}-${u1.id}-\\d+$`));
      const imgs = await cloudImages(s);
      const img = imgs.find((i) => i.id === u1.external_id);
      assert.ok(img, 'p1 image in the cloud');
      assert.equal(img.status, 'active');
      assert.equal(img.properties.nodepool_build_id, b1);
      assert.equal(img.properties.nodepool_upload_id, u1.id);
      assert.equal(img.properties.nodepool_provider_name, 'p1');
      assert.equal(img.properties['np-test'], 'p1');
      assert.equal(img.properties.purpose, 'test');
      assert.deepEqual(filesOf(s, IMAGE, b1).filter((f) => /\.(qcow2|raw)$/.test(f)).sort(), [`${IMAGE}-${b1}.qcow2`, `${IMAGE}-${b1}.raw`]);
      const launch = await newestReadyUpload(s.zk, IMAGE, 'p1');
      assert.equal(launch?.upload.build_id, b1);
      const components = await s.zk.getChildren(componentKindPath('builder'));
      assert.equal(components.length, 1, 'one builder component registered');
      assert.ok(existsSync(join(s.dir, 'builder.pid')), 'pid file written');
      const host = hostname();
      const want = [
        /^nodepool\.dib_image_build\.fake-image\.status\.duration:\d+(\.\d+)?\|ms$/,
        /^nodepool\.dib_image_build\.fake-image\.status\.rc:0\|g$/,
        /^nodepool\.dib_image_build\.fake-image\.status\.last_build:\d+\|g$/,
        /^nodepool\.dib_image_build\.fake-image\.qcow2\.size:\d+\|g$/,
        /^nodepool\.image_update\.fake-image\.p1:\d+(\.\d+)?\|ms$/,
        /^nodepool\.image_update\.fake-image\.p2:1\|c$/,
        new RegExp(`^nodepool\\.builder\\.${host.replace(/\./g, '\\.')}\\.image\\.fake-image\\.build\\.state:0\\|g$`),
        new RegExp(`^nodepool\\.builder\\.${host.replace(/\./g, '\\.')}\\.image\\.fake-image\\.provider\\.p2\\.upload\\.state:0\\|g$`),
        /^nodepool\.image\.fake-image\.image_build_requests:0\|g$/,
        /^nodepool\.image_build_requests:0\|g$/,
      ];
      await eventually('builder statsd metrics', async () => want.every((re) => s.metrics.some((m) => re.test(m))), 15_000).catch((e: Error) => {
        throw new Error(`${e.message}\nmissing: ${want.filter((re) => !s.metrics.some((m) => re.test(m))).join(' ')}\ngot: ${[...new Set(s.metrics)].join(' ')}`);
      });
    });

    let b2: string;
    await t.test('image-build rebuilds at once and the launcher moves to the new upload', async () => {
      const started = Date.now();
      const r = await nodepool(s, ['image-build', IMAGE]);
      assert.equal(r.code, 0, r.stderr);
      const { newest } = await readyBuildsWithUploads(s, 2);
      console.log(`build+upload cycle (fake DIB, 2 providers), image-build to both uploads ready: ${Date.now() - started} ms`);
      b2 = newest.id;
      assert.notEqual(b2, b1);
      assert.equal((await newestReadyUpload(s.zk, IMAGE, 'p1'))?.upload.build_id, b2);
      await eventually('request-build flag cleared', async () => !(await isImageBuildRequested(s.zk, IMAGE)));
    });

    let b3: string;
    await t.test('a third build deletes the oldest build from the cloud, the disk and ZooKeeper', async () => {
      const oldUploads = [await readyUpload(s.zk, IMAGE, b1, 'p1'), await readyUpload(s.zk, IMAGE, b1, 'p2')];
      assert.equal((await nodepool(s, ['image-build', IMAGE])).code, 0);
      const { newest } = await readyBuildsWithUploads(s, 2);
      await eventually('build 1 removed', async () => {
        const all = await builds(s.zk, IMAGE);
        return all.every((b) => b.id !== b1) && all.some((b) => b.id !== b2 && b.state === 'ready');
      });
      b3 = (await builds(s.zk, IMAGE, 'ready')).at(-1)!.id;
      assert.notEqual(b3, b2);
      void newest;
      await eventually('build 1 files gone', async () => filesOf(s, IMAGE, b1).length === 0);
      const ids = new Set((await cloudImages(s)).map((i) => i.id));
      for (const u of oldUploads) assert.ok(u && !ids.has(u.external_id ?? ''), 'old cloud image deleted');
      assert.deepEqual((await builds(s.zk, IMAGE, 'ready')).map((b) => b.id), [b2, b3]);
    });

    await t.test('dib-image-delete of the newest makes the launcher fall back to the previous upload', async () => {
      await eventually('b3 uploaded', async () => (await newestReadyUpload(s.zk, IMAGE, 'p2'))?.upload.build_id === b3);
      const b3up = await readyUpload(s.zk, IMAGE, b3, 'p1');
      const r = await nodepool(s, ['dib-image-delete', `${IMAGE}-${b3}`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
      await eventually('launcher falls back to b2', async () => (await newestReadyUpload(s.zk, IMAGE, 'p1'))?.upload.build_id === b2);
      await eventually('b3 record gone', async () => (await builds(s.zk, IMAGE)).every((b) => b.id !== b3));
      await eventually('b3 files gone', async () => filesOf(s, IMAGE, b3).length === 0);
      assert.ok(!(await cloudImages(s)).some((i) => i.id === b3up?.external_id));
      assert.equal((await nodepool(s, ['dib-image-delete', `${IMAGE}-${b3}`])).stdout, `Build ${IMAGE}-${b3} not found\n`);
      // rebuild-age has not passed for b2: nothing new is built
      await new Promise((r2) => setTimeout(r2, 3000));
      assert.deepEqual((await builds(s.zk, IMAGE)).map((b) => b.id), [b1, b2].slice(1));
    });

    await t.test('image-delete of the current upload: deleted in the cloud and not uploaded again (Nodepool A10)', async () => {
      const p1 = (await newestReadyUpload(s.zk, IMAGE, 'p1'))!.upload;
      assert.equal(p1.build_id, b2);
      const bad = await nodepool(s, ['image-delete', '--provider', 'p1', '--image', IMAGE, '--build-id', b2, '--upload-id', '9999999999']);
      assert.equal(bad.stdout, 'Image upload not found\n');
      const r = await nodepool(s, ['image-delete', '--provider', 'p1', '--image', IMAGE, '--build-id', b2, '--upload-id', p1.id]);
      assert.equal(r.code, 0, r.stderr);
      await eventually('upload record gone', async () => !(await readyUpload(s.zk, IMAGE, b2, 'p1')) && (await builds(s.zk, IMAGE)).length > 0);
      await eventually('cloud image gone', async () => !(await cloudImages(s)).some((i) => i.id === p1.external_id));
      await new Promise((r2) => setTimeout(r2, 3000));
      assert.equal(await readyUpload(s.zk, IMAGE, b2, 'p1'), undefined, 'not uploaded again (Nodepool A10)');
    });

    await t.test('image-pause stops builds; image-build still submits and runs after unpause', async () => {
      assert.equal((await nodepool(s, ['image-pause', IMAGE])).code, 0);
      assert.equal((await nodepool(s, ['image-pause', IMAGE])).code, 0, 'idempotent');
      const before = (await builds(s.zk, IMAGE)).map((b) => b.id);
      assert.equal((await nodepool(s, ['image-build', IMAGE])).code, 0);
      await new Promise((r2) => setTimeout(r2, 4000));
      assert.deepEqual((await builds(s.zk, IMAGE)).map((b) => b.id), before, 'no build while paused');
      assert.ok(await isImageBuildRequested(s.zk, IMAGE), 'the request waits');
      assert.equal((await nodepool(s, ['image-unpause', IMAGE])).code, 0);
      await eventually('build after unpause', async () => (await builds(s.zk, IMAGE, 'ready')).some((b) => !before.includes(b.id)), 60_000);
    });

    await t.test('config pause: image-build refuses with Nodepool’s message and nothing is built', async () => {
      s.writeConfig(config({ pause: true }));
      await new Promise((r2) => setTimeout(r2, 1500));
      const r = await nodepool(s, ['image-build', IMAGE]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`Skipping build request for image ${IMAGE}; paused`));
      const r2 = await nodepool(s, ['image-build', 'no-such-image']);
      assert.equal(r2.code, 1);
      assert.match(r2.stderr, /Trying to build a non disk-image-builder image: no-such-image/);
      s.writeConfig(config());
    });

    await t.test('a provider-paused image is built and uploaded elsewhere, not there, until unpaused', async () => {
      const pausedP2 = { ...config(), providers: [provider('p1', CLOUD_QCOW2), provider('p2', CLOUD_RAW, { pause: true })] };
      s.writeConfig(pausedP2);
      await new Promise((r2) => setTimeout(r2, 1500));
      const before = (await builds(s.zk, IMAGE)).map((b) => b.id);
      assert.equal((await nodepool(s, ['image-build', IMAGE])).code, 0);
      const nb = await eventually('new build uploaded to p1', async () => {
        const b = (await builds(s.zk, IMAGE, 'ready')).find((x) => !before.includes(x.id));
        return b && (await readyUpload(s.zk, IMAGE, b.id, 'p1')) ? b : null;
      });
      await new Promise((r2) => setTimeout(r2, 3000));
      assert.equal(await readyUpload(s.zk, IMAGE, nb.id, 'p2'), undefined, 'nothing uploaded to the paused provider');
      s.writeConfig(config());
      await eventually('uploaded to p2 after unpause', async () => readyUpload(s.zk, IMAGE, nb.id, 'p2'));
    });

    await t.test('a provider that stops using the image loses its uploads; the other keeps its own', async () => {
      const p1Before = (await newestReadyUpload(s.zk, IMAGE, 'p1'))?.upload;
      const p2Before = (await newestReadyUpload(s.zk, IMAGE, 'p2'))?.upload;
      assert.ok(p1Before && p2Before);
      const p2 = { ...provider('p2', CLOUD_RAW), diskimages: [] };
      s.writeConfig({ ...config(), providers: [provider('p1', CLOUD_QCOW2), p2] });
      await eventually('p2 uploads gone', async () => !(await newestReadyUpload(s.zk, IMAGE, 'p2')), 60_000);
      await eventually('p2 cloud image gone', async () => !(await cloudImages(s)).some((i) => i.id === p2Before.external_id));
      assert.equal((await newestReadyUpload(s.zk, IMAGE, 'p1'))?.upload.id, p1Before.id);
    });

    await t.test('during a build: the image build lock is held, image-status says building, dib-image-delete refuses', async () => {
      const pauseFile = join(s.imagesDir, 'fake-image-create.pause');
      writeFileSync(pauseFile, '');
      try {
        assert.equal((await nodepool(s, ['image-build', IMAGE])).code, 0);
        const b = await eventually('a build in progress', async () => (await builds(s.zk, IMAGE, 'building'))[0]);
        await eventually('image build lock held', async () => isLocked(s.zk, imageBuildLockPath(IMAGE)));
        const st = await nodepool(s, ['image-status']);
        assert.match(st.stdout, new RegExp(`${IMAGE}.*building`));
        assert.equal((await nodepool(s, ['dib-image-delete', `${IMAGE}-${b.id}`])).stdout, 'Cannot delete a build in progress\n');
      } finally {
        rmSync(pauseFile, { force: true });
      }
      await eventually('build done and lock free', async () => (await builds(s.zk, IMAGE, 'building')).length === 0 && !(await isLocked(s.zk, imageBuildLockPath(IMAGE))));
    });

    await t.test('the diskimage workflow history replays deterministically', async () => {
      const runs = s.client.workflow.list({ query: `WorkflowId = 'diskimage/${IMAGE}'` });
      let replayed = 0;
      for await (const wf of runs) {
        const history = await s.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
        await Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, history, wf.runId);
        replayed++;
      }
      assert.ok(replayed >= 5, `replayed ${replayed} runs (one per build, continue-as-new)`);
    });

    await t.test('SIGTERM stops the builder gracefully: component unregistered, pid file removed', async () => {
      const started = Date.now();
      await s.stopBuilder();
      console.log(`builder stopped in ${Date.now() - started} ms`);
      assert.deepEqual(await s.zk.getChildren(componentKindPath('builder')), []);
      assert.ok(!existsSync(join(s.dir, 'builder.pid')));
      assert.match(readFileSync(s.builderLog, 'utf8'), /shutting down/);
    });
  } finally {
    await s.stopBuilder();
  }
});
