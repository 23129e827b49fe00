// nodepool-launcher end to end: Zuul (the kazoo stand-in) asks for nodes; the launcher serves
// them with Temporal workflows on the simulated cloud, exactly as Nodepool would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { useStack, eventually } from '../harness/stack';
import { listNodes } from '../../activities/launcher/store';

const stack = useStack((cloud) => ({
  labels: [{ name: 'small' }, { name: 'large' }],
  providers: [
    {
      name: 'sim',
      cloud,
      rate: 0,
      'boot-timeout': 30,
      'launch-retries': 3,
      'cloud-images': [{ name: 'cloud-noble', 'image-name': 'ubuntu-noble' }],
      pools: [
        {
          name: 'main',
          'max-servers': 10,
          'host-key-checking': false,
          networks: ['private'],
          labels: [
            { name: 'small', 'cloud-image': 'cloud-noble', 'flavor-name': 'm1.small' },
            { name: 'large', 'cloud-image': 'cloud-noble', 'min-ram': 8192 },
          ],
        },
      ],
    },
  ],
}), async (s) => {
  await s.sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
  await s.startLauncher();
});

test('a one-node request is fulfilled with a READY node that Zuul can use and return', async (t) => {
  const s = stack();
  try {
    const out = await s.zuul(['request', '--label', 'small', '--wait', '--timeout', '90', '--use', '--release']);
    assert.equal(out.state, 'fulfilled', JSON.stringify(out));
    const nodeIds = (out.final as { nodes: string[] }).nodes;
    assert.equal(nodeIds.length, 1);
    // the used node is deleted: cloud server gone, znode gone
    await eventually('used node deleted', async () => !(await listNodes(s.zk)).some((n) => n.id === nodeIds[0]), 60_000);
    const state = await s.sim.admin.state();
    assert.equal(state.servers.filter((sv) => sv.metadata.nodepool_node_id === nodeIds[0]).length, 0);
  } catch (err) {
    t.diagnostic(readFileSync(s.launcherLog, 'utf8').slice(-5000));
    throw err;
  } finally {
    if (process.env.KEEP_LOG) copyFileSync(s.launcherLog, process.env.KEEP_LOG);
  }
});
