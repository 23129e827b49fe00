// nodepool-launcher end to end: Zuul (the kazoo stand-in) asks for nodes; the launcher serves
// them with Temporal workflows on the simulated cloud, exactly as Nodepool would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
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
  // a statsd server: Nodepool's metric names must reach the dashboards unchanged
  statsd.on('message', (m) => statsdLines.push(...m.toString().split('\n')));
  await new Promise<void>((r) => statsd.bind(0, '127.0.0.1', () => r()));
  statsd.unref();
  await s.startLauncher({ STATSD_HOST: '127.0.0.1', STATSD_PORT: String(statsd.address().port) });
});
const statsd = createSocket('udp4');
const statsdLines: string[] = [];

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
    await eventually('statsd lines', async () => statsdLines.some((l) => l.startsWith('nodepool.nodes.ready:')));
    assert.ok(statsdLines.includes('nodepool.launch.ready:1|c'), statsdLines.join(' '));
    assert.ok(statsdLines.some((l) => /^nodepool\.launch\.provider\.sim\.ready:\d+\|ms$/.test(l)));
    assert.ok(statsdLines.some((l) => l.startsWith('nodepool.provider.sim.nodes.building:')));
    assert.ok(statsdLines.some((l) => l.startsWith('nodepool.label.small.nodes.ready:')));
    assert.ok(statsdLines.includes('nodepool.provider.sim.max_servers:10|g'));
    // what the Web UI filters on: node workflows by provider and label, requests by id
    const byProviderLabel = `WorkflowType = "nodeWorkflow" AND NodepoolProvider = "sim" AND NodepoolLabel = "small" AND NodepoolNodeId = "${nodeIds[0]}"`;
    await eventually('node workflow visible by provider and label', async () => (await s.client.workflow.count(byProviderLabel)).count === 1);
    // the request is carried by its (only) node's workflow: found by request id
    await eventually('node workflow visible by request id', async () =>
      (await s.client.workflow.count(`WorkflowType = "nodeWorkflow" AND NodepoolRequestId = "${String(out.request_id)}" AND NodepoolNodeId = "${nodeIds[0]}"`)).count === 1);
    // one workflow for a one-node request: no other workflow was started for it
    assert.equal((await s.client.workflow.count(`NodepoolRequestId = "${String(out.request_id)}"`)).count, 1);
    // no lock holder activity: the launch's request and node locks stay with the contenders
    // admission and beginLaunch made (LAUNCH_LOCKS_UNHELD)
    const events = (await s.client.workflow.getHandle(`node/${nodeIds[0]}`).fetchHistory()).events ?? [];
    const holders = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'holdLock');
    assert.equal(holders.length, 0, `${holders.length} holdLock activities in the lead's history`);
    // one patch marker (launch-locks-unheld implies settle-after-launches): each costs an event
    // and a TemporalChangeVersion upsert
    const patches = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
    assert.equal(patches.length, 1, `${patches.length} patch markers in the lead's history`);
  } catch (err) {
    t.diagnostic(readFileSync(s.launcherLog, 'utf8').slice(-5000));
    throw err;
  } finally {
    if (process.env.KEEP_LOG) copyFileSync(s.launcherLog, process.env.KEEP_LOG);
  }
});

test('every node workflow history replays against the current workflow code', async () => {
  const s = stack();
  const { Worker, bundleWorkflowCode } = await import('@temporalio/worker');
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows') });
  let replayed = 0;
  for await (const wf of s.client.workflow.list({ query: 'WorkflowType = "nodeWorkflow"' })) {
    const history = await s.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    // throws DeterminismViolationError if the code no longer matches what the history recorded
    await Worker.runReplayHistory({ workflowBundle }, history, wf.workflowId);
    replayed++;
  }
  assert.ok(replayed >= 1, `replayed ${replayed} histories`);
});
