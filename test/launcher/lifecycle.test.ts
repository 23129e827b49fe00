// A node's life after launch: min-ready keeps READY nodes around, max-ready-age replaces old
// ones, a held node is deleted when its hold expires, `nodepool delete` (a signal to the node's
// workflow) deletes it, and a broken config file keeps the last good config running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { useStack, eventually, withDiagnostics, type Stack } from '../harness/stack';
import { listNodes } from '../../activities/launcher/store';
import { deleteNodeSignal, workflowIds } from '../../workflows/messages';

const pool = (labels: string[]) => ({
  name: 'main',
  'max-servers': 20,
  'host-key-checking': false,
  labels: labels.map((name) => ({ name, 'cloud-image': 'noble', 'flavor-name': 'm1.tiny' })),
});
const config = (cloud: string, extra: { labels?: Array<Record<string, unknown>>; poolLabels?: string[] } = {}) => ({
  'max-hold-age': 4,
  labels: extra.labels ?? [{ name: 'warm', 'min-ready': 2 }, { name: 'aging', 'min-ready': 1, 'max-ready-age': 3 }, { name: 'plain' }],
  providers: [
    {
      name: 'sim',
      cloud,
      rate: 0,
      'cloud-images': [{ name: 'noble', 'image-name': 'ubuntu-noble' }],
      pools: [pool(extra.poolLabels ?? ['warm', 'aging', 'plain'])],
    },
  ],
});

let cloudName = '';
const stack = useStack(
  (cloud) => {
    cloudName = cloud;
    return config(cloud);
  },
  async (s) => {
    await s.sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
    await s.startLauncher();
  },
);


const readyFree = async (s: Stack, label: string) =>
  (await listNodes(s.zk)).filter((n) => n.type.includes(label) && n.state === 'ready' && !n.allocated_to);

test('min-ready keeps READY, unallocated nodes of a label, and replaces one that Zuul takes', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    await eventually('two warm nodes', async () => (await readyFree(s, 'warm')).length === 2, 60_000);
    const before = (await readyFree(s, 'warm')).map((n) => n.id).sort();
    const out = await s.zuul(['request', '--label', 'warm', '--wait', '--timeout', '60']);
    const [taken] = (out.final as { nodes: string[] }).nodes as [string];
    assert.ok(before.includes(taken), 'the request reused a min-ready node');
    await eventually('warm pool refilled', async () => (await readyFree(s, 'warm')).length === 2, 60_000);
    const reqs = (await s.zuul(['list-requests'])) as Record<string, { requestor: string; state: string }>;
    assert.ok(!Object.values(reqs).some((r) => r.requestor === 'NodePool:min-ready' && r.state === 'fulfilled'), 'fulfilled min-ready requests are removed');
  });
});

test('max-ready-age deletes an idle READY node and min-ready replaces it', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    const first = await eventually('an aging node', async () => (await readyFree(s, 'aging'))[0]);
    await eventually('the old node deleted', async () => !(await listNodes(s.zk)).some((n) => n.id === first.id), 30_000);
    const next = await eventually('a new aging node', async () => (await readyFree(s, 'aging'))[0], 30_000);
    assert.notEqual(next.id, first.id);
    assert.ok(!(await s.sim.admin.state()).servers.some((sv) => sv.metadata.nodepool_node_id === first.id), 'its server is gone too');
  });
});

test('a held node is kept while held and deleted when max-hold-age expires', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    const out = await s.zuul(['request', '--label', 'plain', '--wait', '--use', '--hold', 'debugging', '--timeout', '60']);
    const [id] = (out.final as { nodes: string[] }).nodes as [string];
    const held = await eventually('node held', async () => (await listNodes(s.zk)).find((n) => n.id === id && n.state === 'hold'));
    assert.equal(held.comment, 'debugging');
    await eventually('held node deleted after max-hold-age', async () => !(await listNodes(s.zk)).some((n) => n.id === id), 30_000);
  });
});

test('nodepool delete (a signal to the node workflow) deletes a READY node and its server', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    const node = await eventually('a warm node', async () => (await readyFree(s, 'warm'))[0]);
    await s.client.workflow.getHandle(workflowIds.node(node.id)).signal(deleteNodeSignal, { reason: 'nodepool delete' });
    await eventually('node gone', async () => !(await listNodes(s.zk)).some((n) => n.id === node.id), 30_000);
    assert.ok(!(await s.sim.admin.state()).servers.some((sv) => sv.metadata.nodepool_node_id === node.id));
  });
});

test('a broken config file keeps the last good config running; a fixed one is picked up', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    writeFileSync(s.configPath, 'labels: [\n  broken yaml');
    await new Promise((r) => setTimeout(r, 2500));
    assert.ok(readFileSync(s.launcherLog, 'utf8').includes('keeping the last good one'), 'the launcher reports the broken file');
    const out = await s.zuul(['request', '--label', 'plain', '--wait', '--timeout', '60']);
    assert.equal(out.state, 'fulfilled', 'still serving with the last good config');
    s.writeConfig(config(cloudName, { labels: [{ name: 'warm', 'min-ready': 2 }, { name: 'aging' }, { name: 'plain' }, { name: 'fresh' }], poolLabels: ['warm', 'aging', 'plain', 'fresh'] }));
    const fresh = await eventually('new label served', async () => {
      const r = await s.zuul(['request', '--label', 'fresh', '--wait', '--timeout', '30']);
      return r.state === 'fulfilled' ? r : undefined;
    });
    assert.equal(fresh.state, 'fulfilled');
  });
});
