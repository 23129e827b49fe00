// Durability: the Temporal server (dev server on a SQLite file) is stopped for a few seconds while
// 20 launches are in flight, then started again on the same port and file. The launcher's client
// and workers reconnect by themselves: every request is fulfilled with exactly one server per
// node, no server is left without a node, no lock is left, and no node workflow's task failed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useStack, eventually, withDiagnostics } from '../harness/stack';
import { assertOneServerPerNode, failedWorkflowTasks, stormPool, waitFulfilled, waitNoLocks } from '../harness/invariants';
import { listNodes } from '../../activities/launcher/store';

const N = 20;

const stack = useStack(stormPool.config, stormPool.setup, { temporalDbFile: true });


test('Temporal restarted with 20 launches in flight: every request fulfilled, nothing leaked, no workflow task failed', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    await s.sim.admin.setBootDelay(10_000);
    const ids = (await s.zuul(['submit', '--label', 'small', '--count', String(N)])).request_ids as string[];
    assert.equal(ids.length, N);
    await eventually('launches in flight', async () => (await listNodes(s.zk)).filter((n) => n.state === 'building').length >= 15, 90_000);
    const oldPid = s.temporal.pid;
    const launcherPid = s.launcherPid as number;
    await s.restartTemporal(4000);
    assert.notEqual(s.temporal.pid, oldPid, 'a new Temporal server process');
    await s.sim.admin.setBootDelay(1000);
    const nodeIds = await waitFulfilled(s, ids);
    assert.equal(nodeIds.length, N);
    assert.equal(new Set(nodeIds).size, N, 'no node given to two requests');
    await assertOneServerPerNode(s, nodeIds);
    await waitNoLocks(s, ids, nodeIds);
    const { failed, runs } = await failedWorkflowTasks(s.client, 'WorkflowType = "nodeWorkflow"');
    assert.ok(runs >= N, `histories of ${runs} node workflow runs scanned`);
    assert.deepEqual(failed, [], 'no workflow task failed');
    // the same launcher process did it all: it reconnected, nobody restarted it
    assert.equal(s.launcherPid, launcherPid);
    assert.doesNotThrow(() => process.kill(launcherPid, 0), 'the launcher is still running');
    for (const id of ids) await s.zuul(['cancel', '--id', id]);
  });
});
