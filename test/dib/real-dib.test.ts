// One REAL image build through the activity: Debian's diskimage-builder, debian-minimal plus our
// etc/elements/nodepool-minimal, bookworm, qcow2. Minutes long and needs root, loop devices and
// the machine's Debian mirror, so it runs only with NODEPOOL_REAL_DIB=1 (install: tools/setup-dib).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createDibActivities } from '../../activities/dib/run';
import { mountsUnder, loopDevicesUnder } from '../../activities/dib/cleanup';
import { type BuildDiskimageResult, type DibBuildSpec, type DibHeartbeat } from '../../activities/dib/types';
import { debianMirrors, readAptSources } from './apt-mirror';

const RELEASE = 'bookworm';

function whyNot(): string | undefined {
  if (process.env.NODEPOOL_REAL_DIB !== '1') return 'set NODEPOOL_REAL_DIB=1 to build a real image (takes minutes)';
  if (process.getuid?.() !== 0) return 'needs root (DIB mounts, chroots and uses loop devices)';
  if (!existsSync('/dev/loop-control')) return 'no loop devices (/dev/loop-control missing)';
  try {
    execFileSync('sh', ['-c', 'command -v disk-image-create && command -v qemu-img && command -v sudo'], { stdio: 'ignore' });
  } catch {
    return 'disk-image-create, qemu-img or sudo missing: run tools/setup-dib';
  }
  if (!debianMirrors(readAptSources(), RELEASE)) return `apt has no Debian ${RELEASE} source to use as the mirror`;
  return undefined;
}

const skip = whyNot();
if (skip) console.log(`# real DIB test skipped: ${skip}`);

interface RealSetup {
  work: string;
  spec: DibBuildSpec;
  acts: ReturnType<typeof createDibActivities>;
  env: MockActivityEnvironment;
  beats: DibHeartbeat[];
}

/** A throw-away builder (images, logs, TMPDIR, DIB image cache) under one directory. */
function realSetup(t: TestContext, heartbeatIntervalMs: number): RealSetup {
  const mirrors = debianMirrors(readAptSources(), RELEASE) as NonNullable<ReturnType<typeof debianMirrors>>;
  const work = mkdtempSync(join(process.env.NODEPOOL_REAL_DIB_DIR ?? tmpdir(), 'nodepool-real-dib-'));
  t.after(() => {
    if (process.env.NODEPOOL_REAL_DIB_KEEP !== '1') rmSync(work, { recursive: true, force: true });
  });
  const spec: DibBuildSpec = {
    diskimage: {
      name: 'debian-real',
      elements: ['debian-minimal', 'nodepool-minimal'],
      release: RELEASE,
      envVars: {
        DIB_DISTRIBUTION_MIRROR: mirrors.mirror,
        // DIB 3.13 writes `<host>/ bookworm/updates` for the security suite (dib-notes §3).
        DIB_DEBIAN_SECURITY_MIRROR: mirrors.security,
        DIB_DEBIAN_SECURITY_SUBPATH: '-security',
        DIB_IMAGE_CACHE: join(work, 'cache'),
      },
      secretEnvNames: [],
      formats: ['qcow2'],
      dibCmd: 'disk-image-create',
      buildTimeout: 30 * 60,
    },
    elementsDir: resolve(__dirname, '..', '..', 'etc', 'elements'),
    imagesDir: join(work, 'images'),
    buildLogDir: join(work, 'logs'),
    buildLogRetention: 7,
  };
  const acts = createDibActivities({ loadSpec: () => Promise.resolve(spec), baseEnv: { ...process.env, TMPDIR: join(work, 'tmp') }, heartbeatIntervalMs });
  const env = new MockActivityEnvironment();
  const beats: DibHeartbeat[] = [];
  env.on('heartbeat', (d: DibHeartbeat) => beats.push(d));

  return { work, spec, acts, env, beats };
}

void test('a real debian-minimal + nodepool-minimal qcow2 builds through the activity', { skip: skip ?? false, timeout: 40 * 60_000 }, async (t) => {
  const { work, acts, env, beats } = realSetup(t, 10_000);
  const t0 = Date.now();
  let result: BuildDiskimageResult;
  try {
    result = (await env.run(acts.buildDiskimage, { diskimage: 'debian-real', buildId: 'feedc0de' })) as BuildDiskimageResult;
  } catch (e) {
    const logPath = join(work, 'logs', 'debian-real-feedc0de.log');
    if (existsSync(logPath)) console.log(readFileSync(logPath, 'utf8').split('\n').slice(-60).join('\n'));
    throw e;
  }
  const wall = (Date.now() - t0) / 1000;
  console.log(`# real DIB build wall time: ${wall.toFixed(1)} s; heartbeats: ${beats.length}; last phase: ${beats.at(-1)?.phase}`);

  assert.deepEqual(result.formats, ['qcow2']);
  const f = result.files[0];
  assert.ok(f);
  assert.equal(f.path, join(work, 'images', 'debian-real-feedc0de.qcow2'));
  assert.match(f.md5 ?? '', /^[0-9a-f]{32}$/);
  assert.match(f.sha256 ?? '', /^[0-9a-f]{64}$/);
  assert.ok(f.size > 50 * 1024 * 1024, `qcow2 is ${f.size} bytes`);
  const md5 = execFileSync('md5sum', [f.path], { encoding: 'utf8' }).slice(0, 32);
  assert.equal(f.md5, md5);
  const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', f.path], { encoding: 'utf8' })) as { format: string; 'format-specific'?: { data?: { compat?: string } } };
  assert.equal(info.format, 'qcow2');
  assert.equal(info['format-specific']?.data?.compat, '0.10'); // Nodepool's --qemu-img-options compat=0.10

  const logText = readFileSync(result.logPath, 'utf8');
  assert.match(logText, /dib-run-parts 60-nodepool-user completed/);
  assert.match(logText, /Build completed successfully/);
  assert.match(logText, /Exit code: 0\n$/);
  assert.ok(beats.length >= 3, `only ${beats.length} heartbeats`);

  // Look inside: without the `vm` element the image is a bare ext4 filesystem, so a raw copy
  // mounts read-only on a loop device (no device-mapper or nbd needed).
  const raw = join(work, 'inspect.raw');
  const mnt = join(work, 'inspect');
  execFileSync('qemu-img', ['convert', '-O', 'raw', f.path, raw]);
  mkdirSync(mnt);
  execFileSync('mount', ['-o', 'loop,ro', raw, mnt]);
  try {
    assert.match(readFileSync(join(mnt, 'etc/passwd'), 'utf8'), /^zuul:x:\d+:\d+::\/home\/zuul:\/bin\/bash$/m);
    assert.equal(readFileSync(join(mnt, 'etc/sudoers.d/zuul'), 'utf8'), 'zuul ALL=(ALL) NOPASSWD:ALL\n');
    assert.equal(statSync(join(mnt, 'etc/sudoers.d/zuul')).mode & 0o777, 0o440);
    assert.equal(statSync(join(mnt, 'home/zuul/.ssh')).mode & 0o777, 0o700);
    assert.equal(statSync(join(mnt, 'home/zuul/.ssh/authorized_keys')).mode & 0o777, 0o600);
    assert.ok(existsSync(join(mnt, 'usr/bin/sudo')), 'sudo is installed');
  } finally {
    execFileSync('umount', [mnt]);
    rmSync(raw, { force: true });
  }
  assert.deepEqual(await mountsUnder(work), []);
  assert.deepEqual(await loopDevicesUnder(work), []);
  assert.equal(existsSync(join(work, 'tmp', 'nodepool-dib-debian-real-feedc0de')), false);
});

void test('cancelling a real build mid-install kills DIB and leaves no mounts, loops or files', { skip: skip ?? false, timeout: 20 * 60_000 }, async (t) => {
  const { work, acts, env, beats } = realSetup(t, 1_000);
  const run = env.run(acts.buildDiskimage, { diskimage: 'debian-real', buildId: 'cafe' }) as Promise<BuildDiskimageResult>;
  const outcome = run.then(
    () => 'built',
    (e: unknown) => e,
  );
  // In pre-install.d the chroot has /proc, /sys and /dev bind-mounted under DIB's TMPDIR.
  for (;;) {
    const phase = beats.at(-1)?.phase;
    if (phase === 'pre-install.d' || phase === 'install.d') break;
    const done = await Promise.race([outcome, new Promise((r) => setTimeout(() => r(undefined), 1000))]);
    if (done !== undefined) assert.fail(`the build ended before install: ${String(done)}`);
  }
  const mounted = await mountsUnder(work);
  console.log(`# cancelling in ${beats.at(-1)?.phase} with ${mounted.length} mounts under the build dir`);
  const t0 = Date.now();
  env.cancel();
  const err = await outcome;
  console.log(`# cancel + clean-up took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  assert.ok(err instanceof CancelledFailure, String(err));
  assert.deepEqual(await mountsUnder(work), []);
  assert.deepEqual(await loopDevicesUnder(work), []);
  assert.deepEqual(readdirSync(join(work, 'images')).filter((f) => f.startsWith('debian-real-cafe')), []);
  assert.equal(existsSync(join(work, 'tmp', 'nodepool-dib-debian-real-cafe')), false);
  assert.match(readFileSync(join(work, 'logs', 'debian-real-cafe.log'), 'utf8'), /Build cancelled; DIB killed\n$/);
});
