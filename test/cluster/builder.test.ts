// nodepool-builder (fake disk-image-create) on a real Temporal cluster (tools/servers/
// temporal-cluster.ts: PostgreSQL, and the frontend, history, matching and worker services as
// separate processes): an image build with the history service restarted while diskimage-builder
// runs, and its uploads to two providers with history restarted again while both are in Glance.
// The same DIB run and the same uploads finish: the build and both uploads are READY in ZooKeeper,
// the images active in the simulator, nothing else built or uploaded, no workflow task failed.
// Skipped (saying why) when the cluster's binaries are not built (tools/setup-temporal-cluster).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builds, cloudImages, IMAGE, uploadsOf } from '../builder/helpers';
import { CLOUD_QCOW2, CLOUD_RAW, eventually, useBuilderStack, type BuilderStack } from '../builder/stack';
import { type TemporalCluster } from '../../tools/servers/temporal-cluster';
import { alive, clusterSkipReason, memoryReport, scanOurWorkflows } from './helpers';

const PROVIDERS = ['p1', 'p2'];
/** How long Glance holds each upload's PUT of the image data: the restart happens inside it. */
const UPLOAD_DELAY_MS = 10_000;

const provider = (name: string, cloud: string) => ({
  name,
  cloud,
  rate: 0,
  'image-name-format': '{image_name}-{upload_id}-{timestamp}',
  diskimages: [{ name: IMAGE }],
  pools: [{ name: 'main', 'max-servers': 1, labels: [{ name: 'fake-label', diskimage: IMAGE, 'flavor-name': 'm1.small' }] }],
});

const skip = clusterSkipReason();

const stack = skip
  ? () => assert.fail('no stack')
  : useBuilderStack(
      () => ({
        labels: [{ name: 'fake-label' }],
        diskimages: [{ name: IMAGE, elements: ['fedora', 'vm'], release: 21 }],
        providers: [provider('p1', CLOUD_QCOW2), provider('p2', CLOUD_RAW)],
      }),
      { temporalCluster: true },
    );

function clusterOf(s: BuilderStack): TemporalCluster {
  assert.ok(s.temporalCluster, 'the stack runs on a Temporal cluster');
  return s.temporalCluster;
}

async function restartHistory(c: TemporalCluster): Promise<number> {
  const old = c.pids.history;
  const started = Date.now();
  await c.restartService('history', { downMs: 2000 });
  assert.ok(c.pids.history && c.pids.history !== old, 'a new history process');
  return Date.now() - started;
}

test('an image build and its uploads across history service restarts', { skip }, async (t) => {
  const s = stack();
  const c = clusterOf(s);
  const pauseFile = join(s.imagesDir, 'fake-image-create.pause');
  // diskimage-builder waits while this file is there
  writeFileSync(pauseFile, '');
  try {
    const started = Date.now();
    s.startBuilder();
    const builderPid = s.builderProcess?.pid;
    const frontendPid = c.pids.frontend;

    // --- the build: history restarted while DIB runs (held by the pause file)
    const build = await eventually('a build in progress', async () => (await builds(s.zk, IMAGE, 'building'))[0], 120_000);
    const buildLog = join(s.logDir, `${IMAGE}-${build.id}.log`);
    const dibPid = await eventually('DIB running', async () => (existsSync(buildLog) && readFileSync(buildLog, 'utf8').includes('fake-dib: work dir') ? Number(/fake-dib: pid (\d+)/.exec(readFileSync(buildLog, 'utf8'))?.[1]) : null), 60_000);
    const buildRestartMs = await restartHistory(c);
    assert.ok(alive(dibPid), `the same DIB process (pid ${dibPid}) still running`);
    assert.deepEqual(
      (await builds(s.zk, IMAGE)).map((b) => [b.id, b.state]),
      [[build.id, 'building']],
      'still building',
    );

    // --- the uploads: Glance holds both PUTs of the image data; history restarted meanwhile
    const fault = await s.sim.admin.injectFault({ service: 'image', method: 'PUT', pathRegex: '/file$', delayMs: UPLOAD_DELAY_MS, times: 3 });
    rmSync(pauseFile);
    const hits = async () => (await s.sim.admin.faults()).find((f) => f.id === fault)?.hits ?? 0;
    await eventually('both uploads in Glance', async () => (await hits()) === PROVIDERS.length, 60_000);
    const inFlight = new Map<string, string>();
    for (const p of PROVIDERS) {
      const ups = await uploadsOf(s.zk, IMAGE, build.id, p);
      assert.deepEqual(ups.map((u) => u.state), ['uploading'], `one upload to ${p}, uploading`);
      inFlight.set(p, (ups[0] as { id: string }).id);
    }
    const uploadRestartMs = await restartHistory(c);
    for (const p of PROVIDERS) {
      assert.deepEqual((await uploadsOf(s.zk, IMAGE, build.id, p)).map((u) => u.state), ['uploading'], `the upload to ${p} was still in Glance when history came back`);
    }

    // --- both finish: READY in ZooKeeper and in the cloud; nothing built or uploaded twice
    const ready = await eventually(
      'the build and both uploads ready',
      async () => {
        const b = (await builds(s.zk, IMAGE, 'ready'))[0];
        if (!b) return null;
        const ups = await Promise.all(PROVIDERS.map(async (p) => (await uploadsOf(s.zk, IMAGE, b.id, p)).find((u) => u.state === 'ready')));
        return ups.every(Boolean) ? { b, ups: ups as NonNullable<(typeof ups)[number]>[] } : null;
      },
      120_000,
    );
    const totalMs = Date.now() - started;
    assert.equal(ready.b.id, build.id, 'the build in progress at the restart is the one that finished');
    assert.deepEqual((await builds(s.zk, IMAGE)).map((b) => [b.id, b.state]), [[build.id, 'ready']], 'no other build');
    assert.equal(readFileSync(buildLog, 'utf8').match(/fake-dib: pid /g)?.length, 1, 'DIB ran once');
    const images = await cloudImages(s);
    for (const [i, p] of PROVIDERS.entries()) {
      const u = ready.ups[i];
      assert.ok(u);
      assert.equal(u.id, inFlight.get(p), `the upload to ${p} in flight at the restart is the one that finished`);
      assert.deepEqual((await uploadsOf(s.zk, IMAGE, build.id, p)).map((x) => x.id), [u.id], `one upload to ${p}`);
      const img = images.find((x) => x.id === u.external_id);
      assert.ok(img, `the ${p} upload's image ${u.external_id} is in the cloud`);
      assert.equal(img.status, 'active');
      assert.equal(img.properties.nodepool_build_id, build.id);
      assert.equal(img.properties.nodepool_upload_id, u.id);
      assert.equal(img.properties.nodepool_provider_name, p);
    }
    assert.equal(images.length, PROVIDERS.length, `no other image in the cloud: ${JSON.stringify(images)}`);
    assert.equal(await hits(), PROVIDERS.length, 'each image uploaded once (no PUT retried)');

    const scan = await scanOurWorkflows(s.client);
    assert.ok(scan.workflowIds.has(`diskimage/${IMAGE}`), `the diskimage workflow scanned (${[...scan.workflowIds].join(', ')})`);
    assert.deepEqual(scan.failedTasks, [], 'no workflow task failed');
    assert.deepEqual(scan.endedBadly, [], 'no workflow failed, timed out or was terminated');
    assert.ok(s.builderProcess?.pid === builderPid && alive(builderPid), 'the same builder process did it all');
    assert.equal(c.pids.frontend, frontendPid, 'the frontend was not restarted');
    t.diagnostic(`build and uploads ready ${totalMs} ms after the builder started; history restarts took ${buildRestartMs} and ${uploadRestartMs} ms (2000 ms down each); ${scan.runs} workflow runs scanned`);
    t.diagnostic(`memory: ${memoryReport(c)}`);
  } catch (err) {
    t.diagnostic(existsSync(s.builderLog) ? readFileSync(s.builderLog, 'utf8').slice(-4000) : 'no builder log');
    throw err;
  } finally {
    rmSync(pauseFile, { force: true });
    await s.stopBuilder();
  }
});
