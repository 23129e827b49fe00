// An upgrade as an operator does it: the previous release's launcher (a worktree of the newest
// release tag, its own workflow code) runs with READY nodes (allocated and min-ready), launches in
// flight; it is stopped, requests arrive meanwhile, and this checkout's launcher takes over on the
// same Temporal and ZooKeeper. Every request is fulfilled, every node Zuul returns is deleted,
// nothing leaks in the cloud, and no workflow task fails (a replay that disagreed with the new
// code would show as WorkflowTaskFailed in the histories).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { listNodes, updateNode } from '../../activities/launcher/store';
import { setNodeState } from '../../lib/zk/codec-node';
import { failedWorkflowTasks } from '../harness/invariants';
import { useStack, eventually, withDiagnostics, type Stack } from '../harness/stack';
import { checkOutRelease, previousReleaseTag, type PreviousRelease } from './previous-release';

const { tag, why } = previousReleaseTag();
let previous: PreviousRelease | undefined;
before(() => {
  if (tag) previous = checkOutRelease(tag);
});
after(() => previous?.remove());

const stack = useStack((cloud) => ({
  labels: [{ name: 'small' }, { name: 'warm', 'min-ready': 1 }],
  providers: [
    {
      name: 'sim',
      cloud,
      rate: 0,
      'cloud-images': [{ name: 'noble', 'image-name': 'ubuntu-noble' }],
      pools: [
        {
          name: 'main',
          'max-servers': 12,
          'host-key-checking': false,
          labels: [
            { name: 'small', 'cloud-image': 'noble', 'flavor-name': 'm1.tiny' },
            { name: 'warm', 'cloud-image': 'noble', 'flavor-name': 'm1.tiny' },
          ],
        },
      ],
    },
  ],
}), async (s) => {
  await s.sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
});

const submit = async (s: Stack, n: number): Promise<string[]> =>
  (await s.zuul(['submit', '--label', 'small', '--count', String(n)])).request_ids as string[];

async function requests(s: Stack): Promise<Record<string, { state: string; nodes: string[] }>> {
  return (await s.zuul(['list-requests'])) as Record<string, { state: string; nodes: string[] }>;
}


test(`the previous release's launcher (${tag ?? 'no tag'}) hands over to this one: every request fulfilled, returned nodes deleted, nothing leaked, no workflow task failed`, { skip: !tag && (why ?? 'no release tag') }, async (t) => {
  const s = stack();
  const root = previous?.root;
  assert.ok(root, 'the previous release is checked out');
  await withDiagnostics(s, t, async () => {
    await s.startLauncher({ NODEPOOL_LAUNCHER_ROOT: root });
    // READY nodes: two allocated to fulfilled requests, one min-ready
    const ready = await submit(s, 2);
    await eventually('two fulfilled and a min-ready node', async () => {
      const reqs = await requests(s);
      const nodes = await listNodes(s.zk);
      return ready.every((id) => reqs[id]?.state === 'fulfilled') && nodes.some((n) => n.type.includes('warm') && n.state === 'ready');
    }, 90_000);
    // launches in flight
    await s.sim.admin.setBootDelay(15_000);
    const building = await submit(s, 3);
    await eventually('three launches in flight', async () => (await listNodes(s.zk)).filter((n) => n.state === 'building' && n.external_id).length >= 3, 60_000);
    await s.stopLauncher();

    // requests that arrive while no launcher runs
    const waiting = await submit(s, 2);
    await s.sim.admin.setBootDelay(500);
    await s.startLauncher();
    const all = [...ready, ...building, ...waiting];
    await eventually('every request fulfilled by the new launcher', async () => {
      const reqs = await requests(s);
      return all.every((id) => reqs[id]?.state === 'fulfilled');
    }, 120_000);
    const reqs = await requests(s);
    const nodeIds = all.flatMap((id) => reqs[id]?.nodes ?? []);
    assert.equal(new Set(nodeIds).size, all.length, 'one node per request, none given twice');

    // Zuul is done with them: requests deleted, nodes returned used
    for (const id of all) await s.zuul(['cancel', '--id', id]);
    for (const id of nodeIds) await updateNode(s.zk, id, (n) => setNodeState(n, 'used'));
    await eventually('every returned node and its server deleted', async () => {
      const nodes = await listNodes(s.zk);
      const servers = (await s.sim.admin.state()).servers.filter((x) => x.status !== 'DELETED');
      return !nodes.some((n) => nodeIds.includes(n.id)) && !servers.some((x) => nodeIds.includes(x.metadata.nodepool_node_id ?? ''));
    }, 120_000);
    // nothing leaked: every server left belongs to a node (the min-ready one)
    const known = new Set((await listNodes(s.zk)).map((n) => n.id));
    const strays = (await s.sim.admin.state()).servers.filter((x) => x.status !== 'DELETED' && !known.has(x.metadata.nodepool_node_id ?? ''));
    assert.deepEqual(strays.map((x) => x.name), [], 'no server without a node');
    assert.deepEqual((await failedWorkflowTasks(s.client)).failed, [], 'no workflow task failed after the upgrade');
  });
});
