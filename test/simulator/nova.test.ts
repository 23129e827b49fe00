// Nova behaviour: lifecycle, pagination, filters, quotas with Nova's exact text, validation,
// metadata, console output, microversions.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { startSimulator } from '../../simulator';
import { Api, sleep, useSimulator, waitFor } from './helpers';

type Server = { id: string; name: string; status: string; fault?: { message: string }; [k: string]: unknown };

void describe('nova', () => {
  const { sim, api } = useSimulator();

  beforeEach(async () => {
    await sim().admin.reset();
    await sim().admin.setBootDelay(50);
    await sim().admin.setDeleteDelay(50);
    await sim().admin.leakImage({ name: 'base-image' });
  });

  const getServer = (id: string) => api().compute<{ server: Server }>('GET', `/servers/${id}`);

  void it('creates a server: 202 + Location, BUILD then ACTIVE after the boot delay, with a compute port', async () => {
    await sim().admin.setBootDelay(1000);
    const r = await api().createServer({ metadata: { nodepool_node_id: '0000000001' } });
    assert.equal(r.status, 202);
    const id = r.body.server.id;
    assert.equal(r.headers.get('location'), `${sim().url}/compute/v2.1/servers/${id}`);
    assert.ok(typeof (r.body.server as Record<string, unknown>).adminPass === 'string');
    const building = (await getServer(id)).body.server;
    assert.equal(building.status, 'BUILD');
    assert.equal(building['OS-EXT-STS:vm_state'], 'building');
    const active = await waitFor(async () => {
      const s = (await getServer(id)).body.server;
      return s.status === 'ACTIVE' ? s : undefined;
    });
    assert.equal(active['OS-EXT-STS:task_state'], null);
    assert.deepEqual(active.metadata, { nodepool_node_id: '0000000001' });
    const addr = (active.addresses as Record<string, { addr: string; 'OS-EXT-IPS:type': string }[]>).private?.[0];
    assert.match(addr?.addr ?? '', /^10\.0\.0\.\d+$/);
    assert.equal(addr?.['OS-EXT-IPS:type'], 'fixed');
    const ports = (await sim().admin.state()).ports.filter((p) => p.device_id === id);
    assert.equal(ports.length, 1);
    assert.equal(ports[0]?.device_owner, 'compute:nova');
    assert.equal(ports[0]?.status, 'ACTIVE');
  });

  void it('deletes asynchronously: 204, visible with task_state deleting, then 404 and gone from lists', async () => {
    await sim().admin.setDeleteDelay(1000);
    const id = (await api().createServer()).body.server.id;
    assert.equal((await api().compute('DELETE', `/servers/${id}`)).status, 204);
    const s = (await getServer(id)).body.server;
    assert.equal(s['OS-EXT-STS:task_state'], 'deleting');
    await waitFor(async () => ((await getServer(id)).status === 404 ? true : undefined));
    const nf = await getServer(id);
    assert.deepEqual(nf.body, { itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
    assert.equal((await api().compute<{ servers: Server[] }>('GET', '/servers/detail')).body.servers.length, 0);
    assert.equal((await sim().admin.state()).ports.filter((p) => p.device_id === id).length, 0);
    assert.equal((await api().compute('DELETE', `/servers/${id}`)).status, 404);
  });

  void it('lists newest first and pages with limit/marker and servers_links; unknown marker is 400', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api().createServer({ name: `np000000000${i}` })).body.server.id);
    const all = (await api().compute<{ servers: Server[] }>('GET', '/servers/detail')).body;
    assert.equal(all.servers.length, 5);
    assert.equal((all as Record<string, unknown>).servers_links, undefined);
    const seen: string[] = [];
    let url = '/servers/detail?limit=2';
    for (let pages = 0; url && pages < 10; pages++) {
      const page = (await api().compute<{ servers: Server[]; servers_links?: { rel: string; href: string }[] }>('GET', url)).body;
      seen.push(...page.servers.map((s) => s.id));
      const next = page.servers_links?.find((l) => l.rel === 'next')?.href;
      url = next ? next.replace(`${sim().url}/compute/v2.1`, '') : '';
    }
    assert.deepEqual(seen, all.servers.map((s) => s.id));
    assert.deepEqual(new Set(seen), new Set(ids));
    // created_at desc, ties by id desc
    const sorted = [...all.servers].sort((a, b) =>
      a.created !== b.created ? ((a.created as string) < (b.created as string) ? 1 : -1) : a.id < b.id ? 1 : -1,
    );
    assert.deepEqual(all.servers.map((s) => s.id), sorted.map((s) => s.id));
    const bad = await api().compute('GET', '/servers/detail?marker=00000000-0000-0000-0000-000000000000');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body, { badRequest: { code: 400, message: 'marker [00000000-0000-0000-0000-000000000000] not found' } });
    // A marker whose server has since been deleted still works (Nova reads deleted rows for markers).
    const marker = all.servers[1]?.id ?? '';
    await api().compute('DELETE', `/servers/${marker}`);
    await waitFor(async () => ((await getServer(marker)).status === 404 ? true : undefined));
    const after = await api().compute<{ servers: Server[] }>('GET', `/servers/detail?marker=${marker}`);
    assert.equal(after.status, 200);
    assert.deepEqual(after.body.servers.map((s) => s.id), all.servers.slice(2).map((s) => s.id));
  });

  void it('filters by name regex and status', async () => {
    await api().createServer({ name: 'np0000000001' });
    await api().createServer({ name: 'other' });
    await sim().admin.addServerRule({ nameRegex: '^stuck', outcome: 'stuck-build' });
    await api().createServer({ name: 'stuck-1' });
    await sleep(150);
    const names = async (qs: string) =>
      (await api().compute<{ servers: Server[] }>('GET', `/servers/detail?${qs}`)).body.servers.map((s) => s.name).sort();
    assert.deepEqual(await names('name=^np'), ['np0000000001']);
    assert.deepEqual(await names('name=o'), ['other']); // regex search, not a prefix match
    assert.deepEqual(await names('name=oth(er'), []); // not a valid regex: no error, no match
    assert.deepEqual(await names('status=BUILD'), ['stuck-1']);
    assert.deepEqual(await names('status=active'), ['np0000000001', 'other']);
    const brief = (await api().compute<{ servers: Record<string, unknown>[] }>('GET', '/servers?name=other')).body.servers;
    assert.deepEqual(Object.keys(brief[0] ?? {}).sort(), ['id', 'links', 'name']);
  });

  void it('server rules: ERROR with fault.message, stuck in BUILD', async () => {
    await sim().admin.addServerRule({ nameRegex: 'bad', outcome: 'error', faultMessage: 'Exceeded maximum number of retries. Exceeds quota' });
    const bad = (await api().createServer({ name: 'bad-1' })).body.server.id;
    const good = (await api().createServer({ name: 'bad-2' })).body.server.id; // rule was for one server only
    const s = await waitFor(async () => {
      const x = (await getServer(bad)).body.server;
      return x.status !== 'BUILD' ? x : undefined;
    });
    assert.equal(s.status, 'ERROR');
    assert.equal(s.fault?.message, 'Exceeded maximum number of retries. Exceeds quota');
    await waitFor(async () => ((await getServer(good)).body.server.status === 'ACTIVE' ? true : undefined));
  });

  void it('enforces quotas with Nova’s 403 text for instances, cores and ram', async () => {
    await sim().admin.setQuotas({ instances: 2, cores: 20, ram: 51200 });
    await api().createServer();
    await api().createServer();
    const r = await api().createServer();
    assert.equal(r.status, 403);
    assert.deepEqual(r.body, {
      forbidden: { code: 403, message: 'Quota exceeded for instances: Requested 1, but already used 2 of 2 instances' },
    });
    await sim().admin.setQuotas({ instances: -1, cores: 3 });
    const cores = await api().createServer({ flavorRef: '4' }); // m1.large, 4 vcpus
    assert.equal(cores.status, 403);
    assert.match(JSON.stringify(cores.body), /Quota exceeded for cores: Requested 4, but already used 2 of 3 cores/);
    await sim().admin.setQuotas({ cores: -1, ram: 4096 });
    const ram = await api().createServer({ flavorRef: '3' }); // m1.medium, 4096 MB
    assert.equal((ram.body as unknown as { forbidden: { message: string } }).forbidden.message,
      'Quota exceeded for ram: Requested 4096, but already used 1024 of 4096 ram');
    const limits = (await api().compute<{ limits: { absolute: Record<string, number> } }>('GET', '/limits')).body.limits.absolute;
    assert.equal(limits.maxTotalRAMSize, 4096);
    assert.equal(limits.totalRAMUsed, 1024);
    assert.equal(limits.totalInstancesUsed, 2);
    assert.equal(limits.maxTotalInstances, -1);
  });

  void it('validates create requests like Nova (400s)', async () => {
    const msg = async (fields: Record<string, unknown>) => {
      const r = await api().createServer(fields);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      return (r.body as unknown as { badRequest: { message: string } }).badRequest.message;
    };
    assert.equal(await msg({ flavorRef: '999' }), 'Flavor 999 could not be found.');
    assert.equal(await msg({ imageRef: '11111111-2222-3333-4444-555555555555' }), 'Image 11111111-2222-3333-4444-555555555555 could not be found.');
    assert.equal(await msg({ availability_zone: 'nowhere' }), 'The requested availability zone is not available');
    assert.equal(await msg({ networks: [{ uuid: '11111111-2222-3333-4444-555555555555' }] }), 'Network 11111111-2222-3333-4444-555555555555 could not be found.');
    assert.match(await msg({ metadata: { n: 1 } }), /Invalid input for field\/attribute metadata/);
    assert.equal(await msg({ user_data: 'not base64 !!' }), 'User data needs to be valid base 64.');
    const ok = await api().createServer({ availability_zone: 'az2', user_data: Buffer.from('#!/bin/sh\n').toString('base64'), config_drive: true });
    assert.equal(ok.status, 202);
    const s = (await getServer(ok.body.server.id)).body.server;
    assert.equal(s['OS-EXT-AZ:availability_zone'], 'az2');
    assert.equal(s.config_drive, 'True');
  });

  void it('a full network fails the build like Nova does when Neutron has no address left', async () => {
    // A /24 private network: .1 router, .2 DHCP, 252 addresses for servers.
    const small = await startSimulator({ bootDelayMs: 50, deleteDelayMs: 50, cidrs: { private: '10.0.0.0/24' } });
    try {
      const smallApi = new Api(small);
      await small.admin.leakImage({ name: 'base-image' });
      await smallApi.login();
      await small.admin.setQuotas({ instances: -1, cores: -1, ram: -1 });
      for (let i = 0; i < 252; i++) await small.admin.leakPort({});
      const id = (await smallApi.createServer()).body.server.id;
      const s = await waitFor(async () => {
        const x = (await smallApi.compute<{ server: Server }>('GET', `/servers/${id}`)).body.server;
        return x.status !== 'BUILD' ? x : undefined;
      });
      assert.equal(s.status, 'ERROR');
      assert.equal(s.fault?.message, `Build of instance ${id} aborted: Failed to allocate the network(s), not rescheduling.`);
      assert.deepEqual(s.addresses, {});
    } finally {
      await small.stop();
    }
  });

  void it('server metadata GET/PUT/POST and per-key calls', async () => {
    const id = (await api().createServer({ metadata: { a: '1' } })).body.server.id;
    assert.equal((await api().compute('POST', `/servers/${id}/metadata`, { metadata: { b: '2' } })).status, 409); // still BUILD
    await waitFor(async () => ((await getServer(id)).body.server.status === 'ACTIVE' ? true : undefined));
    assert.deepEqual((await api().compute('POST', `/servers/${id}/metadata`, { metadata: { b: '2' } })).body, { metadata: { a: '1', b: '2' } });
    assert.deepEqual((await api().compute('GET', `/servers/${id}/metadata`)).body, { metadata: { a: '1', b: '2' } });
    assert.deepEqual((await api().compute('PUT', `/servers/${id}/metadata`, { metadata: { c: '3' } })).body, { metadata: { c: '3' } });
    assert.deepEqual((await api().compute('GET', `/servers/${id}/metadata/c`)).body, { meta: { c: '3' } });
    assert.equal((await api().compute('DELETE', `/servers/${id}/metadata/c`)).status, 204);
    assert.equal((await api().compute('GET', `/servers/${id}/metadata/c`)).status, 404);
  });

  void it('os-getConsoleOutput returns the tail of the log; os-stop/os-start', async () => {
    const id = (await api().createServer()).body.server.id;
    assert.equal((await api().compute('POST', `/servers/${id}/action`, { 'os-getConsoleOutput': {} })).status, 409);
    await waitFor(async () => ((await getServer(id)).body.server.status === 'ACTIVE' ? true : undefined));
    const all = (await api().compute<{ output: string }>('POST', `/servers/${id}/action`, { 'os-getConsoleOutput': { length: null } })).body.output;
    assert.match(all, /np0000000001 login:/);
    const two = (await api().compute<{ output: string }>('POST', `/servers/${id}/action`, { 'os-getConsoleOutput': { length: 2 } })).body.output;
    assert.equal(two.trim().split('\n').length, 2);
    assert.equal((await api().compute('POST', `/servers/${id}/action`, { frobnicate: {} })).status, 400);
    assert.equal((await api().compute('POST', `/servers/${id}/action`, { 'os-stop': null })).status, 202);
    assert.equal((await getServer(id)).body.server.status, 'SHUTOFF');
    assert.deepEqual((await sim().admin.state()).ports.filter((p) => p.device_id === id).map((p) => p.status), ['DOWN']);
    assert.equal((await api().compute('POST', `/servers/${id}/action`, { 'os-stop': null })).status, 409);
    assert.equal((await api().compute('POST', `/servers/${id}/action`, { 'os-start': null })).status, 202);
    assert.equal((await getServer(id)).body.server.status, 'ACTIVE');
  });

  void it('echoes microversions, embeds the flavor from 2.47, refuses versions beyond the maximum', async () => {
    const id = (await api().createServer()).body.server.id;
    const old = await api().compute<{ server: Server }>('GET', `/servers/${id}`);
    assert.equal(old.headers.get('openstack-api-version'), 'compute 2.1');
    assert.deepEqual(Object.keys(old.body.server.flavor as object).sort(), ['id', 'links']);
    const v = await api().compute<{ server: Server }>('GET', `/servers/${id}`, undefined, { 'OpenStack-API-Version': 'compute 2.53' });
    assert.equal(v.headers.get('openstack-api-version'), 'compute 2.53');
    assert.equal(v.headers.get('x-openstack-nova-api-version'), '2.53');
    assert.equal((v.body.server.flavor as { original_name: string }).original_name, 'm1.tiny');
    const legacy = await api().compute('GET', '/flavors', undefined, { 'X-OpenStack-Nova-API-Version': '2.10' });
    assert.equal(legacy.headers.get('x-openstack-nova-api-version'), '2.10');
    assert.equal((await api().compute('GET', '/flavors', undefined, { 'OpenStack-API-Version': 'compute 3.0' })).status, 406);
    // From 2.37 Nova insists on an explicit networks value.
    const r = await api().compute('POST', '/servers', { server: { name: 'x', flavorRef: '1', imageRef: (await sim().admin.state()).images[0]?.id } }, { 'OpenStack-API-Version': 'compute 2.37' });
    assert.equal(r.status, 400);
  });

  void it('serves version documents, flavors, availability zones', async () => {
    const root = await api().raw<{ versions: { id: string; version: string }[] }>('GET', '/compute/');
    assert.equal(root.status, 200);
    assert.ok(root.body.versions.some((x) => x.id === 'v2.1' && x.version === '2.95'));
    const flavors = (await api().compute<{ flavors: { name: string; ram: number; vcpus: number }[] }>('GET', '/flavors/detail')).body.flavors;
    assert.deepEqual(flavors.find((f) => f.name === 'nodepool-8gb'), { ...flavors.find((f) => f.name === 'nodepool-8gb'), ram: 8192 });
    assert.deepEqual((await api().compute('GET', '/flavors/2')).body.flavor && true, true);
    assert.equal((await api().compute('GET', '/flavors/nope')).status, 404);
    const az = (await api().compute<{ availabilityZoneInfo: { zoneName: string }[] }>('GET', '/os-availability-zone')).body;
    assert.deepEqual(az.availabilityZoneInfo.map((z) => z.zoneName), ['nova', 'az1', 'az2']);
  });
});
