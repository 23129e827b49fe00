// Small pure pieces of the builder: when a build is due, image names, upload properties, the
// dib-image-delete id split, the semaphore behind --build-workers / --upload-workers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type DiskimagePlan } from '../../activities/builder/types';
import { formatImageName } from '../../activities/builder/upload';
import { Semaphore } from '../../activities/builder/semaphore';
import { splitBuildName } from '../../cli/commands/dib-image-delete';
import { buildDueAt } from '../../workflows/diskimage';

const plan = (over: Partial<DiskimagePlan> = {}): DiskimagePlan => ({
  name: 'img',
  configured: true,
  configPaused: false,
  zkPaused: false,
  buildRequested: false,
  rebuildAge: 86400,
  buildTimeout: 3600,
  formats: ['qcow2'],
  newestReady: { id: 'b', state: 'ready', stateTime: 1_000_000, formats: ['qcow2'], builderId: 'x' },
  pendingUploads: [],
  pausedProviders: [],
  buildCount: 1,
  ...over,
});

void test('buildDueAt: rebuild-age after the newest ready build, at once without one, on a missing format or a request; never when paused or formatless', () => {
  assert.equal(buildDueAt(plan(), false, null, 300_000), 1_000_000 + 86_400_000);
  assert.equal(buildDueAt(plan({ newestReady: null }), false, null, 300_000), 0);
  assert.equal(buildDueAt(plan({ formats: ['qcow2', 'raw'] }), false, null, 300_000), 0);
  assert.equal(buildDueAt(plan(), true, null, 300_000), 0);
  assert.equal(buildDueAt(plan({ zkPaused: true }), true, null, 300_000), null);
  assert.equal(buildDueAt(plan({ configPaused: true }), false, null, 300_000), null);
  assert.equal(buildDueAt(plan({ formats: [] }), true, null, 300_000), null);
  assert.equal(buildDueAt(plan({ newestReady: null }), false, 5_000, 300_000), 305_000, 'a failed build waits before the next try');
});

void test('image-name-format fields', () => {
  assert.equal(formatImageName('{image_name}-{timestamp}', { image_name: 'debian', upload_id: '0000000001', timestamp: 1700000000 }), 'debian-1700000000');
  assert.equal(formatImageName('np-{image_name}-{upload_id}', { image_name: 'a', upload_id: '0000000007', timestamp: 1 }), 'np-a-0000000007');
});

void test('dib-image-delete splits the id at the last dash', () => {
  assert.deepEqual(splitBuildName('ubuntu-jammy-0123abcd'), { image: 'ubuntu-jammy', buildId: '0123abcd' });
  assert.throws(() => splitBuildName('nodash'));
});

void test('semaphore: waits beyond the limit, abandons on abort', async () => {
  const s = new Semaphore(1);
  const r1 = await s.acquire();
  let second = false;
  const p2 = s.acquire().then((r) => {
    second = true;
    return r;
  });
  const ac = new AbortController();
  const p3 = s.acquire(ac.signal);
  ac.abort(new Error('cancelled'));
  await assert.rejects(p3, /cancelled/);
  await new Promise((r) => setImmediate(r));
  assert.equal(second, false);
  r1();
  (await p2)();
  assert.equal(second, true);
  assert.equal(s.inUse, 0);
});
