// auto-floating-ip end to end, as Nodepool's OpenStack driver does it: a node on a private
// network gets a floating IP (its public_ipv4 and interface_ip), seen attached by Debian's
// `openstack` CLI; `auto-floating-ip: false` gets none; a failing floating-IP create fails the
// attempt and the launch is retried without a leak; deleting the node deletes its floating IP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { useStack, eventually, withDiagnostics, type Stack } from '../harness/stack';
import { listNodes } from '../../activities/launcher/store';
import { type Node } from '../../lib/model';

const OPENSTACK = '/usr/bin/openstack';

const pool = (name: string, label: string, extra: Record<string, unknown> = {}) => ({
  name,
  'max-servers': 5,
  'host-key-checking': false,
  networks: ['private'],
  labels: [{ name: label, 'cloud-image': 'cloud-noble', 'flavor-name': 'm1.small' }],
  ...extra,
});

const stack = useStack(
  (cloud) => ({
    labels: [{ name: 'fip' }, { name: 'nofip' }],
    providers: [
      {
        name: 'sim',
        cloud,
        rate: 0,
        'boot-timeout': 30,
        'launch-retries': 3,
        'cloud-images': [{ name: 'cloud-noble', 'image-name': 'ubuntu-noble' }],
        pools: [pool('main', 'fip'), pool('direct', 'nofip', { 'auto-floating-ip': false })],
      },
    ],
  }),
  async (s) => {
    await s.sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
    // Neutron wires a floating IP a moment after it is made: DOWN, and not in the server's addresses
    await s.sim.admin.setFloatingIpDelay(500);
    await s.startLauncher();
  },
);

async function readyNode(s: Stack, label: string): Promise<{ node: Node }> {
  const out = await s.zuul(['request', '--label', label, '--wait', '--timeout', '90']);
  assert.equal(out.state, 'fulfilled', JSON.stringify(out));
  const [id] = (out.final as { nodes: string[] }).nodes;
  const node = (await listNodes(s.zk)).find((n) => n.id === id);
  assert.ok(node, `node ${id}`);
  return { node };
}

const floatingIps = async (s: Stack) => (await s.sim.admin.state()).floatingIps;

/** Debian's `openstack floating ip list` on the stack's cloud. */
async function oscFloatingIps(s: Stack): Promise<{ 'Floating IP Address': string; Port: string | null; 'Fixed IP Address': string | null }[]> {
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_'))), OS_CLIENT_CONFIG_FILE: join(s.dir, 'clouds.yaml'), HOME: s.dir };
  const { stdout } = await promisify(execFile)(OPENSTACK, ['--os-cloud', s.sim.cloudName, 'floating', 'ip', 'list', '-f', 'json'], { env, timeout: 60_000 });
  return JSON.parse(stdout) as never;
}

test('a node on a private network gets a floating IP: its public_ipv4 and interface_ip; deleting the node deletes it', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    // Zuul runs a 5 s job on the node, then returns it used (and the launcher deletes it)
    const job = s.zuul(['request', '--label', 'fip', '--wait', '--timeout', '90', '--use', '--job-seconds', '5', '--release']);
    const node = await eventually('an in-use node', async () => (await listNodes(s.zk)).find((n) => n.state === 'in-use'), 90_000);
    const fip = (await floatingIps(s)).find((f) => f.floating_ip_address === node.public_ipv4);
    assert.ok(fip, `node ${node.id} public_ipv4 ${node.public_ipv4} is a floating IP`);
    assert.equal(node.interface_ip, fip.floating_ip_address, 'Zuul connects to the floating address');
    assert.equal(node.private_ipv4, fip.fixed_ip_address, 'the fixed address it is NATed to');
    assert.ok(node.private_ipv4?.startsWith('10.0.'));
    if (existsSync(OPENSTACK)) {
      const listed = (await oscFloatingIps(s)).find((f) => f['Floating IP Address'] === fip.floating_ip_address);
      assert.ok(listed?.Port, `openstack floating ip list shows it attached: ${JSON.stringify(listed)}`);
      assert.equal(listed['Fixed IP Address'], node.private_ipv4);
    } else t.diagnostic(`${OPENSTACK} not installed: CLI check skipped`);
    assert.equal((await job).state, 'fulfilled');
    await eventually('the used node, its server and its floating IP gone', async () => {
      const state = await s.sim.admin.state();
      return (
        !(await listNodes(s.zk)).some((n) => n.id === node.id) &&
        !state.servers.some((x) => x.id === node.external_id && x.status !== 'DELETED') &&
        !state.floatingIps.some((f) => f.id === fip.id)
      );
    });
  });
});

test('auto-floating-ip: false: no floating IP, the node is reached on its private address', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    const before = (await floatingIps(s)).length;
    const { node } = await readyNode(s, 'nofip');
    assert.equal(node.public_ipv4, '', "Nodepool 11 (openstacksdk) writes '' for an address the server lacks");
    assert.ok(node.interface_ip?.startsWith('10.0.'), `interface_ip ${node.interface_ip}`);
    assert.equal(node.private_ipv4, node.interface_ip);
    assert.equal((await floatingIps(s)).length, before, 'no floating IP made');
  });
});

test('a failing floating-IP create fails the attempt; the launch is retried and nothing leaks', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    await s.sim.admin.injectFault({ service: 'network', method: 'POST', pathRegex: '/floatingips$', status: 500, times: 2 });
    const { node } = await readyNode(s, 'fip');
    assert.ok(node.public_ipv4, 'the retried launch got its floating IP');
    const state = await s.sim.admin.state();
    assert.equal(state.faults.length, 0, 'both injected failures were hit');
    // every floating IP is on a live server's port: none left over from the failed tries
    const ports = new Set(state.ports.filter((p) => state.servers.some((x) => x.id === p.device_id)).map((p) => p.id));
    for (const f of state.floatingIps) assert.ok(f.port_id && ports.has(f.port_id), `floating IP ${f.floating_ip_address} is attached to a live server`);
    assert.ok(state.floatingIps.some((f) => f.floating_ip_address === node.public_ipv4));
  });
});
