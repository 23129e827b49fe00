// How requests are served: several nodes and labels in requested order, unknown labels declined
// until the request fails, max-servers making a request wait (still `requested`, the pool paused) until nodes are freed,
// and a request withdrawn by Zuul while its node is still booting (alone, or beside a reused node).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useStack, eventually, withDiagnostics } from '../harness/stack';
import { listNodes, readRequest } from '../../activities/launcher/store';
import { registeredPools } from '../../lib/zk/operations/components';
import { assertNoLocks, failedWorkflowTasks } from '../harness/invariants';
import { nodeStatusQuery, workflowIds } from '../../workflows/messages';

const stack = useStack(
  (cloud) => ({
    labels: [{ name: 'small' }, { name: 'large' }, { name: 'capped' }, { name: 'slowboot' }],
    providers: [
      {
        name: 'sim',
        cloud,
        rate: 0,
        'cloud-images': [{ name: 'noble', 'image-name': 'ubuntu-noble' }],
        pools: [
          {
            name: 'main',
            'max-servers': 20,
            'host-key-checking': false,
            labels: [
              { name: 'small', 'cloud-image': 'noble', 'flavor-name': 'm1.small' },
              { name: 'large', 'cloud-image': 'noble', 'min-ram': 8192 },
              { name: 'slowboot', 'cloud-image': 'noble', 'flavor-name': 'm1.small' },
            ],
          },
          {
            name: 'capped',
            'max-servers': 2,
            'host-key-checking': false,
            labels: [{ name: 'capped', 'cloud-image': 'noble', 'flavor-name': 'm1.tiny' }],
          },
        ],
      },
    ],
  }),
  async (s) => {
    await s.sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
    await s.startLauncher();
  },
);


test('a multi-node, multi-label request gets its nodes in the order the labels were requested', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    const out = await s.zuul(['request', '--label', 'large', '--label', 'small', '--label', 'large', '--wait', '--timeout', '90']);
    assert.equal(out.state, 'fulfilled', JSON.stringify(out));
    const ids = (out.final as { nodes: string[] }).nodes;
    assert.equal(ids.length, 3);
    const nodes = await listNodes(s.zk);
    const labels = ids.map((id) => nodes.find((n) => n.id === id)?.type[0]);
    assert.deepEqual(labels, ['large', 'small', 'large']);
    for (const id of ids) {
      const n = nodes.find((x) => x.id === id);
      assert.equal(n?.state, 'ready');
      assert.equal(n?.allocated_to, out.request_id);
      assert.equal(n?.provider, 'sim');
      assert.equal(n?.pool, 'main');
      assert.ok(n?.launcher?.includes('-PoolWorker.sim-main-'), n?.launcher ?? '');
      assert.ok(n?.interface_ip, 'node has an address');
      assert.equal(n?.connection_type, 'ssh');
      assert.equal(n?.connection_port, 22);
      assert.equal(n?.image_id, 'noble');
    }
    // m1.small vs the 8 GiB flavor: resources recorded per node
    const large = nodes.find((n) => n.id === ids[0]);
    assert.ok((large?.resources?.ram ?? 0) >= 8192);
  });
});

test('a label no pool offers is declined by every pool and the request fails', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    const out = await s.zuul(['request', '--label', 'no-such-label', '--wait', '--timeout', '60']);
    assert.equal(out.state, 'failed', JSON.stringify(out));
    const declined = (out.final as { declined_by: string[] }).declined_by;
    assert.equal(declined.length, 2, 'both pools declined');
  });
});

test('at max-servers a request waits (requested, pool paused) and is served when a node is freed', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    const first = s.zuul(['request', '--label', 'capped', '--label', 'capped', '--wait', '--use', '--job-seconds', '8', '--release', '--timeout', '90']);
    await eventually('two capped nodes in use', async () => (await listNodes(s.zk)).filter((n) => n.type.includes('capped') && n.state === 'in-use').length === 2);
    const second = s.zuul(['request', '--label', 'capped', '--wait', '--timeout', '120']);
    // as in Nodepool: the waiting request stays `requested` with nothing declined, and the pool
    // component says paused (other launchers' pools stop yielding to it)
    await eventually('pool capped paused', async () => (await registeredPools(s.zk)).find((p) => p.name === 'capped')?.paused === true);
    const reqs = (await s.zuul(['list-requests'])) as Record<string, { state: string; node_types: string[]; declined_by: string[] }>;
    const waiting = Object.values(reqs).filter((r) => r.node_types?.[0] === 'capped' && r.node_types.length === 1);
    assert.equal(waiting.length, 1);
    assert.equal(waiting[0]?.state, 'requested');
    assert.deepEqual(waiting[0]?.declined_by ?? [], []);
    assert.ok((await s.sim.admin.state()).servers.filter((sv) => sv.metadata.nodepool_pool_name === 'capped').length <= 2);
    assert.equal((await first).state, 'fulfilled');
    const out = await second;
    assert.equal(out.state, 'fulfilled', JSON.stringify(out));
  });
});

test('a request withdrawn while its node boots leaves a READY, unallocated node for others', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    await s.sim.admin.setBootDelay(4000);
    const sub = await s.zuul(['request', '--label', 'slowboot']);
    const requestId = sub.request_id as string;
    await eventually('node building', async () => (await listNodes(s.zk)).some((n) => n.type.includes('slowboot') && n.state === 'building'));
    await s.zuul(['cancel', '--id', requestId]);
    assert.equal(await readRequest(s.zk, requestId), null);
    const node = await eventually('node ready and free', async () =>
      (await listNodes(s.zk)).find((n) => n.type.includes('slowboot') && n.state === 'ready' && !n.allocated_to),
    );
    assert.ok(node);
    await s.sim.admin.setBootDelay(0);
    // and the next request for that label reuses it
    const out = await s.zuul(['request', '--label', 'slowboot', '--wait', '--timeout', '60']);
    assert.deepEqual((out.final as { nodes: string[] }).nodes, [node.id]);
  });
});

test('a request withdrawn while one of its nodes boots and another is reused: both go free once the launch ends, no lock left, no workflow task failed', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    // a READY, unallocated slowboot node to reuse (a request withdrawn while it booted)
    await s.sim.admin.setBootDelay(0);
    const first = await s.zuul(['request', '--label', 'slowboot']);
    await s.zuul(['cancel', '--id', first.request_id as string]);
    const spare = await eventually('a spare READY slowboot node', async () =>
      (await listNodes(s.zk)).find((n) => n.type.includes('slowboot') && n.state === 'ready' && !n.allocated_to),
    );
    // two slowboot nodes: the spare is reused (allocated, locked), the other boots for 5 s
    await s.sim.admin.setBootDelay(5000);
    const sub = await s.zuul(['request', '--label', 'slowboot', '--label', 'slowboot']);
    const requestId = sub.request_id as string;
    const launching = await eventually('the second node building', async () =>
      (await listNodes(s.zk)).find((n) => n.type.includes('slowboot') && n.state === 'building' && n.allocated_to === requestId),
    );
    assert.equal((await listNodes(s.zk)).find((n) => n.id === spare.id)?.allocated_to, requestId, 'the spare node is allocated to the request');
    await s.zuul(['cancel', '--id', requestId]);
    const ids = [spare.id, launching.id];
    await eventually(
      'both nodes READY, unallocated and unlocked',
      async () => {
        const nodes = (await listNodes(s.zk)).filter((n) => ids.includes(n.id));
        if (nodes.length !== 2 || !nodes.every((n) => n.state === 'ready' && !n.allocated_to)) return false;
        await assertNoLocks(s, [requestId], ids);
        return true;
      },
      60_000,
    );
    // the lead node workflow carried the request to its end (it would hang on a reused lock otherwise)
    const status = await s.client.workflow.getHandle(workflowIds.node(launching.id)).query(nodeStatusQuery);
    assert.equal(status.request?.requestId, requestId, 'the launched node is the lead, carrying the request');
    assert.equal(status.request?.outcome, 'withdrawn');
    const { failed, runs } = await failedWorkflowTasks(s.client, `WorkflowType = "nodeWorkflow"`);
    assert.ok(runs >= 2);
    assert.deepEqual(failed, []);
    await s.sim.admin.setBootDelay(0);
  });
});
