// A site-sized cloud: 3,000 servers at once on the private /16 (addresses past x.x.0.255), seen
// whole through Nova's 1000-server pages by our provider, the real `openstack` CLI, openstacksdk
// and pkgcloud; and a full pool that gives deleted servers' addresses to new ones.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import pkgcloud from 'pkgcloud';
import { OpenStackProvider } from '../../drivers/openstack/adapter';
import { loadCloud } from '../../lib/cloud/clouds-yaml';
import { startSimulator, writeCloudsYaml, type SimServer, type Simulator } from '../../simulator';
import { Api, useSimulator, waitFor } from './helpers';

const run = promisify(execFile);
const OPENSTACK = '/usr/bin/openstack';
const PYTHON = '/usr/bin/python3';
const hasSdk = fs.existsSync(PYTHON) && fs.existsSync('/usr/lib/python3/dist-packages/openstack');
const SERVERS = 3000;

type Links = { rel: string; href: string }[];
type Cb<T> = (err: unknown, v: T) => void;
interface PkgCompute {
  getServers(opts: Record<string, unknown>, cb: Cb<{ id: string }[]>): void;
}

/** Leaked (ACTIVE) servers through the admin API, a few requests at a time. */
async function seed(sim: Simulator, count: number, provider: (i: number) => string): Promise<SimServer[]> {
  const out: SimServer[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const name = `np${String(i).padStart(10, '0')}`;
      out.push(await sim.admin.leakServer({ name, metadata: { nodepool_provider_name: provider(i), nodepool_node_id: String(i) } }));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return out;
}

/** Follows `<key>_links` from `path` until a page has no next link; returns the ids and the page count. */
async function followLinks(api: Api, service: 'compute' | 'network', path: string, key: string): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let url = path;
  let pages = 0;
  while (url) {
    const r = await api[service]<Record<string, unknown>>('GET', url);
    assert.equal(r.status, 200, r.text);
    ids.push(...(r.body[key] as { id: string }[]).map((x) => x.id));
    pages++;
    const next = (r.body[`${key}_links`] as Links | undefined)?.find((l) => l.rel === 'next')?.href;
    url = next ? next.slice(next.indexOf(service === 'compute' ? '/servers' : `/${key}`)) : '';
  }
  return { ids, pages };
}

const octets = (ip: string): number[] => ip.split('.').map(Number);

void describe(`${SERVERS} servers at once`, () => {
  let sim: Simulator;
  let api: Api;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let allIds: string[] = [];
  const cloud = 'scale';

  before(async () => {
    sim = await startSimulator({ cloudName: cloud, bootDelayMs: 50, deleteDelayMs: 50 });
    api = new Api(sim);
    await sim.admin.setQuotas({ instances: -1, cores: -1, ram: -1 });
    await sim.admin.leakImage({ name: 'base-image' });
    await api.login();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-scale-'));
    await writeCloudsYaml(path.join(dir, 'clouds.yaml'), cloud, sim.cloudsYaml());
    env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')));
    Object.assign(env, { OS_CLIENT_CONFIG_FILE: path.join(dir, 'clouds.yaml'), HOME: dir, XDG_CACHE_HOME: path.join(dir, 'cache') });
    // Every tenth server belongs to another provider, so listNodepoolServers has something to drop.
    await seed(sim, SERVERS - 1, (i) => (i % 10 === 9 ? 'other' : 'sim'));
  });

  after(async () => {
    await sim?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  void it(`creates server #${SERVERS} and lists all of them quickly; addresses are unique past x.x.0.255`, async (t) => {
    const image = (await sim.admin.state()).images[0]?.id ?? '';
    let t0 = performance.now();
    const r = await api.compute<{ server: { id: string } }>('POST', '/servers', { server: { name: 'np9999999999', flavorRef: '1', imageRef: image } });
    const createMs = performance.now() - t0;
    assert.equal(r.status, 202, r.text);
    t0 = performance.now();
    const { ids, pages } = await followLinks(api, 'compute', '/servers/detail', 'servers');
    const listMs = performance.now() - t0;
    t.diagnostic(`create of server #${SERVERS}: ${createMs.toFixed(1)} ms; full servers/detail listing (${pages} pages): ${listMs.toFixed(1)} ms`);
    // Without `limit` Nova answers its max page (1000) with a next link, and so on to an empty page.
    assert.equal(pages, SERVERS / 1000 + 1);
    assert.equal(new Set(ids).size, SERVERS);
    assert.ok(ids.includes(r.body.server.id));
    allIds = ids;

    const st = await sim.admin.state();
    const ips = st.ports.filter((p) => p.device_owner.startsWith('compute:')).map((p) => p.fixed_ips[0]?.ip_address ?? '');
    assert.equal(ips.length, SERVERS);
    assert.equal(new Set(ips).size, SERVERS, 'no address is handed out twice');
    assert.ok(ips.every((ip) => ip.startsWith('10.0.')));
    assert.ok(ips.includes('10.0.0.3'), 'the first server address is the one of the /24 days');
    assert.ok(ips.some((ip) => (octets(ip)[2] ?? 0) >= 11), `${SERVERS} addresses reach 10.0.11.x`);
    // A quick page and create are what the 1000-request storms need (loose bounds for a shared box).
    assert.ok(createMs < 500 && listMs < 5000, `create ${createMs} ms, listing ${listMs} ms`);
  });

  void it('Neutron: subnets say the real CIDR, gateway and pool; ports page with limit/marker', async () => {
    const subnets = (await api.network<{ subnets: Record<string, unknown>[] }>('GET', '/subnets')).body.subnets;
    const byName = Object.fromEntries(subnets.map((s) => [s.name, [s.cidr, s.gateway_ip, s.allocation_pools]]));
    assert.deepEqual(byName['private-subnet'], ['10.0.0.0/16', '10.0.0.1', [{ start: '10.0.0.2', end: '10.0.255.254' }]]);
    assert.deepEqual(byName['public-subnet'], ['203.0.112.0/20', '203.0.113.1', [{ start: '203.0.113.2', end: '203.0.127.254' }]]);
    const paged = await followLinks(api, 'network', '/ports?limit=1000', 'ports');
    const whole = (await api.network<{ ports: { id: string }[] }>('GET', '/ports')).body.ports;
    // Neutron's pagination_max_limit is -1 by default: without `limit` every port comes at once.
    assert.equal(whole.length, SERVERS + 2);
    assert.deepEqual(new Set(paged.ids), new Set(whole.map((p) => p.id)));
    assert.equal(paged.pages, 4);
  });

  void it("our provider's listings see every page", async (t) => {
    const provider = new OpenStackProvider({ name: 'sim', rate: 0, cloud: loadCloud({ cloud, file: path.join(dir, 'clouds.yaml'), env: {}, cwd: dir, home: dir }) });
    const t0 = performance.now();
    const all = await provider.listServers();
    t.diagnostic(`provider listServers (${all.length} servers): ${(performance.now() - t0).toFixed(1)} ms`);
    assert.deepEqual(new Set(all.map((s) => s.id)), new Set(allIds));
    const mine = await provider.listNodepoolServers();
    assert.equal(mine.length, all.filter((s) => s.metadata.nodepool_provider_name === 'sim').length);
    assert.ok(mine.length > 2000 && mine.length < SERVERS);
    assert.ok(all.every((s) => s.addresses.privateV4?.startsWith('10.0.')));
    assert.equal((await provider.listPorts()).length, SERVERS + 2);
  });

  void it('openstack server list: Nova’s first 1000 without --limit (as on a real cloud), all with --limit -1', { skip: !fs.existsSync(OPENSTACK) && `${OPENSTACK} not installed` }, async () => {
    const list = async (...extra: string[]): Promise<string[]> => {
      const { stdout } = await run(OPENSTACK, ['--os-cloud', cloud, 'server', 'list', '-f', 'value', '-c', 'ID', ...extra], { env, timeout: 60_000, maxBuffer: 1 << 24 });
      return stdout.split('\n').filter(Boolean);
    };
    const [firstPage, every] = await Promise.all([list(), list('--limit', '-1')]);
    assert.deepEqual(firstPage, allIds.slice(0, 1000));
    assert.deepEqual(new Set(every), new Set(allIds));
    assert.equal(every.length, SERVERS);
  });

  void it('openstacksdk follows servers_links to the end and sees the subnets', { skip: !hasSdk && 'no Debian openstacksdk' }, async () => {
    const script = [
      'import json, sys, openstack',
      'conn = openstack.connect(cloud=sys.argv[1])',
      "subnets = {s.name: [s.cidr, s.gateway_ip, s.allocation_pools] for s in conn.network.subnets()}",
      "print(json.dumps({'servers': [s.id for s in conn.compute.servers()], 'bare': len(conn.list_servers(bare=True)), 'ports': len(list(conn.network.ports())), 'subnets': subnets}))",
    ].join('\n');
    const { stdout } = await run(PYTHON, ['-c', script, cloud], { env, timeout: 60_000, maxBuffer: 1 << 24 });
    const seen = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { servers: string[]; bare: number; ports: number; subnets: Record<string, unknown[]> };
    assert.deepEqual(new Set(seen.servers), new Set(allIds));
    assert.equal(seen.servers.length, SERVERS);
    assert.equal(seen.bare, SERVERS);
    assert.equal(seen.ports, SERVERS + 2);
    assert.deepEqual(seen.subnets['private-subnet'], ['10.0.0.0/16', '10.0.0.1', [{ start: '10.0.0.2', end: '10.0.255.254' }]]);
  });

  void it('pkgcloud getServers makes one request (Nova’s first 1000); its marker option pages on', async () => {
    const c = sim.credentials;
    const compute = pkgcloud.compute.createClient({
      provider: 'openstack',
      authUrl: sim.authUrl,
      keystoneAuthVersion: 'v3',
      username: c.username,
      password: c.password,
      domainName: 'Default',
      tenantName: c.projectName,
      projectDomainName: 'Default',
      region: 'RegionOne',
    }) as unknown as PkgCompute;
    const page = (opts: Record<string, unknown>): Promise<{ id: string }[]> =>
      new Promise((resolve, reject) => compute.getServers(opts, (err, v) => (err ? reject(err instanceof Error ? err : new Error(JSON.stringify(err))) : resolve(v))));
    const first = await page({});
    assert.deepEqual(first.map((s) => s.id), allIds.slice(0, 1000));
    const ids = first.map((s) => s.id);
    for (let batch = first; batch.length > 0; ) {
      batch = await page({ marker: batch[batch.length - 1]?.id });
      ids.push(...batch.map((s) => s.id));
    }
    assert.deepEqual(ids, allIds);
  });
});

void describe('a full pool gives deleted servers’ addresses to new ones', () => {
  // A private /22: .1 router, .2 DHCP, 1,020 addresses for servers.
  const { sim, api } = useSimulator({ cidrs: { private: '10.0.0.0/22' } });
  const POOL = 1020;

  let image = '';
  const create = async (name: string): Promise<string> => {
    image ||= (await sim().admin.state()).images[0]?.id ?? '';
    const r = await api().compute<{ server: { id: string } }>('POST', '/servers', { server: { name, flavorRef: '1', imageRef: image } });
    assert.equal(r.status, 202, r.text);
    return r.body.server.id;
  };
  const show = async (id: string) =>
    (await api().compute<{ server: { status: string; fault?: { message: string }; addresses: Record<string, { addr: string }[]> } }>('GET', `/servers/${id}`)).body.server;

  void it('fills the pool, fails the next build, and reuses exactly the freed addresses', async () => {
    await sim().admin.setQuotas({ instances: -1, cores: -1, ram: -1 });
    const seeded = await seed(sim(), POOL, () => 'sim');
    const ips = seeded.map((s) => s.addresses[0]?.ip ?? '');
    assert.equal(new Set(ips).size, POOL);
    assert.ok(ips.includes('10.0.3.254') && ips.includes('10.0.1.0') && ips.includes('10.0.0.255'), 'the whole /22 is used, .0 and .255 included');

    const full = await create('np-full');
    const failed = await waitFor(async () => {
      const s = await show(full);
      return s.status === 'ERROR' ? s : undefined;
    });
    assert.match(failed.fault?.message ?? '', /Failed to allocate the network\(s\)/);

    const victims = seeded.filter((_, i) => i % 40 === 7); // 26 servers spread over the pool
    for (const s of victims) assert.equal((await api().compute('DELETE', `/servers/${s.id}`)).status, 204);
    await waitFor(async () => ((await sim().admin.state()).servers.some((s) => victims.some((v) => v.id === s.id)) ? undefined : true));

    const fresh = [];
    for (let i = 0; i < victims.length; i++) fresh.push(await create(`np-reuse-${i}`));
    const got = await Promise.all(fresh.map(async (id) => (await show(id)).addresses.private?.[0]?.addr));
    assert.deepEqual(new Set(got), new Set(victims.map((v) => v.addresses[0]?.ip)));
    const again = await create('np-full-again');
    await waitFor(async () => ((await show(again)).status === 'ERROR' ? true : undefined));
  });
});
