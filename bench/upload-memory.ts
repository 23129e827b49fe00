// Upload memory bench: a 1 GiB random file (BENCH_UPLOAD_MIB to change the size) uploaded through
// the OpenStack Provider to the simulator's Glance. Prints throughput and the peak RSS sampled every
// 100 ms, to show the upload streams from disk and never holds the image in memory.
//   npx tsx bench/upload-memory.ts
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenStackProvider } from '../drivers/openstack/adapter';
import { fileChecksums } from '../drivers/openstack/adapter/upload';
import { loadCloud } from '../lib/cloud/clouds-yaml';
import { startSimulator, writeCloudsYaml } from '../simulator';

const MiB = 1 << 20;

function makeFile(path: string, mib: number): void {
  // Random, not sparse: a sparse file would flatter both the disk and any compression in the path.
  const fd = openSync(path, 'w');
  const chunk = randomBytes(8 * MiB);
  try {
    for (let i = 0; i < mib; i += 8) {
      chunk.writeUInt32LE(i, 0); // keep 8 MiB blocks distinct
      writeSync(fd, chunk, 0, Math.min(8, mib - i) * MiB);
    }
  } finally {
    closeSync(fd);
  }
}

async function main(): Promise<void> {
  const mib = Number(process.env.BENCH_UPLOAD_MIB ?? 1024);
  const dir = mkdtempSync(join(tmpdir(), 'upload-bench-'));
  const sim = await startSimulator({ imageDir: join(dir, 'glance') });
  try {
    const file = join(dir, 'bench.qcow2');
    process.stdout.write(`writing ${mib} MiB of random data to ${file}\n`);
    makeFile(file, mib);
    const cloudsFile = join(dir, 'clouds.yaml');
    await writeCloudsYaml(cloudsFile, sim.cloudName, sim.cloudsYaml());
    const provider = new OpenStackProvider({
      name: 'bench',
      rate: 0,
      requestTimeoutMs: 120_000,
      imagePollMs: 100,
      cloud: loadCloud({ cloud: sim.cloudName, file: cloudsFile, env: {}, cwd: dir, home: dir }),
    });
    await provider.listFlavors(); // authenticate outside the measurement

    const rssStart = process.memoryUsage().rss;
    let peak = rssStart;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 100);
    const t0 = performance.now();
    // Checksums first (the builder usually has them from DIB), so the PUT is timed on its own too.
    const { md5, sha256 } = await fileChecksums(file);
    const tPut = performance.now();
    const img = await provider.uploadImage({ name: 'bench-image', path: file, diskFormat: 'qcow2', md5, sha256 });
    const secs = (performance.now() - t0) / 1000;
    const putSecs = (performance.now() - tPut) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);

    process.stdout.write(
      [
        `uploaded ${mib} MiB in ${secs.toFixed(2)} s: md5+sha256 ${(secs - putSecs).toFixed(2)} s, create + PUT + active ${putSecs.toFixed(2)} s`,
        `throughput: ${(mib / secs).toFixed(1)} MiB/s overall, ${(mib / putSecs).toFixed(1)} MiB/s for the upload itself`,
        `RSS at start: ${(rssStart / MiB).toFixed(1)} MiB; peak RSS (100 ms samples): ${(peak / MiB).toFixed(1)} MiB; growth ${((peak - rssStart) / MiB).toFixed(1)} MiB`,
        `image ${img.id}: status ${img.status}, size ${img.size}, md5 ${img.checksum}`,
        '(the simulator runs in this process, so the RSS includes its side of the upload too)',
      ].join('\n') + '\n',
    );
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
