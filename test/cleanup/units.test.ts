// The cleanup tasks' rules on a stand-in cloud (no servers needed): two sightings, port age,
// what counts as a compute port, and which images are Nodepool's and unknown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CloudImage, FloatingIp, Port, Provider } from '../../drivers/provider';
import { downPorts, isComputePort, unattachedFloatingIps } from '../../activities/cleanup/network';
import { unknownImages, type KnownUploads } from '../../activities/cleanup/images';
import type { CleanupAction } from '../../activities/cleanup/types';

const port = (id: string, deviceOwner: string, deviceId = ''): Port => ({ id, status: 'DOWN', deviceOwner, deviceId, networkId: 'net' });
const fip = (id: string, portId: string | null): FloatingIp => ({ id, address: `203.0.113.${id}`, portId, fixedAddress: null, status: 'DOWN', networkId: 'ext' });

function cloud(parts: { ports?: Port[]; fips?: FloatingIp[]; servers?: string[] }): Provider {
  return {
    listPorts: async () => parts.ports ?? [],
    listFloatingIps: async () => parts.fips ?? [],
    listServers: async () => (parts.servers ?? []).map((id) => ({ id, name: id, status: 'SHUTOFF', metadata: {}, addresses: {}, volumeIds: [] })),
  } as unknown as Provider;
}

const recorder = () => {
  const removed: string[] = [];
  return { removed, remove: async (a: CleanupAction) => (removed.push(a.id), true) };
};

void test('compute ports: empty or compute:* owner only', () => {
  assert.ok(isComputePort(port('a', '')));
  assert.ok(isComputePort(port('b', 'compute:nova')));
  assert.ok(!isComputePort(port('c', 'network:dhcp')));
});

void test('DOWN ports go only after port-cleanup-interval between two sightings; a SHUTOFF server keeps its port', async () => {
  const c = cloud({ ports: [port('p1', ''), port('p2', 'compute:nova', 'srv-shutoff'), port('p3', 'network:router_interface')], servers: ['srv-shutoff'] });
  const r = recorder();
  const first = await downPorts({ cloud: c, previous: {}, intervalMs: 0, now: 1000, remove: r.remove });
  assert.deepEqual(r.removed, [], 'never on the first sighting, even with interval 0');
  assert.deepEqual(Object.keys(first.seen), ['p1']);
  const early = await downPorts({ cloud: c, previous: { p1: 1000 }, intervalMs: 600_000, now: 2000, remove: r.remove });
  assert.deepEqual(r.removed, []);
  assert.equal(early.seen.p1, 1000, 'first sighting time is kept');
  await downPorts({ cloud: c, previous: { p1: 1000 }, intervalMs: 600_000, now: 601_000, remove: r.remove });
  assert.deepEqual(r.removed, ['p1']);
});

void test('unattached floating IPs go on the second sighting only; attached ones never', async () => {
  const c = cloud({ fips: [fip('1', null), fip('2', 'port-x')] });
  const r = recorder();
  const first = await unattachedFloatingIps({ cloud: c, previous: [], remove: r.remove });
  assert.deepEqual(r.removed, []);
  assert.deepEqual(first.seen, ['1']);
  await unattachedFloatingIps({ cloud: c, previous: ['1', '2'], remove: r.remove });
  assert.deepEqual(r.removed, ['1']);
});

void test('a failing delete keeps the sighting for the next pass', async () => {
  const c = cloud({ fips: [fip('1', null)] });
  const again = await unattachedFloatingIps({ cloud: c, previous: ['1'], remove: async () => false });
  assert.deepEqual(again.seen, ['1']);
  assert.deepEqual(again.report.done, []);
});

void test('unknown images: this provider’s Nodepool metadata, no record, not the current or previous build', () => {
  const img = (id: string, properties: Record<string, string>, status = 'active'): CloudImage => ({ id, name: id, status, properties });
  const p = (b: string, u: string, provider = 'sim') => ({ nodepool_build_id: b, nodepool_upload_id: u, nodepool_provider_name: provider });
  const known: KnownUploads = { uploads: new Set(['b0/0001']), externalIds: new Set(['recorded']), protectedBuilds: new Set(['b1', 'b2']) };
  const images = [
    img('recorded', p('b0', '0009')),
    img('by-key', p('b0', '0001')),
    img('current', p('b2', '0005')),
    img('previous', p('b1', '0006')),
    img('other', p('b0', '0007', 'other')),
    img('plain', {}),
    img('deleted', p('b0', '0008'), 'deleted'),
    img('leaked', p('b0', '0002')),
  ];
  assert.deepEqual(unknownImages(images, 'sim', known).map((i) => i.id), ['leaked']);
});

void test('a failing cloud listing throws (the task aborts) instead of returning nothing', async () => {
  const broken = { listFloatingIps: async () => Promise.reject(new Error('503')) } as unknown as Provider;
  await assert.rejects(unattachedFloatingIps({ cloud: broken, previous: ['1'], remove: async () => true }), /503/);
});
