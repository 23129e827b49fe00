// Injected faults against the provider: every status class lands in the right error kind, the
// cases pkgcloud's own methods get wrong (429/502/504, empty and HTML bodies) included; hangs
// become timeouts; a revoked token is replaced once; the provider rate spaces calls.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { CloudAuth } from '../../lib/cloud/credentials';
import { OpenStackProvider } from '../../drivers/openstack/adapter';
import { useSimulator } from './sim';

const fixture = useSimulator();

interface KindErr {
  kind?: string;
  status?: number;
  name?: string;
  message: string;
}

async function rejectsWith(p: Promise<unknown>, kind: string, status?: number, name?: string): Promise<KindErr> {
  let caught: KindErr | undefined;
  await assert.rejects(p, (e: KindErr) => {
    caught = e;
    return true;
  });
  assert.equal(caught?.kind, kind, caught?.message);
  if (status !== undefined) assert.equal(caught?.status, status, caught?.message);
  if (name !== undefined) assert.equal(caught?.name, name, caught?.message);
  return caught as KindErr;
}

function tokenPosts(requests: Record<string, number>): number {
  return Object.entries(requests)
    .filter(([k]) => k.startsWith('POST identity'))
    .reduce((a, [, v]) => a + v, 0);
}

void describe('fault classes', () => {
  beforeEach(() => fixture().sim.admin.reset());

  void it('429, 500, 502, 503, 504 on Nova reads are retryable, with the status (and the call works after)', async () => {
    const { sim } = fixture();
    const p = fixture().provider();
    await p.listFlavors(); // authenticated, caches warm
    for (const status of [429, 500, 502, 503, 504]) {
      await sim.admin.injectFault({ service: 'compute', method: 'GET', pathRegex: '/servers/detail$', status });
      await rejectsWith(p.listServers(), 'retryable', status);
      assert.ok(Array.isArray(await p.listServers()));
    }
  });

  void it('502 with an HTML body and 504 with an empty body (pkgcloud hangs or crashes on these) are retryable', async () => {
    const { sim } = fixture();
    const p = fixture().provider();
    const s = await sim.admin.leakServer({ name: 'np0000000001' });
    await sim.admin.injectFault({ service: 'compute', pathRegex: '/servers/[^/]+$', status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' });
    const e = await rejectsWith(p.getServer(s.id), 'retryable', 502);
    assert.match(e.message, /502 Bad Gateway/);
    await sim.admin.injectFault({ service: 'compute', pathRegex: '/servers/[^/]+$', status: 504, body: null });
    await rejectsWith(p.getServer(s.id), 'retryable', 504);
    assert.equal((await p.getServer(s.id))?.id, s.id);
  });

  void it('429 and 504 on DELETE server are errors, not the false success pkgcloud reports', async () => {
    const { sim } = fixture();
    const p = fixture().provider();
    const s = await sim.admin.leakServer({ name: 'np0000000002' });
    await sim.admin.injectFault({ service: 'compute', method: 'DELETE', status: 429 });
    await rejectsWith(p.deleteServer(s.id), 'retryable', 429);
    await sim.admin.injectFault({ service: 'compute', method: 'DELETE', status: 504, body: null });
    await rejectsWith(p.deleteServer(s.id), 'retryable', 504);
    assert.ok((await sim.admin.state()).servers.some((x) => x.id === s.id && x.status !== 'DELETED'), 'still there');
    assert.equal(await p.deleteServer(s.id), true);
  });

  void it('Neutron and Glance 5xx/429 are retryable; Glance plain-text 404 is notFound', async () => {
    const { sim } = fixture();
    const p = fixture().provider();
    await sim.admin.injectFault({ service: 'network', pathRegex: '/ports', status: 503 });
    await rejectsWith(p.listPorts(), 'retryable', 503);
    await sim.admin.injectFault({ service: 'image', pathRegex: '/v2/images$', status: 429 });
    await rejectsWith(p.listImages(), 'retryable', 429);
    await sim.admin.injectFault({ service: 'image', method: 'DELETE', status: 404, body: '404 Not Found\n\nNo image found with ID x\n\n   ' });
    assert.equal(await p.deleteImage('6a1c7a4e-0000-4000-8000-000000000000'), false);
  });

  void it('400 and plain 403 are fatal; 413/403 with "Quota exceeded" are quota; 404 is notFound', async () => {
    const { sim } = fixture();
    const p = fixture().provider();
    await sim.admin.injectFault({ service: 'compute', pathRegex: '/limits$', status: 400, body: '{"badRequest":{"code":400,"message":"Invalid input"}}' });
    await rejectsWith(p.getQuota(), 'fatal', 400, 'FatalCloudError');
    await sim.admin.injectFault({ service: 'compute', pathRegex: '/limits$', status: 403, body: '{"forbidden":{"code":403,"message":"Policy does not allow"}}' });
    await rejectsWith(p.getQuota(), 'fatal', 403);
    await sim.admin.injectFault({ service: 'compute', pathRegex: '/limits$', status: 413, body: '{"overLimit":{"code":413,"message":"Quota exceeded for ram: Requested 8192"}}' });
    await rejectsWith(p.getQuota(), 'quota', 413, 'QuotaExceededError');
    await sim.admin.injectFault({ service: 'compute', pathRegex: '/limits$', status: 404, body: '{"itemNotFound":{"code":404,"message":"nope"}}' });
    await rejectsWith(p.getQuota(), 'notFound', 404, 'NotFoundError');
    assert.equal(await p.getServer('00000000-0000-4000-8000-000000000000'), null);
  });

  void it('Keystone 500/503 is retryable; Keystone 401 is a fatal AuthenticationError', async () => {
    const { sim } = fixture();
    await sim.admin.injectFault({ service: 'identity', status: 503 });
    await rejectsWith(fixture().provider().listFlavors(), 'retryable', 503);
    await sim.admin.injectFault({ service: 'identity', status: 401, body: '{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}' });
    await rejectsWith(fixture().provider().listFlavors(), 'fatal', 401, 'AuthenticationError');
  });

  void it('a connection refused is retryable', async () => {
    const { sim } = fixture();
    const good = fixture().provider();
    const cloud = { ...(good.session.cloud), auth: new CloudAuth({ ...sim.cloudsYaml().auth, type: 'password', authUrl: 'http://127.0.0.1:1/identity' } as never, 'x') };
    const p = new OpenStackProvider({ name: 'sim', rate: 0, requestTimeoutMs: 2000, cloud });
    const e = await rejectsWith(p.listFlavors(), 'retryable');
    assert.match(e.message, /ECONNREFUSED/);
  });
});

void describe('timeouts', () => {
  beforeEach(() => fixture().sim.admin.reset());

  void it('a hanging Nova call times out after the per-call timeout (CloudTimeoutError, retryable)', async () => {
    const { sim } = fixture();
    const p = fixture().provider({ requestTimeoutMs: 500 });
    await p.listFlavors();
    await sim.admin.injectFault({ service: 'compute', pathRegex: '/servers/detail$', hang: true });
    const t0 = Date.now();
    await rejectsWith(p.listServers(), 'retryable', undefined, 'CloudTimeoutError');
    const took = Date.now() - t0;
    assert.ok(took >= 450 && took < 3000, `timed out after ${took} ms`);
    assert.ok(Array.isArray(await p.listServers()), 'the next call works');
  });

  void it('a hanging Keystone POST and hanging Glance/Neutron calls time out too', async () => {
    const { sim } = fixture();
    await sim.admin.injectFault({ service: 'identity', hang: true });
    await rejectsWith(fixture().provider({ requestTimeoutMs: 400 }).listFlavors(), 'retryable', undefined, 'CloudTimeoutError');
    const p = fixture().provider({ requestTimeoutMs: 400 });
    await sim.admin.injectFault({ service: 'image', hang: true });
    await rejectsWith(p.listImages(), 'retryable', undefined, 'CloudTimeoutError');
    await sim.admin.injectFault({ service: 'network', hang: true });
    await rejectsWith(p.listPorts(), 'retryable', undefined, 'CloudTimeoutError');
  });

  void it('a delay shorter than the timeout is just slow', async () => {
    const { sim } = fixture();
    const p = fixture().provider({ requestTimeoutMs: 1500 });
    await sim.admin.injectFault({ service: 'compute', pathRegex: '/flavors/detail$', delayMs: 300 });
    assert.ok((await p.listFlavors()).length > 0);
  });
});

void describe('authentication', () => {
  beforeEach(() => fixture().sim.admin.reset());

  void it('a revoked token (401) is replaced once and the call succeeds', async () => {
    const { sim } = fixture();
    const p = fixture().provider();
    await p.listFlavors();
    const before = tokenPosts((await sim.admin.state()).requests);
    await sim.admin.revokeTokens();
    assert.ok(Array.isArray(await p.listServers()));
    await p.listPorts(); // network shares the new token
    await p.listImages();
    assert.equal(tokenPosts((await sim.admin.state()).requests) - before, 1, 'exactly one re-authentication');
  });

  void it('concurrent 401s share one re-authentication', async () => {
    const { sim } = fixture();
    const p = fixture().provider();
    await p.listFlavors();
    const before = tokenPosts((await sim.admin.state()).requests);
    await sim.admin.revokeTokens();
    await Promise.all([p.listServers(), p.listPorts(), p.listImages(), p.getQuota()]);
    assert.equal(tokenPosts((await sim.admin.state()).requests) - before, 1);
  });

  void it('a second 401 after re-authenticating is a fatal AuthenticationError', async () => {
    const { sim } = fixture();
    const p = fixture().provider();
    await p.listFlavors();
    await sim.admin.injectFault({ service: 'compute', pathRegex: '/servers/detail$', status: 401, times: 2, body: '{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}' });
    await rejectsWith(p.listServers(), 'fatal', 401, 'AuthenticationError');
  });

  void it('errors and logs never carry the password or token', async () => {
    const { sim } = fixture();
    const p = fixture().provider();
    await sim.admin.injectFault({ service: 'compute', pathRegex: '/flavors/detail$', status: 500 });
    const e = await rejectsWith(p.listFlavors(), 'retryable');
    const dump = JSON.stringify({ e, msg: e.message, cloud: p.session.cloud, stack: (e as Error).stack });
    assert.ok(!dump.includes(sim.credentials.password));
    const token = await p.session.token();
    assert.ok(!dump.includes(token));
  });
});

void describe('rate', () => {
  void it('rate: seconds between calls is honoured across calls of one provider', async () => {
    const p = fixture().provider({ name: 'rated', rate: 0.1 });
    await p.listFlavors();
    const t0 = Date.now();
    await Promise.all([p.listServers(), p.listPorts(), p.listImages(), p.getQuota()]);
    const took = Date.now() - t0;
    // getQuota makes two calls (Nova and Cinder limits); the networks list for addresses is one more.
    assert.ok(took >= 400, `5+ calls at 0.1 s spacing took ${took} ms`);
  });
});
