// Durability: kill -9 the launcher while 20+ launches are in flight, start it again, and every
// request is fulfilled with exactly one server per node and no lock left behind. The same when
// ZooKeeper itself is restarted in the middle of a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useStack, eventually, withDiagnostics, type Stack } from '../harness/stack';
import { assertOneServerPerNode, stormPool, waitFulfilled, waitNoLocks } from '../harness/invariants';
import { listNodes } from '../../activities/launcher/store';

const stack = useStack(stormPool.config, stormPool.setup);

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
    await waitNoLocks(s, ids, nodeIds);
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
    await waitNoLocks(s, ids, nodeIds);
  });
});
