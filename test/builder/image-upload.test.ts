// `nodepool image-upload PROVIDER IMAGE` end to end (fake DIB, real ZooKeeper, Temporal and
// simulator): the newest ready build is uploaded again to exactly that provider, also after an
// image-delete (which otherwise keeps it from being uploaded there again, A10); the operator
// is told which build and that the upload started; requests that cannot be done fail naming the
// provider and image; the diskimage history with the `upload` signal replays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { newestReadyUpload } from '../../activities/launcher/images';
import { builds, cloudImages, IMAGE, nodepool, readyUpload, uploadsOf } from './helpers';
import { CLOUD_QCOW2, CLOUD_RAW, eventually, useBuilderStack } from './stack';

const OTHER = 'other-image';

const cloudProvider = (name: string, cloud: string, image: string, label: string) => ({
  name,
  cloud,
  rate: 0,
  'image-name-format': '{image_name}-{upload_id}-{timestamp}',
  diskimages: [{ name: image }],
  pools: [{ name: 'main', 'max-servers': 1, labels: [{ name: label, diskimage: image, 'flavor-name': 'm1.small' }] }],
});

const stack = useBuilderStack(() => ({
  labels: [{ name: 'fake-label' }, { name: 'other-label' }, { name: 'static-label' }],
  diskimages: [
    { name: IMAGE, elements: ['fedora', 'vm'], release: 21 },
    { name: OTHER, elements: ['fedora'], pause: true }, // never built: no ready build
  ],
  providers: [
    cloudProvider('p1', CLOUD_QCOW2, IMAGE, 'fake-label'),
    cloudProvider('p2', CLOUD_RAW, IMAGE, 'fake-label'),
    cloudProvider('p3', CLOUD_QCOW2, OTHER, 'other-label'),
    { name: 'st', driver: 'static', pools: [{ name: 'main', nodes: [{ name: 'st01.example.org', labels: 'static-label', 'host-key': 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample' }] }] },
  ],
}));

const ids = async (zk: Parameters<typeof uploadsOf>[0], buildId: string, provider: string) => (await uploadsOf(zk, IMAGE, buildId, provider)).map((u) => u.id).sort();

void test('image-upload', async (t) => {
  const s = stack();
  Object.assign(process.env, s.env);
  s.startBuilder();
  try {
    const { build, p1 } = await eventually('first build uploaded to p1 and p2', async () => {
      const b = (await builds(s.zk, IMAGE, 'ready'))[0];
      if (!b) return null;
      const [u1, u2] = [await readyUpload(s.zk, IMAGE, b.id, 'p1'), await readyUpload(s.zk, IMAGE, b.id, 'p2')];
      return u1 && u2 ? { build: b, p1: u1, p2: u2 } : null;
    }, 120_000);
    const p2Uploads = await ids(s.zk, build.id, 'p2');
    const p2Cloud = (await cloudImages(s)).filter((i) => i.properties.nodepool_provider_name === 'p2').map((i) => i.id).sort();

    let again: string;
    await t.test('uploads the newest ready build again to that provider only, and says so', async () => {
      const r = await nodepool(s, ['image-upload', 'p1', IMAGE]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      const lines = r.stdout.split('\n');
      assert.match(lines[0] ?? '', new RegExp(`^Uploading build ${IMAGE}-${build.id} \\(newest ready build of ${IMAGE}, age \\d\\d:\\d\\d:\\d\\d:\\d\\d, qcow2\\) to provider p1 \\(again: ready upload ${p1.id} there\\)$`));
      const m = /^Upload (\d{10}) started, now (uploading|ready); nodepool image-list shows it$/.exec(lines[1] ?? '');
      assert.ok(m, r.stdout);
      again = m[1] as string;
      assert.ok(again > p1.id);
      const u = await eventually('the new upload ready', async () => (await uploadsOf(s.zk, IMAGE, build.id, 'p1')).find((x) => x.id === again && x.state === 'ready'), 60_000);
      assert.ok(u, 'new p1 upload ready');
      const img = (await cloudImages(s)).find((i) => i.id === u.external_id);
      assert.equal(img?.properties.nodepool_upload_id, again);
      assert.equal(img?.properties.nodepool_provider_name, 'p1');
      assert.equal(img?.properties.nodepool_build_id, build.id);
      assert.equal((await newestReadyUpload(s.zk, IMAGE, 'p1'))?.upload.id, again, 'launches use the new upload');
      await new Promise((r2) => setTimeout(r2, 2000));
      assert.deepEqual(await ids(s.zk, build.id, 'p2'), p2Uploads, 'p2 untouched');
      assert.deepEqual((await cloudImages(s)).filter((i) => i.properties.nodepool_provider_name === 'p2').map((i) => i.id).sort(), p2Cloud);
      assert.deepEqual((await builds(s.zk, IMAGE)).map((b) => b.id), [build.id], 'no new build');
    });

    await t.test('after image-delete (not uploaded there again by itself) image-upload brings it back', async () => {
      const r = await nodepool(s, ['image-delete', '--provider', 'p1', '--image', IMAGE, '--build-id', build.id, '--upload-id', again]);
      assert.equal(r.code, 0, r.stderr);
      await eventually('p1 upload deleted', async () => !(await uploadsOf(s.zk, IMAGE, build.id, 'p1')).some((u) => u.id === again));
      const before = await ids(s.zk, build.id, 'p1');
      const up = await nodepool(s, ['image-upload', 'p1', IMAGE]);
      assert.equal(up.code, 0, up.stderr);
      const id = /^Upload (\d{10}) started/m.exec(up.stdout)?.[1];
      assert.ok(id && !before.includes(id), up.stdout);
      await eventually('re-uploaded', async () => (await uploadsOf(s.zk, IMAGE, build.id, 'p1')).some((u) => u.id === id && u.state === 'ready'), 60_000);
      assert.equal((await newestReadyUpload(s.zk, IMAGE, 'p1'))?.upload.id, id);
    });

    await t.test('requests that cannot be done fail with the provider and image named, and change nothing', async () => {
      const p1Before = await ids(s.zk, build.id, 'p1');
      const cases: Array<[string[], string]> = [
        [['nope', IMAGE], 'Provider nope does not exist'],
        [['st', IMAGE], 'Provider st (driver static) does not take image uploads'],
        [['p1', 'no-such-image'], 'Trying to upload a non disk-image-builder image: no-such-image'],
        [['p3', IMAGE], `Image ${IMAGE} not in use by provider p3 (not in its diskimages)`],
        [['p3', OTHER], `No ready build of image ${OTHER} to upload to provider p3 (nodepool dib-image-list shows its builds)`],
      ];
      for (const [args, message] of cases) {
        const r = await nodepool(s, ['image-upload', ...args]);
        assert.equal(r.code, 1, args.join(' '));
        assert.equal(r.stderr, `${message}\n`);
        assert.equal(r.stdout, '');
      }
      const usage = await nodepool(s, ['image-upload', 'p1']);
      assert.equal(usage.code, 2, 'missing IMAGE is a usage error');
      await new Promise((r2) => setTimeout(r2, 2000));
      assert.deepEqual(await ids(s.zk, build.id, 'p1'), p1Before);
    });

    await t.test('the diskimage history with upload signals replays deterministically', async () => {
      let replayed = 0;
      let withSignal = 0;
      for await (const wf of s.client.workflow.list({ query: `WorkflowId = 'diskimage/${IMAGE}'` })) {
        const history = await s.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
        if (history.events?.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'upload')) withSignal++;
        await Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, history, wf.runId);
        replayed++;
      }
      assert.ok(replayed >= 1 && withSignal >= 1, `replayed ${replayed} runs, ${withSignal} with an upload signal`);
    });
  } finally {
    await s.stopBuilder();
  }
});
