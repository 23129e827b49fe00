// Launch failures handled as Nodepool handles them: ERROR servers and boot timeouts are
// retried (deleting the failed server first) up to launch-retries attempts in total; when the
// attempts run out the request fails and nothing is left in the cloud; a quota error does not
// use up an attempt: the request goes back to the queue and waits until capacity frees up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useStack, eventually, withDiagnostics, type Stack } from '../harness/stack';
import { listNodes } from '../../activities/launcher/store';
import { registeredPools } from '../../lib/zk/operations/components';

const stack = useStack(
  (cloud) => ({
    labels: [{ name: 'flaky' }, { name: 'doomed' }, { name: 'slow' }, { name: 'quota' }],
    providers: [
      {
        name: 'sim',
        cloud,
        rate: 0,
        'launch-retries': 3,
        'launch-timeout': 3,
        'cloud-images': [{ name: 'noble', 'image-name': 'ubuntu-noble' }],
        pools: [
          {
            name: 'main',
            'max-servers': 20,
            'host-key-checking': false,
            labels: ['flaky', 'doomed', 'slow', 'quota'].map((name) => ({ name, 'cloud-image': 'noble', 'flavor-name': 'm1.small' })),
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


async function serversOf(s: Stack, nodeId: string) {
  return (await s.sim.admin.state()).servers.filter((sv) => sv.metadata.nodepool_node_id === nodeId);
}

test('servers that go ERROR are deleted and retried under the same node id, then the node is READY', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    await s.sim.admin.addServerRule({ outcome: 'error', times: 2, faultMessage: 'No valid host was found.' });
    const out = await s.zuul(['request', '--label', 'flaky', '--wait', '--timeout', '90']);
    assert.equal(out.state, 'fulfilled', JSON.stringify(out));
    const [nodeId] = (out.final as { nodes: string[] }).nodes as [string];
    const servers = await serversOf(s, nodeId);
    assert.equal(servers.length, 1, 'exactly one server for the node: failed attempts were deleted');
    assert.equal(servers[0]?.status, 'ACTIVE');
    // the rule (two ERROR servers) is used up: two attempts failed before the third succeeded
    assert.deepEqual(await s.sim.admin.serverRules(), []);
  });
});

test('when every attempt fails the request fails, and no server or node is left behind', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    await s.sim.admin.addServerRule({ outcome: 'error', times: -1 });
    const out = await s.zuul(['request', '--label', 'doomed', '--wait', '--timeout', '90']);
    assert.equal(out.state, 'failed', JSON.stringify(out));
    assert.ok(((out.final as { declined_by: string[] }).declined_by ?? []).length > 0, 'declined_by names our pool');
    const rules = await s.sim.admin.serverRules();
    assert.equal(rules[0]?.hits, 3, 'launch-retries counts total attempts');
    await s.sim.admin.clearServerRules();
    await eventually('failed node deleted', async () => !(await listNodes(s.zk)).some((n) => n.type.includes('doomed')));
    await eventually('no server left', async () => (await s.sim.admin.state()).servers.every((sv) => sv.status !== 'ERROR'));
  });
});

test('a server that never leaves BUILD times out (launch-timeout) and is replaced', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    await s.sim.admin.addServerRule({ outcome: 'stuck-build', times: 1 });
    const out = await s.zuul(['request', '--label', 'slow', '--wait', '--timeout', '90']);
    assert.equal(out.state, 'fulfilled', JSON.stringify(out));
    const [nodeId] = (out.final as { nodes: string[] }).nodes as [string];
    assert.equal((await serversOf(s, nodeId)).length, 1);
    await s.sim.admin.clearServerRules();
  });
});

test('a quota error does not use up attempts: the request waits (requested, pool paused) and is served once quota allows', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    // Zuul holds one node for a while; then the cloud's instance quota drops to what is in use
    const holding = s.zuul(['request', '--label', 'quota', '--wait', '--use', '--job-seconds', '12', '--release', '--timeout', '90']);
    await eventually('first node in use', async () => (await listNodes(s.zk)).some((n) => n.type.includes('quota') && n.state === 'in-use'));
    const inUse = (await s.sim.admin.state()).servers.length;
    await s.sim.admin.setQuotas({ instances: inUse });
    const out = s.zuul(['request', '--label', 'quota', '--wait', '--timeout', '120']);
    // a launch that hit the quota hands the request back; it waits in the queue (`requested`,
    // never declined) while the pool's registration says paused
    await eventually('second request waits at quota, pool paused', async () => {
      const reqs = (await s.zuul(['list-requests'])) as Record<string, { state: string; node_types: string[]; declined_by?: string[] }>;
      const waiting = Object.values(reqs).filter((r) => r.node_types?.includes('quota') && r.state === 'requested');
      const paused = (await registeredPools(s.zk)).find((p) => p.name === 'main')?.paused === true;
      return waiting.length === 1 && (waiting[0]?.declined_by ?? []).length === 0 && paused;
    });
    assert.equal((await holding).state, 'fulfilled');
    const second = await out;
    assert.equal(second.state, 'fulfilled', JSON.stringify(second));
    await s.sim.admin.setQuotas({ instances: -1 });
  });
});
