// Provider cleanup end to end (real ZooKeeper, Temporal, simulator and launcher child process,
// cleanup every 2 s): each leak class injected into the simulator is found and removed within
// two intervals (plus pass time), and what must not be removed survives: a server of another
// Nodepool deployment, a server without Nodepool metadata, a server mid-launch, a held node, the
// images of the current and previous build, a non-compute DOWN port, the port of a live server,
// a floating IP in use. Then a znode deleted behind the launcher's back, a stale allocation,
// `nodepool alien-image-list` and `nodepool cleanup-preview`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { useStack, eventually, withDiagnostics, type Stack } from '../harness/stack';
import { runCli } from '../cli/helpers';
import { seedBuild, seedUpload } from '../status/helpers';
import { listNodes, updateNode } from '../../activities/launcher/store';
import { setNodeState } from '../../lib/zk/codec-node';
import { nodePath } from '../../lib/zk/paths';
import { cleanupStatusQuery, cleanupWorkflowId, type CleanupStatus } from '../../workflows/cleanup-messages';
import { workflowIds } from '../../workflows/messages';

const INTERVAL_S = 2;
/** Two intervals plus room for the passes themselves on a busy test machine. */
const TWO_PASSES_MS = 2 * INTERVAL_S * 1000 + 12_000;

const config = (cloud: string) => ({
  labels: [{ name: 'small', 'min-ready': 1 }],
  diskimages: [{ name: 'fake-image' }],
  providers: [
    {
      name: 'sim',
      cloud,
      rate: 0,
      'clean-floating-ips': true,
      'port-cleanup-interval': 3,
      'cloud-images': [{ name: 'noble', 'image-name': 'ubuntu-noble' }],
      diskimages: [{ name: 'fake-image' }],
      pools: [{ name: 'main', 'max-servers': 10, 'host-key-checking': false, labels: [{ name: 'small', 'cloud-image': 'noble', 'flavor-name': 'm1.tiny' }] }],
    },
  ],
});

const statsd = createSocket('udp4');
const statsdLines: string[] = [];
const stack = useStack(config, async (s) => {
  await s.sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
  statsd.on('message', (m) => statsdLines.push(...m.toString().split('\n')));
  await new Promise<void>((r) => statsd.bind(0, '127.0.0.1', () => r()));
  statsd.unref();
  await s.startLauncher({ NODEPOOL_CLEANUP_INTERVAL: String(INTERVAL_S), STATSD_HOST: '127.0.0.1', STATSD_PORT: String(statsd.address().port) });
});

const status = (s: Stack): Promise<CleanupStatus> => s.client.workflow.getHandle(cleanupWorkflowId('sim')).query(cleanupStatusQuery);
const ours = (provider: string, nodeId: string) => ({ nodepool_provider_name: provider, nodepool_node_id: nodeId });

/** Waits until `n` more passes have finished than now. */
async function passes(s: Stack, n: number): Promise<void> {
  const start = (await eventually('cleanup workflow answers', async () => status(s).catch(() => null))).passes;
  await eventually(`${n} more cleanup passes`, async () => (await status(s)).passes >= start + n, n * INTERVAL_S * 1000 + 30_000);
}

// ids shared by the tests (they run in order on one stack)
const ids: Record<string, string> = {};

test('leaks are removed within two intervals; what is not ours or still in use survives', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    const held = await eventually('a READY node', async () => (await listNodes(s.zk)).find((n) => n.state === 'ready' && !n.allocated_to), 90_000);
    ids.held = held.id;
    // a held node: never cleaned up; min-ready replaces it with a slow-booting (mid-launch) node
    await s.sim.admin.setBootDelay(40_000);
    await updateNode(s.zk, held.id, (n) => setNodeState(n, 'hold'));
    const building = await eventually('a node mid-launch', async () => (await listNodes(s.zk)).find((n) => n.state === 'building' && n.external_id), 30_000);
    ids.building = building.id;

    // images: builds b0 (oldest) < b1 (previous) < b2 (current); b2 has a READY upload
    const b0 = await seedBuild(s.zk, 'fake-image', { state_time: Date.now() / 1000 - 300 });
    const b1 = await seedBuild(s.zk, 'fake-image', { state_time: Date.now() / 1000 - 200 });
    const b2 = await seedBuild(s.zk, 'fake-image', { state_time: Date.now() / 1000 - 100 });
    const props = (build: string, upload: string, provider = 'sim') => ({ nodepool_build_id: build, nodepool_upload_id: upload, nodepool_provider_name: provider });
    const uploaded = await s.sim.admin.leakImage({ name: 'fake-image-known', properties: props(b2.id, '0000000001') });
    await seedUpload(s.zk, b2, 'sim', { id: '', external_id: uploaded.id, external_name: 'fake-image-known' });
    const img = {
      known: uploaded.id,
      current: (await s.sim.admin.leakImage({ name: 'fake-image-current', properties: props(b2.id, '0000000091') })).id,
      previous: (await s.sim.admin.leakImage({ name: 'fake-image-previous', properties: props(b1.id, '0000000092') })).id,
      leaked: (await s.sim.admin.leakImage({ name: 'fake-image-leaked', properties: props(b0.id, '0000000093') })).id,
      orphan: (await s.sim.admin.leakImage({ name: 'fake-image-orphan', properties: props('0123456789abcdef', '0000000094') })).id,
      other: (await s.sim.admin.leakImage({ name: 'fake-image-other', properties: props(b0.id, '0000000095', 'other-nodepool') })).id,
      plain: (await s.sim.admin.leakImage({ name: 'somebody-elses', properties: {} })).id,
    };
    Object.assign(ids, { imgCurrent: img.current, imgPrevious: img.previous, imgOther: img.other });

    const heldServer = String(held.external_id);
    const state0 = await s.sim.admin.state();
    const livePort = state0.ports.find((p) => p.device_id === heldServer);
    assert.ok(livePort, 'the held node has a port');
    const srv = {
      leaked: (await s.sim.admin.leakServer({ name: 'np9000000001', metadata: ours('sim', '9000000001') })).id,
      other: (await s.sim.admin.leakServer({ name: 'np9000000002', metadata: ours('other-nodepool', '9000000002') })).id,
      plain: (await s.sim.admin.leakServer({ name: 'not-nodepool' })).id,
    };
    const port = {
      down: (await s.sim.admin.leakPort({ status: 'DOWN', device_owner: '' })).id,
      downCompute: (await s.sim.admin.leakPort({ status: 'DOWN', device_owner: 'compute:nova', device_id: 'a-server-long-gone' })).id,
      router: (await s.sim.admin.leakPort({ status: 'DOWN', device_owner: 'network:router_interface' })).id,
    };
    // the held node's own floating IP (auto-floating-ip) is the one in use
    const usedFip = state0.floatingIps.find((f) => f.port_id === livePort.id);
    assert.ok(usedFip, 'the held node has a floating IP');
    const fip = {
      free: (await s.sim.admin.leakFloatingIp({})).id,
      used: usedFip.id,
    };

    const started = Date.now();
    await eventually('leaked server and images deleted', async () => {
      const st = await s.sim.admin.state();
      const servers = new Set(st.servers.filter((x) => x.status !== 'DELETED').map((x) => x.id));
      const images = new Set(st.images.filter((x) => x.status !== 'deleted').map((x) => x.id));
      return !servers.has(srv.leaked) && !images.has(img.leaked) && !images.has(img.orphan) && !st.floatingIps.some((f) => f.id === fip.free);
    }, TWO_PASSES_MS);
    t.diagnostic(`servers, images and floating IP removed after ${Date.now() - started} ms`);
    // ports need port-cleanup-interval (3 s) between two DOWN sightings
    await eventually('DOWN compute ports deleted', async () => {
      const st = await s.sim.admin.state();
      return !st.ports.some((p) => p.id === port.down || p.id === port.downCompute);
    }, TWO_PASSES_MS + 3000);
    t.diagnostic(`ports removed after ${Date.now() - started} ms`);

    await passes(s, 2);
    const st = await s.sim.admin.state();
    const has = <T extends { id: string }>(list: T[], id: string, alive: (x: T) => boolean = () => true) => list.some((x) => x.id === id && alive(x));
    const serverAlive = (x: { status: string }) => x.status !== 'DELETED';
    assert.ok(has(st.servers, srv.other, serverAlive), 'a server of another Nodepool deployment survives');
    assert.ok(has(st.servers, srv.plain, serverAlive), 'a server without Nodepool metadata survives');
    assert.ok(has(st.servers, heldServer, serverAlive), 'the held node’s server survives');
    assert.ok(has(st.servers, String(building.external_id), serverAlive), 'the server mid-launch survives');
    for (const [what, id] of Object.entries({ known: img.known, current: img.current, previous: img.previous, other: img.other, plain: img.plain })) {
      assert.ok(has(st.images, id, (x) => x.status !== 'deleted'), `image ${what} survives`);
    }
    assert.ok(has(st.ports, port.router), 'a DOWN non-compute port survives');
    assert.ok(has(st.ports, livePort.id), 'the port of a live server survives');
    assert.ok(has(st.floatingIps, fip.used), 'a floating IP in use survives');
    const nodes = await listNodes(s.zk);
    assert.equal(nodes.find((n) => n.id === held.id)?.state, 'hold', 'the held node is still held');
    assert.ok(nodes.some((n) => n.id === building.id), 'the node mid-launch is still there');

    const last = (await status(s)).lastPass;
    assert.ok(last && Object.values(last.tasks).every((tk) => tk.ok), `every task ran: ${JSON.stringify(last)}`);
    const counted = (name: string) => statsdLines.some((l) => l.startsWith(`nodepool.provider.sim.leaked.${name}:`));
    await eventually('leaked.* counters sent', async () => ['instances', 'images', 'ports', 'floatingips'].every(counted), 5000);
    const desc = await s.client.workflow.getHandle(cleanupWorkflowId('sim')).describe();
    assert.equal(desc.status.name, 'RUNNING');
    await s.sim.admin.setBootDelay(0);
  });
});

test('a node znode deleted behind the launcher’s back: its server is removed and its workflow ends', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    const node = await eventually('a READY unallocated node', async () => (await listNodes(s.zk)).find((n) => n.state === 'ready' && !n.allocated_to), 90_000);
    const serverId = String(node.external_id ?? '');
    assert.ok(serverId);
    await s.zk.deleteRecursive(nodePath(node.id));
    await eventually('its server is gone', async () => !(await s.sim.admin.state()).servers.some((x) => x.id === serverId && x.status !== 'DELETED'), TWO_PASSES_MS + 10_000);
    await eventually('its node workflow ended', async () => (await s.client.workflow.getHandle(workflowIds.node(node.id)).describe()).status.name !== 'RUNNING', 30_000);
  });
});

test('a READY node allocated to a request that no longer exists is deallocated', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    const node = await eventually('a READY unallocated node', async () => (await listNodes(s.zk)).find((n) => n.state === 'ready' && !n.allocated_to), 90_000);
    await updateNode(s.zk, node.id, (n) => {
      n.allocated_to = '100-0009999999';
    });
    await eventually('deallocated', async () => (await listNodes(s.zk)).find((n) => n.id === node.id && n.state === 'ready' && n.allocated_to === null), TWO_PASSES_MS);
  });
});

test('nodepool alien-image-list lists exactly the alien images; cleanup-preview answers', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    const env = { OS_CLIENT_CONFIG_FILE: join(s.dir, 'clouds.yaml'), TEMPORAL_ADDRESS: s.temporal.address, TEMPORAL_NAMESPACE: s.temporal.namespace };
    const r = await runCli(s.configPath, ['alien-image-list', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Array<{ provider: string; name: string; id: string }>;
    // Nodepool's rule: nodepool_build_id set, not a READY upload's external id (any deployment)
    assert.deepEqual(rows.map((x) => x.id).sort(), [ids.imgCurrent, ids.imgPrevious, ids.imgOther].sort());
    assert.ok(rows.every((x) => x.provider === 'sim'));
    const table = await runCli(s.configPath, ['alien-image-list', 'sim'], { env });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /\| Provider \| Name +\| Image ID +\|/);
    assert.match(table.stdout, /fake-image-current/);
    const none = await runCli(s.configPath, ['alien-image-list', 'nosuch'], { env });
    assert.equal(none.code, 0, none.stderr);

    // a failing cloud listing is a warning and an empty provider
    const broken = await runCli(s.configPath, ['alien-image-list', '--json'], { env: { ...env, OS_CLIENT_CONFIG_FILE: join(s.dir, 'missing.yaml') } });
    assert.equal(broken.code, 0, broken.stderr);
    assert.deepEqual(JSON.parse(broken.stdout), []);
    assert.match(broken.stderr, /Exception listing alien images for sim/);

    // a leaked server whose delete keeps failing stays "pending" (and is tried again each pass)
    const stuck = await s.sim.admin.leakServer({ name: 'np9000000003', metadata: ours('sim', '9000000003') });
    const fault = await s.sim.admin.injectFault({ service: 'compute', method: 'DELETE', pathRegex: `/servers/${stuck.id}`, status: 500, times: -1 });
    await eventually('cleanup-preview shows the leaked server', async () => {
      const p = await runCli(s.configPath, ['cleanup-preview', '--json'], { env });
      assert.equal(p.code, 0, p.stderr);
      return (JSON.parse(p.stdout) as Array<{ kind: string; id: string }>).some((x) => x.kind === 'server' && x.id === stuck.id);
    }, TWO_PASSES_MS + 10_000);
    assert.ok((await s.sim.admin.state()).servers.some((x) => x.id === stuck.id && x.status !== 'DELETED'), 'not deleted while the cloud refuses');
    await s.sim.admin.clearFaults(fault);
    await eventually('deleted once the cloud accepts', async () => !(await s.sim.admin.state()).servers.some((x) => x.id === stuck.id && x.status !== 'DELETED'), TWO_PASSES_MS);
  });
});
