// A failed DIB can leave its chroot mounted and loop devices attached under its TMPDIR (spec
// dib-notes §3 failure 3). The activity must unmount and detach them before deleting anything.
// Needs root (mount, losetup); skipped otherwise.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cleanupDibTmp, loopDevicesUnder, mountsUnder, processesUnder } from '../../activities/dib/cleanup';
import { alive, failureOf, fakeBuilder } from './fake-build';

function canMount(): string | false {
  if (process.getuid?.() !== 0) return 'needs root to mount and attach loop devices';
  if (!existsSync('/dev/loop-control')) return 'no loop devices';
  return false;
}

void test('cleanupDibTmp unmounts nested mounts deepest first, detaches loops, then removes the dir', { skip: canMount() }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'dib-clean-'));
  const tmp = join(root, 'nodepool-dib-x-1');
  const mnt = join(tmp, 'dib_build.abc', 'mnt');
  mkdirSync(mnt, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'outer', mnt]);
  mkdirSync(join(mnt, 'proc'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'inner', join(mnt, 'proc')]);
  const raw = join(tmp, 'dib_image.def', 'image0.raw');
  mkdirSync(join(tmp, 'dib_image.def'));
  writeFileSync(raw, Buffer.alloc(1 << 20));
  const dev = execFileSync('losetup', ['-f', '--show', raw], { encoding: 'utf8' }).trim();
  // A sibling outside the build's TMPDIR must be left alone.
  // A process working inside the chroot, in its own process group (as sudo/chroot can leave one).
  const stray = spawn('sleep', ['300'], { cwd: mnt, detached: true, stdio: 'ignore' });
  stray.unref();
  const other = join(root, 'other');
  mkdirSync(other);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'other', other]);
  try {
    assert.deepEqual(await mountsUnder(tmp), [join(mnt, 'proc'), mnt]);
    assert.deepEqual(await loopDevicesUnder(tmp), [dev]);
    assert.deepEqual(await processesUnder(tmp), [stray.pid]);
    const r = await cleanupDibTmp(tmp);
    assert.deepEqual(r.killed, [stray.pid]);
    assert.equal(alive(stray.pid as number), false);
    assert.deepEqual(r.unmounted, [join(mnt, 'proc'), mnt]);
    assert.deepEqual(r.detached, [dev]);
    assert.equal(r.removed, true);
    assert.equal(existsSync(tmp), false);
    assert.deepEqual(await mountsUnder(other), [other]);
  } finally {
    execFileSync('umount', [other]);
    for (const m of await mountsUnder(tmp)) execFileSync('umount', ['-l', m]);
    for (const d of await loopDevicesUnder(tmp)) execFileSync('losetup', ['-d', d]);
  }
});

void test('a failed build that leaked a mount and a loop device is cleaned up by the activity', { skip: canMount() }, async (t) => {
  const b = fakeBuilder({ envVars: { FAKE_DIB_MOUNT: '1', SHOULD_FAIL: 'true' } });
  t.after(b.cleanup);
  const err = await failureOf(b.build({ diskimage: 'fake-image', buildId: 'abc' }));
  assert.equal(err.type, 'DibFailed');
  const text = b.log('abc');
  assert.match(text, /fake-dib: mounted /);
  assert.match(text, /fake-dib: loop \/dev\/loop\d+/);
  assert.deepEqual(await mountsUnder(b.dir), []);
  assert.deepEqual(await loopDevicesUnder(b.dir), []);
  assert.deepEqual(readdirSync(b.tmpRoot), []);
  assert.deepEqual(b.images(), []);
});

void test('a successful build with the same mounts leaves nothing either', { skip: canMount() }, async (t) => {
  const b = fakeBuilder({ envVars: { FAKE_DIB_MOUNT: '1' } });
  t.after(b.cleanup);
  const r = await b.build({ diskimage: 'fake-image', buildId: 'abd' });
  assert.equal(r.files.length, 2);
  assert.deepEqual(await mountsUnder(b.dir), []);
  assert.deepEqual(readdirSync(b.tmpRoot), []);
});
