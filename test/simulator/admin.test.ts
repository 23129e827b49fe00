// The admin API: fault injection (status, body, empty body, hang, delay, times, probability), leak
// injection, forced status, reset, request counts; the binary: clouds.yaml merge, port 0, state file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import YAML from 'yaml';
import { DEFAULT_CREDENTIALS } from '../../simulator/defaults';
import { Api, sleep, spawnSimulator, useSimulator } from './helpers';

void describe('admin API', () => {
  const { sim, api } = useSimulator();

  beforeEach(async () => {
    await sim().admin.reset();
    await sim().admin.leakImage({ name: 'base-image' });
  });

  void it('injects a status with a body, once by default, then serves normally', async () => {
    const id = await sim().admin.injectFault({ service: 'compute', method: 'GET', pathRegex: '/servers/detail$', status: 502, body: '<html>Bad Gateway</html>' });
    assert.match(id, /^fault-/);
    const r = await api().compute('GET', '/servers/detail');
    assert.equal(r.status, 502);
    assert.equal(r.text, '<html>Bad Gateway</html>');
    assert.equal((await api().compute('GET', '/servers/detail')).status, 200);
    assert.deepEqual(await sim().admin.faults(), []);
  });

  void it('empty bodies, times, forever, method and path matching, clearing', async () => {
    await sim().admin.injectFault({ service: 'network', pathRegex: '/ports', status: 504, body: null, times: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await api().network('GET', '/ports');
      assert.equal(r.status, 504);
      assert.equal(r.text, '');
    }
    assert.equal((await api().network('GET', '/ports')).status, 200);
    await sim().admin.injectFault({ service: 'image', method: 'DELETE', status: 429, times: -1 });
    assert.equal((await api().image('GET', '/images')).status, 200); // other method: not matched
    const img = (await sim().admin.state()).images[0]?.id;
    for (let i = 0; i < 3; i++) assert.equal((await api().image('DELETE', `/images/${img}`)).status, 429);
    const [f] = await sim().admin.faults();
    assert.equal(f?.hits, 3);
    await sim().admin.clearFaults();
    assert.equal((await api().image('DELETE', `/images/${img}`)).status, 204);
  });

  void it('probability hits about that share of the matching requests; the spared ones do not count', async () => {
    await sim().admin.injectFault({ service: 'compute', pathRegex: '/flavors$', status: 503, times: -1, probability: 0.25 });
    let hit = 0;
    for (let i = 0; i < 200; i++) if ((await api().compute('GET', '/flavors')).status === 503) hit++;
    assert.ok(hit >= 20 && hit <= 80, `${hit} of 200 hit at 0.25`);
    assert.equal((await sim().admin.faults())[0]?.hits, hit);
    await sim().admin.clearFaults();
    // spared by the first fault, a request meets the next; `times` counts only hits
    await sim().admin.injectFault({ service: 'compute', pathRegex: '/flavors$', status: 502, times: 1, probability: 0.5 });
    await sim().admin.injectFault({ service: 'compute', pathRegex: '/flavors$', status: 504, times: -1 });
    const seen = new Set<number>();
    for (let i = 0; i < 40; i++) seen.add((await api().compute('GET', '/flavors')).status);
    assert.deepEqual([...seen].sort(), [502, 504]);
    await sim().admin.clearFaults();
    for (const probability of [0, 1.5, '0.5']) {
      await assert.rejects(sim().admin.injectFault({ service: 'compute', status: 500, probability: probability as number }), /400|probability/);
    }
  });

  void it('faults on Keystone token issue', async () => {
    await sim().admin.injectFault({ service: 'identity', method: 'POST', status: 503 });
    const a = new Api(sim());
    await assert.rejects(a.login(), /503/);
    await a.login();
  });

  void it('hang never answers (the client times out); delayMs delays then serves', async () => {
    await sim().admin.injectFault({ service: 'compute', pathRegex: '/flavors$', hang: true });
    const ac = AbortSignal.timeout(300);
    await assert.rejects(fetch(`${sim().url}/compute/v2.1/flavors`, { headers: { 'X-Auth-Token': api().token }, signal: ac }), /abort|timeout/i);
    await sim().admin.injectFault({ service: 'compute', pathRegex: '/limits$', delayMs: 300 });
    const t0 = Date.now();
    const r = await api().compute('GET', '/limits');
    assert.equal(r.status, 200);
    assert.ok(Date.now() - t0 >= 290);
  });

  void it('leaks a server, port, floating IP and image that the APIs then show', async () => {
    const s = await sim().admin.leakServer({ name: 'np0000009999', metadata: { nodepool_provider_name: 'p1', nodepool_node_id: '0000009999' } });
    assert.equal(s.status, 'ACTIVE');
    const listed = (await api().compute<{ servers: { id: string; metadata: Record<string, string> }[] }>('GET', '/servers/detail')).body.servers;
    assert.deepEqual(listed.map((x) => [x.id, x.metadata.nodepool_node_id]), [[s.id, '0000009999']]);
    const p = await sim().admin.leakPort({ status: 'DOWN', device_owner: 'compute:nova' });
    assert.equal((await api().network<{ port: { status: string } }>('GET', `/ports/${p.id}`)).body.port.status, 'DOWN');
    const f = await sim().admin.leakFloatingIp({ port_id: null });
    assert.equal((await api().network<{ floatingip: { port_id: null } }>('GET', `/floatingips/${f.id}`)).body.floatingip.port_id, null);
    const img = await sim().admin.leakImage({ name: 'alien', properties: { nodepool_build_id: '0000000123', nodepool_upload_id: '0000000001' } });
    const shown = (await api().image<Record<string, unknown>>('GET', `/images/${img.id}`)).body;
    assert.equal(shown.status, 'active');
    assert.equal(shown.nodepool_build_id, '0000000123');
  });

  void it('forces a server to ERROR with a fault message; sets boot delay; stuck builds', async () => {
    const id = (await api().createServer()).body.server.id;
    await sim().admin.setServerStatus(id, 'ERROR', 'Exceeded maximum number of retries. Exceeds quota');
    const s = (await api().compute<{ server: { status: string; fault: { message: string } } }>('GET', `/servers/${id}`)).body.server;
    assert.equal(s.status, 'ERROR');
    assert.equal(s.fault.message, 'Exceeded maximum number of retries. Exceeds quota');
    await sim().admin.setBootDelay(10_000);
    const slow = (await api().createServer()).body.server.id;
    await sleep(100);
    assert.equal((await sim().admin.state()).servers.find((x) => x.id === slow)?.status, 'BUILD');
    await sim().admin.addServerRule({ outcome: 'stuck-build', times: -1 });
    await sim().admin.setBootDelay(0);
    const stuck = (await api().createServer()).body.server.id;
    await sleep(50);
    assert.equal((await sim().admin.state()).servers.find((x) => x.id === stuck)?.status, 'BUILD');
    await sim().admin.clearServerRules();
    assert.deepEqual(await sim().admin.serverRules(), []);
  });

  void it('state(): counts requests per route; reset() empties everything but keeps tokens', async () => {
    await api().compute('GET', '/servers/detail');
    await api().createServer();
    const st = await sim().admin.state();
    assert.ok((st.requests['GET compute /v2.1/servers/detail'] ?? 0) >= 1);
    assert.equal(st.requests['POST compute /v2.1/servers'], 1);
    assert.equal(st.servers.length, 1);
    assert.deepEqual(st.availabilityZones, ['nova', 'az1', 'az2']);
    assert.deepEqual(st.flavors.map((f) => f.name), ['m1.tiny', 'm1.small', 'm1.medium', 'm1.large', 'm1.xlarge', 'nodepool-8gb']);
    await sim().admin.reset();
    const fresh = await sim().admin.state();
    assert.deepEqual([fresh.servers.length, fresh.images.length, fresh.floatingIps.length], [0, 0, 0]);
    assert.deepEqual(fresh.requests, {});
    assert.equal((await api().compute('GET', '/servers')).status, 200);
  });

  void it('refuses bad admin input', async () => {
    await assert.rejects(sim().admin.setQuotas({ instances: -5 }), /400/);
    await assert.rejects(sim().admin.injectFault({ service: 'bogus' as 'compute' }), /400/);
    await assert.rejects(sim().admin.setServerStatus('nope', 'ACTIVE'), /404/);
    await assert.rejects(sim().admin.injectFault({ service: 'compute', pathRegex: '(' }), /400/);
    await assert.rejects(sim().admin.addServerRule({ outcome: 'error', nameRegex: '[' }), /400/);
    await assert.rejects(sim().admin.injectFault({ service: 'compute', times: 0 }), /400/);
    await assert.rejects(sim().admin.injectFault({ service: 'compute', status: 42 }), /400/);
  });
});

void describe('openstack-simulator binary', () => {
  void it('writes clouds.yaml (keeping other clouds), listens on a free port, keeps state across restarts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-bin-'));
    const clouds = path.join(dir, 'clouds.yaml');
    const state = path.join(dir, 'state.json');
    fs.writeFileSync(clouds, YAML.stringify({ clouds: { other: { auth: { auth_url: 'https://example.org' } } }, extra: 1 }));
    const args = ['--port', '0', '--clouds-yaml', clouds, '--cloud', 'demo', '--state-file', state, '--boot-delay', '0.05', '--verbose'];
    let child = await spawnSimulator(args);
    try {
      const doc = YAML.parse(fs.readFileSync(clouds, 'utf8')) as { clouds: Record<string, { auth: { auth_url: string }; region_name: string; image_format: string }>; extra: number };
      assert.equal(doc.extra, 1);
      assert.equal(doc.clouds.other?.auth.auth_url, 'https://example.org');
      assert.equal(doc.clouds.demo?.auth.auth_url, `${child.url}/identity`);
      assert.equal(doc.clouds.demo?.region_name, 'RegionOne');
      assert.equal(doc.clouds.demo?.image_format, 'qcow2');
      let a = new Api({ url: child.url, credentials: DEFAULT_CREDENTIALS });
      await a.login();
      await a.admin.leakImage({ name: 'base-image' });
      const id = (await a.createServer({ name: 'np0000000100' })).body.server.id;
      await sleep(100);
      assert.match(child.output(), /POST \/identity\/v3\/auth\/tokens 201 \d+ms/);
      await child.stop();
      const token = a.token;
      child = await spawnSimulator(args);
      a = new Api({ url: child.url, credentials: DEFAULT_CREDENTIALS });
      a.token = token; // tokens survive the restart too: clients carry on
      const s = await a.compute<{ server: { name: string; status: string } }>('GET', `/servers/${id}`);
      assert.equal(s.status, 200);
      assert.equal(s.body.server.name, 'np0000000100');
      assert.equal(s.body.server.status, 'ACTIVE');
      assert.equal((await a.admin.state()).images[0]?.name, 'base-image');
    } finally {
      await child.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
