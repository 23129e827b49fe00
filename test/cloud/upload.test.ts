// Image upload through the Provider: a 64 MiB random file streamed to the simulator's Glance, the
// Glance-side checksums compared with ours, RSS sampled and printed (no timing assertions), and
// the failure paths (5xx, hang, 401 on the PUT) leaving no half-made image behind.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import { useSimulator } from './sim';

const fixture = useSimulator();
const MiB = 1 << 20;

function randomFile(path: string, mib: number): void {
  const fd = openSync(path, 'w');
  try {
    for (let i = 0; i < mib; i++) writeSync(fd, randomBytes(MiB));
  } finally {
    closeSync(fd);
  }
}

async function hash(path: string, algo: string): Promise<string> {
  const h = createHash(algo);
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

function sampleRss(): { stop: () => number } {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  return {
    stop: () => {
      clearInterval(t);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

void describe('image upload', () => {
  beforeEach(() => fixture().sim.admin.reset());

  void it('streams 64 MiB to Glance; Glance-side md5/sha512 match the file; properties are strings', async (t) => {
    const { sim, dir } = fixture();
    const p = fixture().provider({ requestTimeoutMs: 30_000 });
    const file = join(dir, 'image-64.qcow2');
    randomFile(file, 64);
    const [md5, sha256, sha512] = await Promise.all([hash(file, 'md5'), hash(file, 'sha256'), hash(file, 'sha512')]);

    const rssBefore = process.memoryUsage().rss;
    const rss = sampleRss();
    let lastProgress = 0;
    const t0 = performance.now();
    const img = await p.uploadImage({
      name: 'ubuntu-jammy-1700000000',
      path: file,
      diskFormat: 'qcow2',
      properties: { nodepool_build_id: '0000000001', nodepool_upload_id: '0000000001', nodepool_provider_name: 'sim', min_ram: '1024', hw_disk_bus: 'scsi' },
      onProgress: (sent) => {
        lastProgress = sent;
      },
    });
    const secs = (performance.now() - t0) / 1000;
    const peak = rss.stop();
    t.diagnostic(`64 MiB upload: ${(64 / secs).toFixed(1)} MiB/s; RSS before ${(rssBefore / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB`);

    assert.equal(img.status, 'active');
    assert.equal(img.size, 64 * MiB);
    assert.equal(img.checksum, md5, 'Glance md5 = file md5');
    assert.equal(img.properties['owner_specified.openstack.md5'], md5);
    assert.equal(img.properties['owner_specified.openstack.sha256'], sha256);
    assert.equal(img.properties['owner_specified.openstack.object'], 'images/ubuntu-jammy-1700000000');
    assert.equal(img.properties.nodepool_build_id, '0000000001');
    assert.equal(img.properties.nodepool_provider_name, 'sim');
    assert.equal(img.diskFormat, 'qcow2');
    assert.equal(lastProgress, 64 * MiB);

    const simImage = (await sim.admin.state()).images.find((i) => i.id === img.id);
    assert.equal(simImage?.os_hash_algo, 'sha512');
    assert.equal(simImage?.os_hash_value, sha512, 'Glance sha512 = file sha512');
    assert.equal(simImage?.visibility, 'private');
    assert.equal(simImage?.min_ram, 1024, 'min_ram goes to Glance as an integer (openstacksdk rule)');
    assert.equal(simImage?.properties.hw_disk_bus, 'scsi');
    assert.equal(simImage?.container_format, 'bare');
    const puts = (await sim.admin.state()).requests;
    assert.equal(Object.entries(puts).filter(([k]) => k.startsWith('PUT image')).length, 1);

    // openstacksdk's rule: same name and checksums = already uploaded; given checksums skip hashing.
    const again = await p.uploadImage({ name: 'ubuntu-jammy-1700000000', path: file, diskFormat: 'qcow2', md5, sha256 });
    assert.equal(again.id, img.id);
    assert.equal((await sim.admin.state()).images.length, 1);
  });

  void it('a 500 on the file PUT is retryable and the half-made image is deleted', async () => {
    const { sim, dir } = fixture();
    const p = fixture().provider();
    const file = join(dir, 'small-500.raw');
    randomFile(file, 2);
    await sim.admin.injectFault({ service: 'image', method: 'PUT', pathRegex: '/file$', status: 500 });
    await assert.rejects(p.uploadImage({ name: 'broken', path: file, diskFormat: 'raw' }), { kind: 'retryable', status: 500 });
    const left = (await sim.admin.state()).images.filter((i) => i.name === 'broken' && i.status !== 'deleted');
    assert.deepEqual(left, []);
  });

  void it('a Glance that never answers the PUT times out (idle timeout) and the image is deleted', async () => {
    const { sim, dir } = fixture();
    const p = fixture().provider({ requestTimeoutMs: 600 });
    const file = join(dir, 'small-hang.raw');
    randomFile(file, 2);
    await sim.admin.injectFault({ service: 'image', method: 'PUT', pathRegex: '/file$', hang: true });
    await assert.rejects(p.uploadImage({ name: 'hung', path: file, diskFormat: 'raw' }), { kind: 'retryable', name: 'CloudTimeoutError' });
    const left = (await sim.admin.state()).images.filter((i) => i.name === 'hung' && i.status !== 'deleted');
    assert.deepEqual(left, []);
  });

  void it('image-upload-timeout bounds the whole upload; the image is deleted', async () => {
    const { sim, dir } = fixture();
    const p = fixture().provider({ requestTimeoutMs: 10_000 });
    const file = join(dir, 'small-slow.raw');
    randomFile(file, 1);
    await sim.admin.injectFault({ service: 'image', method: 'PUT', pathRegex: '/file$', delayMs: 3000 });
    await assert.rejects(p.uploadImage({ name: 'slow', path: file, diskFormat: 'raw', timeoutMs: 400 }), { kind: 'retryable', name: 'CloudTimeoutError' });
    const left = (await sim.admin.state()).images.filter((i) => i.name === 'slow' && i.status !== 'deleted');
    assert.deepEqual(left, []);
  });

  void it('a 401 on the PUT re-authenticates once and the upload completes', async () => {
    const { sim, dir } = fixture();
    const p = fixture().provider();
    const file = join(dir, 'small-401.raw');
    randomFile(file, 3);
    await sim.admin.injectFault({ service: 'image', method: 'PUT', pathRegex: '/file$', status: 401 });
    const img = await p.uploadImage({ name: 'after-401', path: file, diskFormat: 'raw' });
    assert.equal(img.status, 'active');
    assert.equal(img.checksum, await hash(file, 'md5'));
  });

  void it('a missing file fails before anything is created', async () => {
    const { sim, dir } = fixture();
    const p = fixture().provider();
    await assert.rejects(p.uploadImage({ name: 'nofile', path: join(dir, 'does-not-exist'), diskFormat: 'raw' }), (e: Error & { kind?: string }) => e.kind === 'fatal' && /ENOENT/.test(e.message));
    assert.equal((await sim.admin.state()).images.length, 0);
  });
});
