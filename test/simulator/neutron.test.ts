// Neutron behaviour: network filters, port filters and pagination, port delete with
// NeutronError 404, floating IP create/attach/detach/delete and their effect on servers.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { useSimulator, waitFor } from './helpers';

type Port = { id: string; status: string; device_id: string; device_owner: string; network_id: string };
type Fip = { id: string; floating_ip_address: string; port_id: string | null; fixed_ip_address: string | null; status: string };

void describe('neutron', () => {
  const { sim, api } = useSimulator();

  beforeEach(async () => {
    await sim().admin.reset();
    await sim().admin.leakImage({ name: 'base-image' });
  });

  const ports = async (qs = '') => (await api().network<{ ports: Port[]; ports_links?: { rel: string; href: string }[] }>('GET', `/ports${qs}`)).body;

  void it('lists networks with filters (name, router:external)', async () => {
    const nets = async (qs: string) => (await api().network<{ networks: { name: string }[] }>('GET', `/networks${qs}`)).body.networks.map((n) => n.name);
    assert.deepEqual((await nets('')).sort(), ['private', 'public']);
    assert.deepEqual(await nets('?name=private'), ['private']);
    assert.deepEqual(await nets('?router:external=true'), ['public']);
    assert.deepEqual(await nets('?router%3Aexternal=False'), ['private']);
    assert.deepEqual(await nets('?name=nothing'), []);
  });

  void it('filters ports by status, device_owner, device_id, network_id', async () => {
    const id = (await api().createServer()).body.server.id;
    const leaked = await sim().admin.leakPort({ status: 'DOWN', device_owner: 'compute:nova' });
    await sim().admin.leakPort({ status: 'DOWN', device_owner: '' });
    const down = (await ports('?status=DOWN')).ports;
    // The new server's port is DOWN while it builds, like a real one.
    assert.ok(down.every((p) => p.status === 'DOWN'));
    assert.ok(down.some((p) => p.id === leaked.id));
    assert.deepEqual((await ports(`?device_id=${id}`)).ports.map((p) => p.device_owner), ['compute:nova']);
    const owned = (await ports('?device_owner=compute:nova&status=DOWN')).ports.map((p) => p.id);
    assert.ok(owned.includes(leaked.id));
    assert.ok(owned.every((pid) => down.some((p) => p.id === pid)));
    const priv = (await sim().admin.state()).networks.find((n) => n.name === 'private')?.id;
    assert.equal((await ports(`?network_id=${priv}`)).ports.length, (await sim().admin.state()).ports.length);
    assert.deepEqual((await ports('?device_owner=network:dhcp')).ports.length, 1);
  });

  void it('pages ports with limit/marker and ports_links; unknown marker is a NeutronError', async () => {
    for (let i = 0; i < 3; i++) await sim().admin.leakPort({});
    const all = (await ports()).ports.map((p) => p.id).sort();
    const seen: string[] = [];
    let qs = '?limit=2';
    while (qs) {
      const page = await ports(qs);
      seen.push(...page.ports.map((p) => p.id));
      const next = page.ports_links?.find((l) => l.rel === 'next')?.href;
      qs = next ? next.slice(next.indexOf('?')) : '';
    }
    assert.deepEqual(seen, all);
    const bad = await api().network('GET', '/ports?limit=1&marker=11111111-2222-3333-4444-555555555555');
    assert.equal(bad.status, 404);
    assert.equal((bad.body as { NeutronError: { type: string } }).NeutronError.type, 'PortNotFound');
  });

  void it('deletes ports: 204, then 404 with NeutronError PortNotFound; router interfaces are 409', async () => {
    const p = await sim().admin.leakPort({ status: 'DOWN', device_owner: '' });
    assert.equal((await api().network('DELETE', `/ports/${p.id}`)).status, 204);
    const again = await api().network('DELETE', `/ports/${p.id}`);
    assert.equal(again.status, 404);
    assert.deepEqual(again.body, { NeutronError: { type: 'PortNotFound', message: `Port ${p.id} could not be found.`, detail: '' } });
    const ri = (await sim().admin.state()).ports.find((x) => x.device_owner === 'network:router_interface');
    assert.equal((await api().network('DELETE', `/ports/${ri?.id}`)).status, 409);
  });

  void it('floating IPs: create on the external network, attach to a server port, detach, delete', async () => {
    const st = await sim().admin.state();
    const pub = st.networks.find((n) => n.name === 'public')?.id;
    const priv = st.networks.find((n) => n.name === 'private')?.id;
    assert.equal((await api().network('POST', '/floatingips', { floatingip: { floating_network_id: priv } })).status, 400);
    const id = (await api().createServer()).body.server.id;
    const port = (await ports(`?device_id=${id}`)).ports[0];
    const c = await api().network<{ floatingip: Fip }>('POST', '/floatingips', { floatingip: { floating_network_id: pub, port_id: port?.id } });
    assert.equal(c.status, 201);
    const fip = c.body.floatingip;
    assert.equal(fip.status, 'ACTIVE');
    assert.equal(fip.port_id, port?.id);
    assert.match(fip.floating_ip_address, /^203\.0\.113\./);
    const server = await waitFor(async () => {
      const s = (await api().compute<{ server: { addresses: Record<string, { addr: string; 'OS-EXT-IPS:type': string }[]> } }>('GET', `/servers/${id}`)).body.server;
      return s.addresses.private?.length === 2 ? s : undefined;
    });
    assert.deepEqual(server.addresses.private?.map((a) => a['OS-EXT-IPS:type']), ['fixed', 'floating']);
    const byAddr = await api().network<{ floatingips: Fip[] }>('GET', `/floatingips?floating_ip_address=${fip.floating_ip_address}`);
    assert.deepEqual(byAddr.body.floatingips.map((f) => f.id), [fip.id]);
    const detached = await api().network<{ floatingip: Fip }>('PUT', `/floatingips/${fip.id}`, { floatingip: { port_id: null } });
    assert.equal(detached.body.floatingip.port_id, null);
    assert.equal(detached.body.floatingip.status, 'DOWN');
    const unattached = await api().network<{ floatingips: Fip[] }>('GET', '/floatingips?port_id=');
    assert.deepEqual(unattached.body.floatingips.map((f) => f.id), [fip.id]);
    assert.equal((await api().network('DELETE', `/floatingips/${fip.id}`)).status, 204);
    assert.equal((await api().network('DELETE', `/floatingips/${fip.id}`)).status, 404);
  });

  void it('floating IP quota is a 409 OverQuota', async () => {
    await sim().admin.setQuotas({ floatingIps: 1 });
    const pub = (await sim().admin.state()).networks.find((n) => n.external)?.id;
    assert.equal((await api().network('POST', '/floatingips', { floatingip: { floating_network_id: pub } })).status, 201);
    const r = await api().network('POST', '/floatingips', { floatingip: { floating_network_id: pub } });
    assert.equal(r.status, 409);
    assert.equal((r.body as { NeutronError: { type: string } }).NeutronError.type, 'OverQuota');
  });
});
