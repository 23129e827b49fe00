// A REAL image through nodepool-builder: Debian's diskimage-builder builds debian-minimal plus
// the repo's nodepool-minimal element (bookworm, qcow2), and the builder uploads it to the
// simulated cloud, where the launcher would boot it. Minutes long; needs root, loop devices and
// a Debian mirror in apt's sources (read at run time). NODEPOOL_REAL_DIB=0 skips it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { useBuilderStack, CLOUD_QCOW2 } from './stack';
import { builds, cloudImages, readyUpload } from './helpers';
import { debianMirrors, readAptSources } from '../dib/apt-mirror';
import { newestReadyUpload } from '../../activities/launcher/images';

const RELEASE = 'bookworm';
const IMAGE = 'debian-real';

function whyNot(): string | undefined {
  if (process.env.NODEPOOL_REAL_DIB === '0') return 'NODEPOOL_REAL_DIB=0';
  if (process.getuid?.() !== 0) return 'needs root (DIB mounts, chroots and uses loop devices)';
  if (!existsSync('/dev/loop-control')) return 'no loop devices (/dev/loop-control missing)';
  try {
    execFileSync('sh', ['-c', 'command -v disk-image-create && command -v qemu-img && command -v sudo'], { stdio: 'ignore' });
  } catch {
    return 'disk-image-create, qemu-img or sudo missing (tools/setup-dib installs them)';
  }
  if (!debianMirrors(readAptSources(), RELEASE)) return `apt has no Debian ${RELEASE} source to use as the mirror`;
  return undefined;
}
const skip = whyNot();
if (skip) console.log(`# real DIB builder test skipped: ${skip}`);

const mirrors = skip ? undefined : debianMirrors(readAptSources(), RELEASE);
const stack = useBuilderStack(() => ({
  'elements-dir': resolve(__dirname, '..', '..', 'etc', 'elements'),
  labels: [{ name: IMAGE }],
  diskimages: [
    {
      name: IMAGE,
      elements: ['debian-minimal', 'nodepool-minimal'],
      release: RELEASE,
      'build-timeout': 1800,
      'env-vars': {
        DIB_DISTRIBUTION_MIRROR: mirrors?.mirror ?? '',
        // DIB 3.13 writes `<host>/ bookworm/updates` for the security suite (dib-notes §3)
        DIB_DEBIAN_SECURITY_MIRROR: mirrors?.security ?? '',
        DIB_DEBIAN_SECURITY_SUBPATH: '-security',
      },
    },
  ],
  providers: [
    {
      name: 'sim',
      cloud: CLOUD_QCOW2,
      diskimages: [{ name: IMAGE }],
      pools: [{ name: 'main', labels: [{ name: IMAGE, diskimage: IMAGE, 'flavor-name': 'm1.small' }] }],
    },
  ],
}));

test('a real debian-minimal + nodepool-minimal image is built by nodepool-builder and uploaded to the cloud', { skip: skip ?? false, timeout: 45 * 60_000 }, async (t) => {
  const s = stack();
  const started = Date.now();
  s.startBuilder({}, { fake: false });
  try {
    const build = await (async () => {
      for (;;) {
        const ready = await builds(s.zk, IMAGE, 'ready');
        if (ready[0]) return ready[0];
        const failed = await builds(s.zk, IMAGE, 'failed');
        if (failed.length) throw new Error('the real build failed');
        if (Date.now() - started > 40 * 60_000) throw new Error('no ready build after 40 minutes');
        await new Promise((r) => setTimeout(r, 5000));
      }
    })();
    assert.deepEqual(build.formats, ['qcow2']);
    let upload;
    for (let i = 0; i < 120 && !upload; i++) {
      upload = await readyUpload(s.zk, IMAGE, build.id, 'sim');
      if (!upload) await new Promise((r) => setTimeout(r, 1000));
    }
    assert.ok(upload?.external_id, 'the upload is READY with a cloud image id');
    const file = join(s.imagesDir, `${IMAGE}-${build.id}.qcow2`);
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', file], { encoding: 'utf8' })) as { format: string };
    assert.equal(info.format, 'qcow2');
    const md5 = readFileSync(`${file}.md5`, 'utf8').split(/\s+/)[0];
    const image = (await cloudImages(s)).find((i) => i.id === upload?.external_id);
    assert.equal(image?.status, 'active');
    const cloud = (await s.sim.admin.state()).images.find((i) => i.id === upload?.external_id) as unknown as { checksum?: string; size?: number };
    assert.equal(cloud.checksum, md5, 'the cloud holds exactly the file DIB wrote');
    assert.equal(cloud.size, statSync(file).size);
    // and the launcher would boot from it
    assert.equal((await newestReadyUpload(s.zk, IMAGE, 'sim'))?.upload.external_id, upload?.external_id);
    console.log(`# real DIB build + upload through nodepool-builder: ${((Date.now() - started) / 1000).toFixed(0)} s, ${(statSync(file).size / 2 ** 20).toFixed(0)} MiB qcow2`);
  } catch (err) {
    t.diagnostic(readFileSync(s.builderLog, 'utf8').slice(-4000));
    throw err;
  } finally {
    await s.stopBuilder();
  }
});
