// Every Provider operation against the OpenStack simulator, through a clouds.yaml, as the launcher
// and builder will use them.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import { serverErrorToCloudError } from '../../drivers/errors';
import { OpenStackProvider } from '../../drivers/openstack/adapter';
import { openStackProviderFromConfig } from '../../drivers/openstack/adapter/from-config';
import { type CreateServerRequest } from '../../drivers/provider';
import { loadCloud } from '../../lib/cloud/clouds-yaml';
import { writeCloudsYaml } from '../../simulator';
import { useSimulator, waitFor } from './sim';

const fixture = useSimulator();

function request(nodeId: string, over: Partial<CreateServerRequest> = {}): CreateServerRequest {
  return {
    nodeId,
    poolName: 'main',
    label: 'small',
    imageName: 'cirros',
    image: { cloudImage: 'cirros' },
    flavor: { minRam: 1024 },
    ...over,
  };
}

async function cirros(): Promise<string> {
  const { sim } = fixture();
  const st = await sim.admin.state();
  const found = st.images.find((i) => i.name === 'cirros');
  return found ? found.id : (await sim.admin.leakImage({ name: 'cirros' })).id;
}

void describe('OpenStack provider on the simulator', () => {
  beforeEach(() => fixture().sim.admin.reset());

  void it('authenticates with a password and with an application credential (one token for all services)', async () => {
    const { sim, cloudsFile, dir } = fixture();
    const p = fixture().provider();
    assert.ok((await p.listFlavors()).length > 0);
    await p.listPorts();
    await p.listImages();
    const before = (await sim.admin.state()).requests;
    const tokenPosts = Object.entries(before).filter(([k]) => k.startsWith('POST identity')).reduce((a, [, v]) => a + v, 0);
    assert.equal(tokenPosts, 1, `one Keystone POST for compute, network and image: ${JSON.stringify(before)}`);

    const c = sim.credentials;
    await writeCloudsYaml(cloudsFile, 'appcred', {
      ...sim.cloudsYaml(),
      auth_type: 'v3applicationcredential',
      auth: { auth_url: sim.authUrl, application_credential_id: c.applicationCredentialId, application_credential_secret: c.applicationCredentialSecret },
    } as never);
    const app = new OpenStackProvider({ name: 'sim', rate: 0, cloud: loadCloud({ cloud: 'appcred', file: cloudsFile, env: {}, cwd: dir, home: dir }) });
    assert.ok((await app.listAvailabilityZones()).includes('az1'));

    writeFileSync(join(dir, 'secure.yaml'), 'clouds:\n  appcred:\n    auth:\n      application_credential_secret: wrong\n');
    const bad = new OpenStackProvider({ name: 'sim', rate: 0, cloud: loadCloud({ cloud: 'appcred', file: cloudsFile, env: {}, cwd: dir, home: dir }) });
    await assert.rejects(bad.listFlavors(), (e: Error & { kind?: string }) => e.name === 'AuthenticationError' && e.kind === 'fatal' && !e.message.includes('wrong'));
  });

  void it('is built from a nodepool.yaml provider entry (cloud, region-name, rate) via OS_CLIENT_CONFIG_FILE', async () => {
    const { sim, cloudsFile, dir } = fixture();
    const p = openStackProviderFromConfig(
      { name: 'from-config', cloud: sim.cloudName, regionName: sim.region, rate: 0 },
      { env: { OS_CLIENT_CONFIG_FILE: cloudsFile }, cwd: dir, home: dir },
    );
    assert.equal(p.name, 'from-config');
    assert.equal(p.session.cloud.region, sim.region);
    assert.ok((await p.listFlavors()).length > 0);
  });

  void it('a clouds.yaml without a region uses the catalog\'s only region', async () => {
    const { sim, cloudsFile, dir } = fixture();
    const entry = { ...sim.cloudsYaml() } as Record<string, unknown>;
    delete entry.region_name;
    await writeCloudsYaml(cloudsFile, 'noregion', entry as never);
    const p = new OpenStackProvider({ name: 'sim', rate: 0, cloud: loadCloud({ cloud: 'noregion', file: cloudsFile, env: {}, cwd: dir, home: dir }) });
    assert.equal(p.session.cloud.region, undefined);
    assert.ok((await p.listFlavors()).length > 0);
    assert.equal(p.session.region, sim.region);
  });

  void it('flavors, the flavor rule, availability zones', async () => {
    const p = fixture().provider();
    const flavors = await p.listFlavors();
    assert.ok(flavors.some((f) => f.name === 'm1.small' && f.ram === 2048));
    assert.equal((await p.findFlavor({ minRam: 4000 })).name, 'm1.medium');
    assert.equal((await p.findFlavor({ minRam: 4000, flavorName: 'nodepool' })).name, 'nodepool-8gb');
    assert.equal((await p.findFlavor({ flavorName: '8gb' })).name, 'nodepool-8gb');
    await assert.rejects(p.findFlavor({ flavorName: 'nope' }), { kind: 'notFound' });
    assert.deepEqual((await p.listAvailabilityZones()).sort(), ['az1', 'az2', 'nova']);
  });

  void it('quota: Nova limits (-1 = Infinity) and Cinder limits', async () => {
    const { sim } = fixture();
    const p = fixture().provider();
    await sim.admin.setQuotas({ cores: -1 });
    const q = await p.getQuota();
    assert.equal(q.instances.max, 10);
    assert.equal(q.cores.max, Infinity);
    assert.equal(q.ram.max, 51200);
    assert.equal(typeof q.instances.used, 'number');
    assert.equal(q.volumes?.max, 10);
    assert.equal(q.volumeGb?.max, 1000);
    await sim.admin.setQuotas({ cores: 20 });
  });

  void it('quota without a volume service in the catalog: no volume quota, no Cinder call', async () => {
    const { sim } = fixture();
    const p = fixture().provider();
    await p.listFlavors();
    // Stand-in for a catalog without Cinder: the session found no volume endpoint.
    (p.session as unknown as { endpoints: Map<string, string | null> }).endpoints.set('volume', null);
    const q = await p.getQuota();
    assert.equal(q.volumes, undefined);
    assert.equal(q.volumeGb, undefined);
    assert.equal(q.instances.max, 10);
    assert.ok(!Object.keys((await sim.admin.state()).requests).some((k) => k.includes('volume')));
  });

  void it('creates a server with Nodepool name, metadata and every option; it goes ACTIVE; then deletes it', async () => {
    const { sim } = fixture();
    const p = fixture().provider();
    await cirros();
    const created = await p.createServer(
      request('0000000001', {
        networks: ['private'],
        availabilityZone: 'az1',
        userdata: '#cloud-config\nhostname: x\n',
        configDrive: true,
        securityGroups: ['default'],
        keyName: 'nodepool-key',
        instanceProperties: { foo: 'bar' },
      }),
    );
    assert.equal(created.name, 'np0000000001');
    assert.equal(created.status, 'BUILD');
    const active = await waitFor('ACTIVE', async () => {
      const s = await p.getServer(created.id);
      return s?.status === 'ACTIVE' && s;
    });
    assert.equal(active.metadata.nodepool_node_id, '0000000001');
    assert.equal(active.metadata.nodepool_provider_name, 'sim');
    assert.equal(active.metadata.nodepool_pool_name, 'main');
    assert.equal(active.metadata.groups, 'sim,cirros,small');
    assert.equal(active.metadata.nodepool_image_name, 'cirros');
    assert.equal(active.metadata.nodepool_node_label, 'small');
    assert.equal(active.metadata.foo, 'bar');
    assert.equal(active.availabilityZone, 'az1');
    assert.equal(active.flavorId, '2', 'min-ram 1024: m1.small');
    assert.ok(active.addresses.privateV4?.startsWith('10.0.0.'), JSON.stringify(active.addresses));

    const simServer = (await sim.admin.state()).servers.find((s) => s.id === created.id);
    assert.equal(simServer?.userData, Buffer.from('#cloud-config\nhostname: x\n').toString('base64'));
    assert.equal(simServer?.configDrive, true);
    assert.deepEqual(simServer?.securityGroups, ['default']);
    assert.equal(simServer?.keyName, 'nodepool-key');

    assert.match(await p.getConsoleLog(created.id), /./s);

    assert.equal(await p.deleteServer(created.id), true);
    await waitFor('server gone', async () => (await p.getServer(created.id)) === null);
    assert.equal(await p.deleteServer(created.id), false, '404 on delete = already gone');
    assert.equal(await p.getServer(created.id), null);
  });

  void it('boots from a cloud-image given by id, and from volume (bdm v2, delete_on_termination)', async () => {
    const { sim } = fixture();
    const p = fixture().provider();
    const imageId = await cirros();
    const byId = await p.createServer(request('0000000002', { image: { cloudImage: imageId } }));
    const bfv = await p.createServer(request('0000000003', { image: { uploadExternalId: imageId }, bootFromVolume: { sizeGb: 20 } }));
    const st = await sim.admin.state();
    assert.equal(st.servers.find((s) => s.id === byId.id)?.imageId, imageId);
    const v = st.servers.find((s) => s.id === bfv.id);
    assert.equal(v?.imageId, '', 'boot from volume: no image on the server');
    // (The simulator accepts the mapping but does not model the volume, so volumeIds stay empty.)
    const got = await p.getServer(bfv.id);
    assert.equal(got?.imageId, undefined);
    await p.deleteServer(byId.id);
    await p.deleteServer(bfv.id);
  });

  void it('a create whose answer is lost (502) adopts the server Nova made for that node, never a deleting one', async () => {
    const { sim } = fixture();
    const p = fixture().provider();
    await cirros();
    const meta = { nodepool_provider_name: 'sim', nodepool_node_id: '0000000050' };
    const made = await sim.admin.leakServer({ name: 'np0000000050', metadata: meta, status: 'ACTIVE' });
    await sim.admin.injectFault({ service: 'compute', method: 'POST', pathRegex: '/servers$', status: 502 });
    const got = await p.createServer(request('0000000050'));
    assert.equal(got.id, made.id);

    await sim.admin.leakServer({ name: 'np0000000051', metadata: { ...meta, nodepool_node_id: '0000000051' }, status: 'ERROR' });
    await sim.admin.injectFault({ service: 'compute', method: 'POST', pathRegex: '/servers$', status: 502 });
    await assert.rejects(p.createServer(request('0000000051')), { kind: 'retryable', status: 502 });
  });

  void it('a missing cloud image is notFound; a bad AZ is fatal (400)', async () => {
    const p = fixture().provider();
    await cirros();
    await assert.rejects(p.createServer(request('0000000004', { image: { cloudImage: 'no-such-image' } })), { kind: 'notFound' });
    await assert.rejects(p.createServer(request('0000000004', { availabilityZone: 'nope' })), { kind: 'fatal', status: 400 });
  });

  void it('lists every page (servers_links) and keeps only this provider\'s servers', async () => {
    const { sim } = fixture();
    const p = fixture().provider({ pageSize: 2 });
    await cirros();
    const mine = [];
    for (let i = 10; i < 15; i++) mine.push(await p.createServer(request(`00000000${i}`)));
    await sim.admin.leakServer({ name: 'np0000009999', metadata: { nodepool_provider_name: 'other', nodepool_node_id: '0000009999' } });
    await sim.admin.leakServer({ name: 'np0000009998', metadata: { nodepool_provider_name: 'sim', nodepool_node_id: '0000009998' } });
    const before = (await sim.admin.state()).requests['GET compute /v2.1/servers/detail'] ?? 0;
    const all = await p.listServers();
    const after = (await sim.admin.state()).requests['GET compute /v2.1/servers/detail'] ?? 0;
    assert.ok(all.length >= 7);
    assert.ok(after - before >= 4, `7+ servers at 2 per page take 4+ pages (${after - before})`);
    assert.equal(new Set(all.map((s) => s.id)).size, all.length, 'no duplicates across pages');
    const np = await p.listNodepoolServers();
    assert.ok(np.every((s) => s.metadata.nodepool_provider_name === 'sim'));
    assert.ok(np.some((s) => s.name === 'np0000009998'), 'a leaked server with our metadata is listed');
    assert.ok(!np.some((s) => s.name === 'np0000009999'));
    for (const s of all) await p.deleteServer(s.id);
  });

  void it('pollers share one server list: concurrent calls make one fetch, maxAgeMs reuses a recent one', async () => {
    const { sim } = fixture();
    const p = fixture().provider();
    await sim.admin.leakServer({ name: 'np0000000060', metadata: { nodepool_provider_name: 'sim', nodepool_node_id: '0000000060' } });
    const count = async () => (await sim.admin.state()).requests['GET compute /v2.1/servers/detail'] ?? 0;
    const lists = await Promise.all(Array.from({ length: 10 }, () => p.listServers({ maxAgeMs: 5000 })));
    assert.ok(lists.every((l) => l.length === 1));
    assert.equal(await count(), 1, 'ten concurrent pollers, one GET');
    await p.listNodepoolServers({ maxAgeMs: 5000 });
    assert.equal(await count(), 1, 'a list younger than maxAgeMs is reused');
    await p.listServers();
    assert.equal(await count(), 2, 'no maxAgeMs: always fresh');
  });

  void it('an ERROR server with a quota fault maps to a quota error; another fault to fatal', async () => {
    const { sim } = fixture();
    const p = fixture().provider();
    await cirros();
    await sim.admin.addServerRule({ nameRegex: '^np0000000020$', outcome: 'error', faultMessage: 'Quota exceeded for cores: Requested 4, but already used 20 of 20 cores' });
    await sim.admin.addServerRule({ nameRegex: '^np0000000021$', outcome: 'error', faultMessage: 'No valid host was found.' });
    const a = await p.createServer(request('0000000020'));
    const b = await p.createServer(request('0000000021'));
    const ea = await waitFor('ERROR', async () => (await p.getServer(a.id))?.status === 'ERROR' && p.getServer(a.id));
    const eb = await waitFor('ERROR', async () => (await p.getServer(b.id))?.status === 'ERROR' && p.getServer(b.id));
    assert.equal(serverErrorToCloudError(ea!)?.kind, 'quota');
    assert.equal(serverErrorToCloudError(eb!)?.kind, 'fatal');
    assert.match(serverErrorToCloudError(eb!)?.message ?? '', /No valid host/);
    await p.deleteServer(a.id);
    await p.deleteServer(b.id);
  });

  void it('over quota at create is a quota error (403 "Quota exceeded")', async () => {
    const { sim } = fixture();
    const p = fixture().provider();
    await cirros();
    await sim.admin.setQuotas({ instances: 0 });
    try {
      await assert.rejects(p.createServer(request('0000000030')), (e: Error & { kind?: string; status?: number }) => {
        assert.equal(e.kind, 'quota');
        assert.match(e.message, /quota exceeded/i);
        return true;
      });
    } finally {
      await sim.admin.setQuotas({ instances: 10 });
    }
  });

  void it('floating IPs: attach waits until Neutron says ACTIVE and the server shows it; delete unattached; deleting the server deletes its floating IP', async () => {
    const { sim } = fixture();
    const p = fixture().provider();
    await cirros();
    const s = await p.createServer(request('0000000040'));
    const active = await waitFor('ACTIVE', async () => {
      const got = await p.getServer(s.id);
      return got?.status === 'ACTIVE' && got;
    });
    assert.equal(await p.needsFloatingIp(active), true, 'only a private address, and there is an external network');
    await sim.admin.setFloatingIpDelay(700); // DOWN, and not in the server's addresses, for 0.7 s
    const started = Date.now();
    const withIp = await p.attachFloatingIp(active, { timeoutMs: 10_000 }).finally(() => sim.admin.setFloatingIpDelay(0));
    assert.ok(Date.now() - started >= 600, 'waited for the floating IP to become ACTIVE');
    const fip = (await p.listFloatingIps()).find((f) => f.address === withIp.addresses.publicV4);
    assert.ok(fip?.portId && fip.status === 'ACTIVE', JSON.stringify(fip));
    assert.equal(withIp.addresses.interfaceIp, fip.address);
    assert.equal(await p.needsFloatingIp(withIp), false);
    assert.ok(withIp.addresses.privateV4?.startsWith('10.0.0.'));

    const loose1 = await sim.admin.leakFloatingIp({ port_id: null });
    const loose2 = await sim.admin.leakFloatingIp({ port_id: null });
    const n = await p.deleteUnattachedFloatingIps();
    assert.ok(n >= 2);
    const left = await p.listFloatingIps();
    assert.ok(!left.some((f) => f.id === loose1.id || f.id === loose2.id));
    assert.ok(left.some((f) => f.id === fip.id), 'attached IP kept');
    assert.equal(await p.deleteServer(s.id), true);
    assert.ok(!(await p.listFloatingIps()).some((f) => f.id === fip.id), 'the server\'s floating IP went with it');
    assert.equal(await p.deleteFloatingIp(fip.id), false);
  });

  void it('ports: list with a status filter, delete, 404 = gone', async () => {
    const { sim } = fixture();
    const p = fixture().provider({ pageSize: 2 });
    const down = await sim.admin.leakPort({ status: 'DOWN', device_owner: 'compute:nova' });
    await sim.admin.leakPort({ status: 'DOWN', device_owner: '' });
    await sim.admin.leakPort({ status: 'ACTIVE', device_owner: 'compute:nova' });
    const ports = await p.listPorts({ status: 'DOWN' });
    assert.ok(ports.length >= 2);
    assert.ok(ports.every((x) => x.status === 'DOWN'));
    assert.ok(ports.some((x) => x.id === down.id && x.deviceOwner === 'compute:nova'));
    assert.equal(await p.deletePort(down.id), true);
    assert.equal(await p.deletePort(down.id), false);
  });

  void it('images: list (paginated), get, find active by name, delete', async () => {
    const { sim } = fixture();
    const p = fixture().provider({ pageSize: 2 });
    for (let i = 0; i < 5; i++) await sim.admin.leakImage({ name: `img-${i}`, properties: { nodepool_build_id: String(i) } });
    await sim.admin.leakImage({ name: 'queued-one', status: 'queued' });
    const all = await p.listImages();
    assert.ok(all.length >= 6);
    const one = all.find((i) => i.name === 'img-3');
    assert.equal(one?.properties.nodepool_build_id, '3');
    assert.equal((await p.getImage(one!.id))?.name, 'img-3');
    assert.equal((await p.findCloudImage('img-3'))?.id, one?.id);
    assert.equal(await p.findCloudImage('queued-one'), null, 'only active images count');
    assert.equal((await p.listImages({ name: 'img-1' })).length, 1);
    assert.equal(await p.deleteImage(one!.id), true);
    assert.equal(await p.getImage(one!.id), null);
    assert.equal(await p.deleteImage(one!.id), false);
  });
});
