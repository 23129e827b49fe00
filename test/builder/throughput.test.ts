// The builder's upload path with a big image: the fake DIB writes NODEPOOL_BUILDER_BENCH_MIB
// (default 64; 1024 for the 1 GiB figure) of real data, the builder uploads it to the simulator,
// and the test prints the upload throughput the builder logged (not asserted: machines differ).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { builds, readyUpload, IMAGE } from './helpers';
import { CLOUD_QCOW2, eventually, useBuilderStack } from './stack';

const MIB = Number(process.env.NODEPOOL_BUILDER_BENCH_MIB ?? 64);

const stack = useBuilderStack(() => ({
  labels: [{ name: 'fake-label' }],
  diskimages: [{ name: IMAGE, elements: ['fedora'], 'env-vars': { FAKE_DIB_SIZE_BYTES: String(MIB * 1024 * 1024) } }],
  providers: [
    {
      name: 'p1',
      cloud: CLOUD_QCOW2,
      rate: 0,
      diskimages: [{ name: IMAGE }],
      pools: [{ name: 'main', 'max-servers': 1, labels: [{ name: 'fake-label', diskimage: IMAGE, 'flavor-name': 'm1.small' }] }],
    },
  ],
}));

void test(`build and upload of a ${MIB} MiB image: throughput`, async () => {
  const s = stack();
  const t0 = Date.now();
  s.startBuilder();
  try {
    const b = await eventually('uploaded', async () => {
      const ready = (await builds(s.zk, IMAGE, 'ready'))[0];
      return ready && (await readyUpload(s.zk, IMAGE, ready.id, 'p1')) ? ready : null;
    }, 600_000);
    const total = Date.now() - t0;
    const line = readFileSync(s.builderLog, 'utf8')
      .split('\n')
      .find((l) => l.includes('"msg":"image uploaded"'));
    assert.ok(line, 'upload logged');
    const ms = (JSON.parse(line) as { ms: number }).ms;
    console.log(`${MIB} MiB image ${IMAGE}-${b.id}: upload ${ms} ms = ${((MIB / ms) * 1000).toFixed(1)} MiB/s; builder start to ready upload ${total} ms`);
  } finally {
    await s.stopBuilder();
  }
});
