// Cleanup as the safety net (real stack, cleanup every 2 s): a failing cloud listing never makes
// things look leaked, a lost request (pending, unlocked, no workflow) goes back to `requested`
// and is served with the READY node it had, a node whose workflow is gone is adopted again, and
// a provider removed from the config drains and its cleanup workflow ends.
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { useStack, eventually, withDiagnostics, type Stack } from '../harness/stack';
import { listNodes, readRequest, updateNode } from '../../activities/launcher/store';
import { encodeNode, newNode, setNodeState } from '../../lib/zk/codec-node';
import { newRequest } from '../../lib/zk/codec-request';
import { submitRequest } from '../../lib/zk/operations/requests';
import { cleanupStatusQuery, cleanupWorkflowId, type CleanupStatus } from '../../workflows/cleanup-messages';
import { workflowIds } from '../../workflows/messages';
import { LAUNCHER_QUEUE } from '../../workflows/lib/activities';
import type { cleanupWorkflow } from '../../workflows';

const INTERVAL_S = 2;
const TWO_PASSES_MS = 2 * INTERVAL_S * 1000 + 12_000;

const provider = (cloud: string, name: string, label: string) => ({
  name,
  cloud,
  rate: 0,
  'cloud-images': [{ name: 'noble', 'image-name': 'ubuntu-noble' }],
  pools: [{ name: 'main', 'max-servers': 10, 'host-key-checking': false, labels: [{ name: label, 'cloud-image': 'noble', 'flavor-name': 'm1.tiny' }] }],
});
let cloudName = '';
const config = (cloud: string, withOld = true) => ({
  labels: [{ name: 'small', 'min-ready': 1 }, ...(withOld ? [{ name: 'old', 'min-ready': 1 }] : [])],
  providers: [provider(cloud, 'sim', 'small'), ...(withOld ? [provider(cloud, 'old', 'old')] : [])],
});

const stack = useStack(
  (cloud) => {
    cloudName = cloud;
    return config(cloud);
  },
  async (s) => {
    await s.sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
    await s.startLauncher({ NODEPOOL_CLEANUP_INTERVAL: String(INTERVAL_S) });
  },
);

const status = (s: Stack, p = 'sim'): Promise<CleanupStatus> => s.client.workflow.getHandle(cleanupWorkflowId(p)).query(cleanupStatusQuery);
const readyNode = (s: Stack, label: string) =>
  eventually(`a READY ${label} node`, async () => (await listNodes(s.zk)).find((n) => n.type.includes(label) && n.state === 'ready' && !n.allocated_to), 90_000);

test('a failing server listing aborts that task only: nothing looks leaked, the server goes once the cloud answers', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    await readyNode(s, 'small');
    const fault = await s.sim.admin.injectFault({ service: 'compute', method: 'GET', pathRegex: '/servers/detail', status: 503, times: -1 });
    const leaked = await s.sim.admin.leakServer({ name: 'np9100000001', metadata: { nodepool_provider_name: 'sim', nodepool_node_id: '9100000001' } });
    const start = (await status(s)).passes;
    const failed = await eventually('passes with the server task failing', async () => {
      const st = await status(s);
      return st.passes >= start + 3 && st.lastPass?.tasks.servers?.ok === false ? st : null;
    }, 60_000);
    assert.deepEqual(failed.pending.servers, [], 'a pass that could not list keeps no sightings');
    assert.equal(failed.lastPass?.tasks.nodes?.ok, true, 'the other tasks still ran');
    assert.ok((await s.sim.admin.state()).servers.some((x) => x.id === leaked.id && x.status !== 'DELETED'));
    // nothing of ours was deleted while the cloud was failing
    assert.ok((await listNodes(s.zk)).some((n) => n.type.includes('small') && n.state === 'ready'));
    await s.sim.admin.clearFaults(fault);
    await eventually('the leaked server deleted', async () => !(await s.sim.admin.state()).servers.some((x) => x.id === leaked.id && x.status !== 'DELETED'), TWO_PASSES_MS);
  });
});

test('a lost request goes back to requested, its READY node is freed, and it is fulfilled', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    const node = await readyNode(s, 'small');
    // what a launcher that died after accepting leaves behind: pending, no lock, a node allocated
    const req = newRequest({ node_types: ['small'], state: 'pending', requestor: 'test-lost' });
    const id = await submitRequest(s.zk, req, { ephemeral: false, priority: '100' });
    await updateNode(s.zk, node.id, (n) => {
      n.allocated_to = id;
    });
    const done = await eventually('the request fulfilled', async () => {
      const r = (await readRequest(s.zk, id))?.value;
      return r?.state === 'fulfilled' ? r : null;
    }, TWO_PASSES_MS + 30_000);
    assert.equal(done.nodes.length, 1);
  });
});

test('an empty node znode is removed', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    await s.zk.create('/nodepool/nodes/9200000001', Buffer.alloc(0), { makepath: true });
    await eventually('the empty znode removed', async () => !(await s.zk.exists('/nodepool/nodes/9200000001')), 10_000 + TWO_PASSES_MS);
  });
});

test('an init node nobody launches (a claim cut short by a crash) is deleted; a fresh one is left alone', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    const now = Date.now() / 1000;
    const orphan = newNode({ state: 'init', state_time: now - 700, provider: 'sim', pool: 'main', type: ['small'], allocated_to: '100-9999999998' });
    const fresh = newNode({ state: 'init', state_time: now + 3600, provider: 'sim', pool: 'main', type: ['small'], allocated_to: '100-9999999999' });
    await s.zk.create('/nodepool/nodes/9300000001', encodeNode(orphan), { makepath: true });
    await s.zk.create('/nodepool/nodes/9300000002', encodeNode(fresh), { makepath: true });
    await eventually('the orphan init node deleted', async () => !(await s.zk.exists('/nodepool/nodes/9300000001')), TWO_PASSES_MS);
    assert.ok(await s.zk.exists('/nodepool/nodes/9300000002'), 'an init node inside its grace period stays');
    await s.zk.deleteRecursive('/nodepool/nodes/9300000002');
  });
});

test('a held node whose workflow is gone is adopted again', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    const node = await readyNode(s, 'small');
    await updateNode(s.zk, node.id, (n) => setNodeState(n, 'hold'));
    const handle = s.client.workflow.getHandle(workflowIds.node(node.id));
    await eventually('node workflow sees the hold', async () => ((await handle.query('status')) as { state: string }).state === 'hold');
    const before = (await handle.describe()).runId;
    await handle.terminate('test: workflow lost');
    const adopted = await eventually('adopted by cleanup', async () => {
      const d = await s.client.workflow.getHandle(workflowIds.node(node.id)).describe();
      return d.status.name === 'RUNNING' && d.runId !== before ? d : null;
    }, TWO_PASSES_MS);
    assert.ok(adopted);
    assert.equal((await listNodes(s.zk)).find((n) => n.id === node.id)?.state, 'hold', 'still held');
  });
});

test('a provider removed from the config drains: used nodes still go, then its cleanup workflow ends', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    const node = await readyNode(s, 'old');
    s.writeConfig(config(cloudName, false));
    await eventually('cleanup/old is draining', async () => (await status(s, 'old')).lastPass?.configured === false, 30_000);
    assert.ok((await listNodes(s.zk)).some((n) => n.id === node.id), 'a READY node of a removed provider is not purged');
    // Zuul used it: with no watcher for the removed provider, cleanup passes the change on
    await updateNode(s.zk, node.id, (n) => setNodeState(n, 'used'));
    await eventually('the used node is removed', async () => !(await listNodes(s.zk)).some((n) => n.id === node.id), TWO_PASSES_MS + 30_000);
    await eventually('cleanup/old ended', async () => (await s.client.workflow.getHandle(cleanupWorkflowId('old')).describe()).status.name === 'COMPLETED', TWO_PASSES_MS + 10_000);
    assert.equal((await s.client.workflow.getHandle(cleanupWorkflowId('sim')).describe()).status.name, 'RUNNING');
  });
});

test('continue-as-new carries the passes and sightings; every cleanup run replays', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    const workflowId = 'cleanup-can-test/sim';
    const handle = await s.client.workflow.start<typeof cleanupWorkflow>('cleanupWorkflow', {
      workflowId,
      taskQueue: LAUNCHER_QUEUE,
      args: [{ provider: 'sim', intervalSeconds: 1, passesPerRun: 1 }],
    });
    const st = await eventually('three passes over three runs', async () => {
      const q = await s.client.workflow.getHandle(workflowId).query(cleanupStatusQuery);
      return q.passes >= 3 ? q : null;
    }, 60_000);
    const d = await s.client.workflow.getHandle(workflowId).describe();
    assert.notEqual(d.runId, handle.firstExecutionRunId, 'continued as new');
    assert.ok(st.lastPass, 'the status survives continue-as-new');
    await s.client.workflow.getHandle(workflowId).terminate('test done');
    let replayed = 0;
    for await (const wf of s.client.workflow.list({ query: `WorkflowType = 'cleanupWorkflow'` })) {
      const history = await s.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      await Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, history, wf.runId);
      replayed++;
    }
    assert.ok(replayed >= 4, `replayed ${replayed} cleanup runs`);
  });
});
