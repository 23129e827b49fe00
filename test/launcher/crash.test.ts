// Durability: kill -9 the launcher while 20+ launches are in flight, start it again, and every
// request is fulfilled with exactly one server per node and no lock left behind. The same when
// ZooKeeper itself is restarted in the middle of a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useStack, eventually, withDiagnostics, type Stack } from '../harness/stack';
import { assertNoLocks, assertOneServerPerNode, waitFulfilled } from '../harness/invariants';
import { listNodes } from '../../activities/launcher/store';

const stack = useStack(
  (cloud) => ({
    labels: [{ name: 'small' }],
    providers: [
      {
        name: 'sim',
        cloud,
        rate: 0,
        'cloud-images': [{ name: 'noble', 'image-name': 'ubuntu-noble' }],
        pools: [{ name: 'main', 'max-servers': 100, 'host-key-checking': false, labels: [{ name: 'small', 'cloud-image': 'noble', 'flavor-name': 'm1.tiny' }] }],
      },
    ],
  }),
  async (s) => {
    await s.sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
    await s.sim.admin.setQuotas({ instances: -1, cores: -1, ram: -1 });
    await s.startLauncher();
  },
);

/** n requests from one Zuul connection, as fast as Zuul submits them (one process per request
 *  would spread them over seconds on a busy machine, and fewer launches would overlap). */
async function submitMany(s: Stack, n: number): Promise<string[]> {
  return (await s.zuul(['submit', '--label', 'small', '--count', String(n)])).request_ids as string[];
}

test('kill -9 with 20+ launches in flight: every request fulfilled, one server per node, no lock left', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    await s.sim.admin.setBootDelay(5000);
    const ids = await submitMany(s, 22);
    await eventually('launches in flight', async () => (await listNodes(s.zk)).filter((n) => n.state === 'building').length >= 20, 90_000);
    await s.killLauncher();
    await new Promise((r) => setTimeout(r, 2000));
    await s.sim.admin.setBootDelay(1000);
    await s.startLauncher();
    const nodeIds = await waitFulfilled(s, ids);
    assert.equal(nodeIds.length, 22);
    assert.equal(new Set(nodeIds).size, 22, 'no node given to two requests');
    await assertOneServerPerNode(s, nodeIds);
    await eventually('locks released', async () => {
      await assertNoLocks(s, ids, nodeIds);
      return true;
    }, 30_000);
    for (const id of ids) await s.zuul(['cancel', '--id', id]);
  });
});

test('ZooKeeper restarted mid-run: requests are still fulfilled and nothing leaks', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    await s.sim.admin.setBootDelay(3000);
    const ids = await submitMany(s, 10);
    await eventually('launches in flight', async () => (await listNodes(s.zk)).filter((n) => n.state === 'building').length >= 5, 90_000);
    await s.zkServer.stop();
    await new Promise((r) => setTimeout(r, 3000));
    await s.zkServer.start();
    await s.sim.admin.setBootDelay(0);
    const nodeIds = await waitFulfilled(s, ids);
    assert.equal(new Set(nodeIds).size, 10);
    await assertOneServerPerNode(s, nodeIds);
    await eventually('locks released', async () => {
      await assertNoLocks(s, ids, nodeIds);
      return true;
    }, 30_000);
  });
});
