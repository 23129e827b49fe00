// openstacksdk's per-call statsd metrics (openstack.api.*), as Nodepool's docs promise them with
// STATSD_HOST set: the key builder against names the real openstacksdk produced, the statsd
// settings from the environment and clouds.yaml, and the metrics arriving over UDP from a provider
// on the simulator.
//
// Where the expected names come from: openstacksdk 4.22.0 as installed with Nodepool 11
// (/tmp/np11-venv), two ways:
//  1. calling its own code on each URL:
//       class Fake(openstack.proxy.Proxy):
//           def __init__(self, st): self.service_type = st
//       parts = [proxy.normalize_metric_name(f) for f in Fake(st)._extract_name(url, st, project_id)]
//       '.'.join(['openstack.api', proxy.normalize_metric_name(st), method, '_'.join(parts)])
//     (the exact expression of Proxy._report_stats_statsd);
//  2. end to end: openstack.connection.Connection(config=OpenStackConfig().get_one('simulator'))
//     with STATSD_HOST/STATSD_PORT set, against this repo's simulator, capturing the UDP datagrams:
//       openstack.api.compute.POST.compute_servers.202:3.000000|ms
//       openstack.api.compute.POST.compute_servers.202:1|c
//       openstack.api.compute.POST.compute_servers.attempted:1|c
//       openstack.api.compute.GET.compute_server.200 ... DELETE.compute_server.204 ... GET.compute_server.404
//       openstack.api.image.PUT.image_image_file.204, openstack.api.block-storage.GET.volume_limits.200,
//       openstack.api.network.GET.network_ports.200, openstack.api.image.GET.image_images.200
//     and nothing for the Keystone token POST.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { OpenStackProvider } from '../../drivers/openstack/adapter';
import { ApiMetrics, apiMetricKey, ExchangeTimer, extractName, normalizeMetricName } from '../../drivers/openstack/adapter/api-metrics';
import { type CreateServerRequest } from '../../drivers/provider';
import { loadCloud } from '../../lib/cloud/clouds-yaml';
import { type Stats } from '../../lib/metrics/statsd';
import { useSimulator, waitFor } from './sim';

const PROJECT = 'c0ffee00000000000000000000000001';
const UUID = '8d3a1f2e-1b6c-4b0e-9a57-0f3c2d1e4a5b';

// [service type, method, URL, project id, key openstacksdk 4.22 builds]
const OPENSTACKSDK_KEYS: [string, string, string, string | null, string][] = [
  // endpoints with a path prefix (devstack, the simulator): the prefix becomes part of the name
  ['compute', 'GET', 'https://h/compute/v2.1/servers/detail', PROJECT, 'openstack.api.compute.GET.servers_detail'],
  ['compute', 'GET', 'https://h/compute/v2.1/servers/detail?limit=1000&marker=abc', PROJECT, 'openstack.api.compute.GET.servers_detail'],
  ['compute', 'GET', `https://h/compute/v2.1/servers/${UUID}`, PROJECT, 'openstack.api.compute.GET.compute_server'],
  ['compute', 'DELETE', `https://h/compute/v2.1/servers/${UUID}`, PROJECT, 'openstack.api.compute.DELETE.compute_server'],
  ['compute', 'POST', 'https://h/compute/v2.1/servers', PROJECT, 'openstack.api.compute.POST.compute_servers'],
  ['compute', 'POST', `https://h/compute/v2.1/servers/${UUID}/action`, PROJECT, 'openstack.api.compute.POST.compute_server_action'],
  ['compute', 'GET', 'https://h/compute/v2.1/flavors/detail', PROJECT, 'openstack.api.compute.GET.flavors_detail'],
  ['compute', 'GET', 'https://h/compute/v2.1/os-availability-zone', PROJECT, 'openstack.api.compute.GET.compute_os-availability-zone'],
  ['compute', 'GET', 'https://h/compute/v2.1/limits', PROJECT, 'openstack.api.compute.GET.compute_limits'],
  ['image', 'GET', 'https://h/image/v2/images?name=x', PROJECT, 'openstack.api.image.GET.image_images'],
  ['image', 'GET', `https://h/image/v2/images/${UUID}`, PROJECT, 'openstack.api.image.GET.image_image'],
  ['image', 'POST', 'https://h/image/v2/images', PROJECT, 'openstack.api.image.POST.image_images'],
  ['image', 'PUT', `https://h/image/v2/images/${UUID}/file`, PROJECT, 'openstack.api.image.PUT.image_image_file'],
  ['image', 'DELETE', `https://h/image/v2/images/${UUID}`, PROJECT, 'openstack.api.image.DELETE.image_image'],
  ['network', 'GET', 'https://h/network/v2.0/floatingips', PROJECT, 'openstack.api.network.GET.network_floatingips'],
  ['network', 'GET', 'https://h/network/v2.0/ports?status=DOWN', PROJECT, 'openstack.api.network.GET.network_ports'],
  ['network', 'POST', 'https://h/network/v2.0/floatingips', PROJECT, 'openstack.api.network.POST.network_floatingips'],
  ['network', 'DELETE', `https://h/network/v2.0/floatingips/${UUID}`, PROJECT, 'openstack.api.network.DELETE.network_floatingip'],
  ['network', 'DELETE', `https://h/network/v2.0/ports/${UUID}`, PROJECT, 'openstack.api.network.DELETE.network_port'],
  ['network', 'GET', 'https://h/network/v2.0/networks.json', PROJECT, 'openstack.api.network.GET.network_networks'],
  // the project id in Cinder's URL is dropped (it is the token's project)...
  ['block-storage', 'GET', `https://h/volume/v3/${PROJECT}/limits`, PROJECT, 'openstack.api.block-storage.GET.volume_limits'],
  ['block-storage', 'GET', `https://h:8776/v3/${PROJECT}/limits`, PROJECT, 'openstack.api.block-storage.GET.limits'],
  // ...only when it is the token's: otherwise it is an id like any other
  ['block-storage', 'GET', `https://h:8776/v3/${PROJECT}/limits`, null, `openstack.api.block-storage.GET.${PROJECT}`],
  // endpoints at the root of a port: the version part is dropped
  ['compute', 'GET', 'https://h:8774/v2.1/servers/detail', PROJECT, 'openstack.api.compute.GET.servers_detail'],
  ['compute', 'GET', `https://h:8774/v2.1/servers/${UUID}`, PROJECT, 'openstack.api.compute.GET.server'],
  ['compute', 'GET', `https://h:8774/v2.1/${PROJECT}/servers/${UUID}`, PROJECT, 'openstack.api.compute.GET.server'],
  ['image', 'GET', 'https://h:9292/v2/images', PROJECT, 'openstack.api.image.GET.images'],
  ['image', 'PUT', `https://h:9292/v2/images/${UUID}/file`, PROJECT, 'openstack.api.image.PUT.image_file'],
  ['network', 'GET', 'https://h:9696/v2.0/floatingips', PROJECT, 'openstack.api.network.GET.floatingips'],
  ['network', 'GET', `https://h:9696/v2.0/ports/${UUID}`, PROJECT, 'openstack.api.network.GET.port'],
  // the relative paths an exception is named by (no response, no full URL)
  ['compute', 'GET', `/servers/${UUID}`, PROJECT, 'openstack.api.compute.GET.server'],
  ['compute', 'GET', 'servers/detail', PROJECT, 'openstack.api.compute.GET.servers_detail'],
  // Keystone and discovery
  ['identity', 'POST', 'https://h/identity/v3/auth/tokens', PROJECT, 'openstack.api.identity.POST.tokens'],
  ['identity', 'GET', 'https://h:5000/v3/users/abc', PROJECT, 'openstack.api.identity.GET.user'],
  ['compute', 'GET', 'https://h/compute/v2.1/', PROJECT, 'openstack.api.compute.GET.compute'],
  ['compute', 'GET', `https://h/swift/v1/AUTH_${PROJECT}/container`, PROJECT, 'openstack.api.compute.GET.swift_container'],
  // '.' and ':' in a name part are normalised
  ['compute', 'GET', 'https://h/compute/v2.1/servers/a.b:c', PROJECT, 'openstack.api.compute.GET.compute_server'],
];

void describe('openstack.api metric names (openstacksdk Proxy._extract_name)', () => {
  void it('matches openstacksdk 4.22 for the URLs the adapter calls', () => {
    for (const [service, method, url, project, want] of OPENSTACKSDK_KEYS) {
      assert.equal(apiMetricKey('openstack.api', service, method, url, project), want, `${method} ${url}`);
    }
  });

  void it('follows the examples in openstacksdk\'s docstring', () => {
    assert.deepEqual(extractName('/servers'), ['servers']);
    assert.deepEqual(extractName(`/servers/${UUID}`), ['server']);
    assert.deepEqual(extractName(`/servers/${UUID}/os-security-groups`), ['server', 'os-security-groups']);
    assert.deepEqual(extractName('/v2.0/networks.json'), ['networks']);
    assert.deepEqual(extractName('https://h'), ['discovery']);
    assert.equal(normalizeMetricName('a.b:c-d'), 'a_b_c-d');
  });

  void it('throws where openstacksdk raises (and then reports nothing)', () => {
    assert.throws(() => extractName(`/${PROJECT}`, PROJECT));
    assert.throws(() => extractName('/v/servers'));
  });
});

function fakeStats(fail = false): Stats & { lines: string[] } {
  const lines: string[] = [];
  const boom = (): void => {
    if (fail) throw new Error('statsd down');
  };
  return {
    lines,
    increment: (n, v = 1) => (boom(), lines.push(`${n}:${v}|c`)),
    timing: (n, ms) => (boom(), lines.push(`${n}:${ms}|ms`)),
    gauge: (n, v) => (boom(), lines.push(`${n}:${v}|g`)),
    close: async () => undefined,
  };
}

void describe('ApiMetrics (openstacksdk Proxy._report_stats_statsd)', () => {
  const url = `http://sim/compute/v2.1/servers/${UUID}`;

  void it('a response: timing and counter per status, .attempted; .over_1000 above one second', () => {
    const stats = fakeStats();
    const m = ApiMetrics.create({ host: '127.0.0.1' }, stats);
    assert.ok(m);
    m.report({ service: 'compute', method: 'GET', requestUrl: `servers/${UUID}`, responses: [{ url, status: 200, elapsedMs: 12.9 }] });
    m.report({ service: 'compute', method: 'DELETE', requestUrl: `servers/${UUID}`, responses: [{ url, status: 409, elapsedMs: 1000.5 }] });
    m.report({ service: 'compute', method: 'DELETE', requestUrl: `servers/${UUID}`, responses: [{ url, status: 204, elapsedMs: 1001 }] });
    assert.deepEqual(stats.lines, [
      'openstack.api.compute.GET.compute_server.200:12|ms',
      'openstack.api.compute.GET.compute_server.200:1|c',
      'openstack.api.compute.GET.compute_server.attempted:1|c',
      'openstack.api.compute.DELETE.compute_server.409:1000|ms',
      'openstack.api.compute.DELETE.compute_server.409:1|c',
      'openstack.api.compute.DELETE.compute_server.attempted:1|c',
      'openstack.api.compute.DELETE.compute_server.204:1001|ms',
      'openstack.api.compute.DELETE.compute_server.204:1|c',
      'openstack.api.compute.DELETE.compute_server.over_1000:1|c',
      'openstack.api.compute.DELETE.compute_server.attempted:1|c',
    ]);
  });

  void it('no response: .failed and .attempted, named by the relative path; redirect hops are reported each', () => {
    const stats = fakeStats();
    const m = ApiMetrics.create({ port: 8125, prefix: 'site.os' }, stats);
    assert.ok(m);
    m.report({ service: 'volume', method: 'GET', requestUrl: 'limits', responses: [] });
    m.report({
      service: 'image',
      method: 'GET',
      requestUrl: 'v2/images',
      responses: [
        { url: 'http://sim/image/v2/images', status: 301, elapsedMs: 3 },
        { url: 'http://sim/image/v2/images/', status: 200, elapsedMs: 4 },
      ],
      projectId: PROJECT,
    });
    assert.deepEqual(stats.lines, [
      'site.os.block-storage.GET.limits.failed:1|c',
      'site.os.block-storage.GET.limits.attempted:1|c',
      'site.os.image.GET.image_images.301:3|ms',
      'site.os.image.GET.image_images.301:1|c',
      'site.os.image.GET.image_images.attempted:1|c',
      'site.os.image.GET.image_image.200:4|ms',
      'site.os.image.GET.image_image.200:1|c',
      'site.os.image.GET.image_image.attempted:1|c',
    ]);
  });

  void it('no client without a host or port; a failing statsd never throws', () => {
    assert.equal(ApiMetrics.create(undefined), undefined);
    assert.equal(ApiMetrics.create({ prefix: 'only.a.prefix' }), undefined);
    assert.equal(ApiMetrics.create({ host: 'h', port: 'not-a-port' }), undefined);
    const m = ApiMetrics.create({ host: '127.0.0.1' }, fakeStats(true));
    assert.ok(m);
    m.report({ service: 'compute', method: 'GET', requestUrl: 'servers', responses: [{ url, status: 200, elapsedMs: 1 }] });
    m.report({ service: 'compute', method: 'GET', requestUrl: 'servers', responses: [] });
    m.report({ service: 'compute', method: 'GET', requestUrl: '/v/x', responses: [] }); // unnameable
  });
});

void describe('ExchangeTimer on pkgcloud\'s `request`', () => {
  void it('reports each redirect hop at its own URL, then the final response, timed to its headers', async () => {
    const server = createServer((req, res) => {
      if (req.url?.startsWith('/image/v2/images?')) {
        res.writeHead(301, { Location: '/image/v2/images/' }).end();
      } else {
        // headers now, body 300 ms later: elapsed stops at the headers, as requests' does
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.flushHeaders();
        setTimeout(() => res.end('{"images": []}'), 300);
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const request = createRequire(require.resolve('pkgcloud'))('request') as (o: object, cb: (e: unknown) => void) => unknown;
      const timer = new ExchangeTimer('v2/images');
      await new Promise<void>((resolve, reject) => timer.watch(request({ uri: `${base}/image/v2/images`, qs: { limit: 5 } }, (e) => (e ? reject(e as Error) : resolve()))));
      const [hop, final] = timer.responses();
      assert.deepEqual([hop?.url, hop?.status], [`${base}/image/v2/images?limit=5`, 301]);
      assert.deepEqual([final?.url, final?.status], [`${base}/image/v2/images/`, 200]);
      assert.ok((final?.elapsedMs ?? 999) < 250, `timed to the headers: ${final?.elapsedMs}`);
      assert.equal(timer.responses().length, 2);
    } finally {
      server.close();
    }
  });
});

const fixture = useSimulator();

/** A clouds.yaml for the simulator with `extra` at the top level and `own` in the cloud entry. */
function cloudsFile(name: string, top: Record<string, unknown> = {}, own: Record<string, unknown> = {}): string {
  const { sim, dir } = fixture();
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, JSON.stringify({ ...top, clouds: { [name]: { ...sim.cloudsYaml(), ...own } } }));
  return file;
}

void describe('statsd settings as openstacksdk\'s loader resolves them', () => {
  const load = (file: string, cloud: string, env: NodeJS.ProcessEnv) => loadCloud({ cloud, file, env, cwd: fixture().dir, home: fixture().dir }).statsd;

  void it('STATSD_* over the top-level metrics.statsd, the cloud\'s own metrics.statsd over both', () => {
    const top = { metrics: { statsd: { host: 'top-host', port: 9000, prefix: 'top.prefix' } } };
    const f1 = cloudsFile('m1', top);
    assert.deepEqual(load(f1, 'm1', {}), { host: 'top-host', port: 9000, prefix: 'top.prefix' });
    assert.deepEqual(load(f1, 'm1', { STATSD_HOST: 'env-host', STATSD_PORT: '8200' }), { host: 'env-host', port: 8200, prefix: 'top.prefix' });
    assert.deepEqual(load(f1, 'm1', { STATSD_PREFIX: 'env.prefix' }), { host: 'top-host', port: 9000, prefix: 'env.prefix' });
    assert.deepEqual(load(f1, 'm1', { STATSD_PORT: 'x' }), { host: 'top-host', port: 'x', prefix: 'top.prefix' }); // refused later, with a warning
    const f2 = cloudsFile('m2', top, { metrics: { statsd: { prefix: 'cloud.prefix' } } });
    assert.deepEqual(load(f2, 'm2', { STATSD_HOST: 'env-host', STATSD_PREFIX: 'env.prefix' }), { host: 'env-host', port: 9000, prefix: 'cloud.prefix' });
  });

  void it('nothing set: no settings, so no metrics client', () => {
    const f = cloudsFile('m3');
    assert.equal(load(f, 'm3', {}), undefined);
    const p = new OpenStackProvider({ name: 'sim', rate: 0, cloud: loadCloud({ cloud: 'm3', file: f, env: {}, cwd: fixture().dir, home: fixture().dir }) });
    assert.equal(p.session.apiMetrics, undefined);
  });
});

void describe('a provider on the simulator sends openstacksdk\'s metrics over UDP', () => {
  const udp = createSocket('udp4');
  const lines: string[] = [];
  let port = 0;

  before(async () => {
    udp.on('message', (m) => lines.push(...m.toString().split('\n')));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    udp.unref();
    port = udp.address().port;
  });
  after(() => udp.close());
  beforeEach(async () => {
    await fixture().sim.admin.reset();
    lines.length = 0;
  });

  const providers: OpenStackProvider[] = [];
  after(async () => {
    for (const p of providers) await p.close();
  });
  function provider(opts: { requestTimeoutMs?: number; file?: string; cloud?: string; env?: NodeJS.ProcessEnv } = {}): OpenStackProvider {
    const { sim, dir, cloudsFile: defaultFile } = fixture();
    const env = opts.env ?? { STATSD_HOST: '127.0.0.1', STATSD_PORT: String(port) };
    const cloud = loadCloud({ cloud: opts.cloud ?? sim.cloudName, file: opts.file ?? defaultFile, env, cwd: dir, home: dir });
    const p = new OpenStackProvider({ name: 'sim', rate: 0, requestTimeoutMs: opts.requestTimeoutMs ?? 3000, imagePollMs: 50, cloud });
    providers.push(p);
    return p;
  }
  const arrived = (what: string[]): Promise<true> =>
    waitFor(`statsd lines ${what.join(', ')}`, async () => what.every((w) => lines.some((l) => matches(l, w))) || undefined, 5000);
  /** `name|ms` stands for any timing value; anything else is the whole line. */
  const matches = (line: string, want: string): boolean =>
    want.endsWith('|ms') ? new RegExp(`^${reEscape(want.slice(0, -3))}:\\d+\\|ms$`).test(line) : line === want;
  const reEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const call = (key: string, status: number): string[] => [`${key}.${status}|ms`, `${key}.${status}:1|c`, `${key}.attempted:1|c`];

  async function image(): Promise<void> {
    const st = await fixture().sim.admin.state();
    if (!st.images.some((i) => i.name === 'cirros')) await fixture().sim.admin.leakImage({ name: 'cirros' });
  }
  const request = (nodeId: string): CreateServerRequest => ({
    nodeId,
    poolName: 'main',
    label: 'small',
    imageName: 'cirros',
    image: { cloudImage: 'cirros' },
    flavor: { minRam: 1024 },
  });

  void it('create, get and delete a server: compute POST/GET/DELETE timers and counters, nothing for Keystone', async () => {
    await image();
    const p = provider();
    const server = await p.createServer(request('0000000001'));
    assert.ok(await p.getServer(server.id));
    assert.equal(await p.deleteServer(server.id), true);
    await arrived([
      ...call('openstack.api.compute.POST.compute_servers', 202),
      ...call('openstack.api.compute.GET.compute_server', 200),
      ...call('openstack.api.compute.DELETE.compute_server', 204),
    ]);
    assert.ok(!lines.some((l) => l.includes('identity') || l.includes('tokens')), lines.join('\n'));
    // every line is a timer or a counter of an openstack.api key
    for (const l of lines) assert.match(l, /^openstack\.api\.(compute|network|image|block-storage)\.[A-Z]+\.[\w-]+\.(\d{3}:\d+\|ms|\d{3}:1\|c|attempted:1\|c|over_1000:1\|c)$/);
    // a gone server: 404 is a status like any other
    assert.equal(await p.getServer(UUID), null);
    await arrived(call('openstack.api.compute.GET.compute_server', 404));
  });

  void it('images, the upload PUT, ports, Cinder limits (project id dropped)', async () => {
    const { dir } = fixture();
    const p = provider();
    const file = join(dir, 'tiny.raw');
    writeFileSync(file, Buffer.alloc(4096, 1));
    await p.uploadImage({ name: 'tiny', path: file, diskFormat: 'raw' });
    await p.listImages({ name: 'tiny' });
    await p.listPorts({ status: 'DOWN' });
    await p.getQuota();
    await arrived([
      ...call('openstack.api.image.POST.image_images', 201),
      ...call('openstack.api.image.PUT.image_image_file', 204),
      ...call('openstack.api.image.GET.image_images', 200),
      ...call('openstack.api.network.GET.network_ports', 200),
      ...call('openstack.api.block-storage.GET.volume_limits', 200),
      ...call('openstack.api.compute.GET.compute_limits', 200),
    ]);
  });

  void it('a timeout is .failed (named by the relative path), a slow answer .over_1000, a 401 retried is not reported', async () => {
    const { sim } = fixture();
    const p = provider({ requestTimeoutMs: 2500 });
    await p.listFlavors(); // authenticated before the faults
    await sim.admin.injectFault({ service: 'compute', method: 'GET', pathRegex: `/servers/${UUID}$`, hang: true });
    const fast = provider({ requestTimeoutMs: 300 });
    await assert.rejects(fast.getServer(UUID), { name: 'CloudTimeoutError' });
    await arrived(['openstack.api.compute.GET.server.failed:1|c', 'openstack.api.compute.GET.server.attempted:1|c']);

    await sim.admin.injectFault({ service: 'compute', method: 'GET', pathRegex: '/os-availability-zone$', delayMs: 1100 });
    await p.listAvailabilityZones();
    await arrived([...call('openstack.api.compute.GET.compute_os-availability-zone', 200), 'openstack.api.compute.GET.compute_os-availability-zone.over_1000:1|c']);

    lines.length = 0;
    await sim.admin.injectFault({ service: 'compute', method: 'GET', pathRegex: '/limits$', status: 401 });
    await p.getQuota();
    await arrived(call('openstack.api.compute.GET.compute_limits', 200));
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!lines.some((l) => l.includes('.401')), lines.join('\n'));
    assert.equal(lines.filter((l) => l === 'openstack.api.compute.GET.compute_limits.attempted:1|c').length, 1);
  });

  void it('clouds.yaml metrics.statsd: the prefix override, and the host and port without STATSD_*', async () => {
    const file = cloudsFile('prefixed', {}, { metrics: { statsd: { host: '127.0.0.1', port, prefix: 'site.openstack' } } });
    const p = provider({ file, cloud: 'prefixed', env: {} });
    await p.getServer(UUID);
    await arrived(call('site.openstack.compute.GET.compute_server', 404));
  });

  void it('an unreachable statsd never fails an API call', async () => {
    const p = provider({ env: { STATSD_HOST: 'statsd.invalid', STATSD_PORT: '8125' } });
    assert.ok(p.session.apiMetrics);
    assert.ok((await p.listFlavors()).length > 0);
    assert.equal(await p.getServer(UUID), null);
  });
});
