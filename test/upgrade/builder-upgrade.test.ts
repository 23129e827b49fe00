// The builder's side of an upgrade: the previous release's builder (a worktree of the newest
// release tag) is stopped with one diskimage's build running (DIB still going) and another's
// upload in flight (Glance slow to take the file); this checkout's builder takes over on the same
// Temporal and ZooKeeper: both finish, each image has its build ready and uploaded, and no
// workflow task failed in the diskimage histories.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { builds, readyUpload, uploadsOf } from '../builder/helpers';
import { failedWorkflowTasks } from '../harness/invariants';
import { eventually, useBuilderStack, CLOUD_QCOW2 } from '../builder/stack';
import { checkOutRelease, previousReleaseTag, type PreviousRelease } from './previous-release';

const { tag, why } = previousReleaseTag();
let previous: PreviousRelease | undefined;
before(() => {
  if (tag) previous = checkOutRelease(tag);
});
after(() => previous?.remove());

const SLOW_BUILD = 'slow-build';
const SLOW_UPLOAD = 'slow-upload';

const stack = useBuilderStack(() => ({
  labels: [{ name: 'l1' }],
  diskimages: [
    { name: SLOW_UPLOAD, elements: ['fedora'] },
    // DIB runs 40 s: still building when the old builder stops (long enough to overlap the held upload on a loaded machine)
    { name: SLOW_BUILD, elements: ['fedora'], 'env-vars': { FAKE_DIB_SLEEP_SECONDS: '40' } },
  ],
  providers: [
    {
      name: 'p1',
      cloud: CLOUD_QCOW2,
      rate: 0,
      diskimages: [{ name: SLOW_UPLOAD }, { name: SLOW_BUILD }],
      pools: [{ name: 'main', 'max-servers': 1, labels: [{ name: 'l1', diskimage: SLOW_UPLOAD, 'flavor-name': 'm1.small' }] }],
    },
  ],
}));

test(`the previous release's builder (${tag ?? 'no tag'}) hands over a running build and an upload in flight to this one`, { skip: !tag && (why ?? 'no release tag') }, async () => {
  const s = stack();
  const root = previous?.root;
  assert.ok(root, 'the previous release is checked out');
  Object.assign(process.env, s.env);
  // Glance holds the first image file upload for 40 s
  await s.sim.admin.injectFault({ service: 'image', method: 'PUT', pathRegex: '/file$', delayMs: 40_000, times: 1 });
  // two build slots: with the default one the two builds run in turn, and if slow-build's came
  // first nothing was building by the time slow-upload's upload was held (the full suite saw it)
  s.startBuilder({ NODEPOOL_BUILDER_ROOT: root }, { args: ['--build-workers', '2'] });
  await eventually('an upload in flight and a build running', async () => {
    const up = (await builds(s.zk, SLOW_UPLOAD, 'ready'))[0];
    const uploading = up && (await uploadsOf(s.zk, SLOW_UPLOAD, up.id, 'p1')).some((u) => u.state === 'uploading');
    const building = (await builds(s.zk, SLOW_BUILD)).some((b) => b.state === 'building');
    return uploading && building;
  }, 120_000);
  await s.stopBuilder();

  s.startBuilder();
  const done = await eventually('both images built and uploaded by the new builder', async () => {
    const out: string[] = [];
    for (const image of [SLOW_UPLOAD, SLOW_BUILD]) {
      const b = (await builds(s.zk, image, 'ready')).pop();
      const u = b && (await readyUpload(s.zk, image, b.id, 'p1'));
      if (!u) return null;
      out.push(`${image}: build ${b.id} upload ${u.id}`);
    }
    return out;
  }, 180_000);
  assert.equal(done.length, 2);
  // nothing half-done is left: no build still "building", no upload still "uploading"
  for (const image of [SLOW_UPLOAD, SLOW_BUILD]) {
    for (const b of await builds(s.zk, image)) {
      assert.notEqual(b.state, 'building', `${image} build ${b.id} left building`);
      for (const u of await uploadsOf(s.zk, image, b.id, 'p1')) assert.notEqual(u.state, 'uploading', `${image} upload ${u.id} left uploading`);
    }
  }
  const { failed } = await failedWorkflowTasks(s.client, 'WorkflowType = "diskimageWorkflow"');
  assert.deepEqual(failed, [], 'no workflow task failed after the upgrade');
});
