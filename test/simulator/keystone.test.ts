// Keystone behaviour: pkgcloud's exact v3 password body, application credentials, the catalog
// layout pkgcloud needs, 401s (bad credentials, unknown/revoked tokens), validation, discovery.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Api, useSimulator } from './helpers';

type Catalog = { type: string; name: string; endpoints: { interface: string; region: string; region_id: string; url: string; id: string }[] }[];
type TokenBody = { token: { expires_at: string; project?: { id: string; name: string }; catalog?: Catalog; methods: string[] } };

void describe('keystone', () => {
  const { sim, api } = useSimulator({ users: [{ username: 'zuul', password: 'zuul-secret' }] });

  const post = (body: unknown) => new Api(sim()).raw<TokenBody>('POST', '/identity/v3/auth/tokens', body);

  void it('accepts pkgcloud 2.2.0’s password body (stray auth.tenantName ignored): 201, X-Subject-Token, catalog', async () => {
    const c = sim().credentials;
    const r = await post({
      auth: {
        identity: { methods: ['password'], password: { user: { password: c.password, name: c.username, domain: { name: 'Default' } } } },
        scope: { project: { name: c.projectName, domain: { name: 'Default' } } },
        tenantName: c.projectName,
      },
    });
    assert.equal(r.status, 201);
    assert.ok((r.headers.get('x-subject-token') ?? '').length > 20);
    const t = r.body.token;
    assert.equal(t.project?.id, c.projectId);
    assert.ok(Date.parse(t.expires_at) > Date.now() + 55 * 60_000);
    const types = (t.catalog ?? []).map((s) => s.type).sort();
    assert.deepEqual(types, ['compute', 'identity', 'image', 'network', 'volumev3']);
    const url = (type: string) => t.catalog?.find((s) => s.type === type)?.endpoints.find((e) => e.interface === 'public');
    assert.equal(url('compute')?.url, `${sim().url}/compute/v2.1`);
    assert.equal(url('network')?.url, `${sim().url}/network`);
    assert.equal(url('image')?.url, `${sim().url}/image`);
    assert.equal(url('identity')?.url, `${sim().url}/identity`);
    assert.equal(url('volumev3')?.url, `${sim().url}/volume/v3/${c.projectId}`);
    for (const s of t.catalog ?? []) for (const e of s.endpoints) assert.ok(e.id && e.region === 'RegionOne' && e.region_id === 'RegionOne');
  });

  void it('accepts application credentials (scoped to their project)', async () => {
    const c = sim().credentials;
    const r = await post({
      auth: { identity: { methods: ['application_credential'], application_credential: { id: c.applicationCredentialId, secret: c.applicationCredentialSecret } } },
    });
    assert.equal(r.status, 201);
    assert.deepEqual(r.body.token.methods, ['application_credential']);
    assert.equal(r.body.token.project?.id, c.projectId);
    const bad = await post({ auth: { identity: { methods: ['application_credential'], application_credential: { id: c.applicationCredentialId, secret: 'nope' } } } });
    assert.equal(bad.status, 401);
  });

  void it('extra users authenticate into the same project', async () => {
    const r = await post({
      auth: {
        identity: { methods: ['password'], password: { user: { password: 'zuul-secret', name: 'zuul', domain: { id: 'default' } } } },
        scope: { project: { id: sim().credentials.projectId } },
      },
    });
    assert.equal(r.status, 201);
    assert.equal(r.body.token.project?.id, sim().credentials.projectId);
  });

  void it('refuses bad passwords with Keystone’s 401 body', async () => {
    const c = sim().credentials;
    const r = await post({
      auth: {
        identity: { methods: ['password'], password: { user: { password: 'wrong', name: c.username, domain: { name: 'Default' } } } },
        scope: { project: { name: c.projectName, domain: { name: 'Default' } } },
      },
    });
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, { error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } });
  });

  void it('an unscoped password token has no catalog and is refused by the services', async () => {
    const c = sim().credentials;
    const r = await post({ auth: { identity: { methods: ['password'], password: { user: { password: c.password, name: c.username, domain: { name: 'Default' } } } } } });
    assert.equal(r.status, 201);
    assert.equal(r.body.token.catalog, undefined);
    const a = new Api(sim());
    a.token = r.headers.get('x-subject-token') ?? '';
    assert.equal((await a.compute('GET', '/flavors')).status, 401);
  });

  void it('401 for a missing, unknown or revoked token on every service; a new token works', async () => {
    const a = new Api(sim());
    assert.equal((await a.compute('GET', '/servers')).status, 401);
    a.token = 'gAAAAAunknown';
    for (const path of ['/compute/v2.1/servers', '/network/v2.0/ports', '/image/v2/images', `/volume/v3/${sim().credentials.projectId}/limits`]) {
      const r = await a.raw('GET', path);
      assert.equal(r.status, 401, path);
      assert.match(r.headers.get('www-authenticate') ?? '', /^Keystone uri=/);
    }
    await a.login();
    assert.equal((await a.compute('GET', '/servers')).status, 200);
    await sim().admin.revokeTokens();
    assert.equal((await a.compute('GET', '/servers')).status, 401);
    await a.login();
    assert.equal((await a.compute('GET', '/servers')).status, 200);
    await api().login();
  });

  void it('validates and revokes tokens through /v3/auth/tokens', async () => {
    const a = new Api(sim());
    const t = await a.login();
    const v = await a.raw<TokenBody>('GET', '/identity/v3/auth/tokens', undefined, { 'X-Subject-Token': t });
    assert.equal(v.status, 200);
    assert.equal(v.body.token.project?.id, sim().credentials.projectId);
    assert.equal((await a.raw('DELETE', '/identity/v3/auth/tokens', undefined, { 'X-Subject-Token': t })).status, 204);
    assert.equal((await a.compute('GET', '/servers')).status, 401);
  });

  void it('serves version discovery (300 with v3 on the root)', async () => {
    const r = await new Api(sim()).raw<{ versions: { values: { id: string; links: { href: string }[] }[] } }>('GET', '/identity');
    assert.equal(r.status, 300);
    assert.equal(r.body.versions.values[0]?.links[0]?.href, `${sim().url}/identity/v3/`);
  });
});

void describe('keystone token expiry', () => {
  const { sim } = useSimulator({ tokenTtlMs: 1500 });

  void it('an expired token is a 401; expires_at says when', async () => {
    const a = new Api(sim());
    const r = await a.raw<TokenBody>('POST', '/identity/v3/auth/tokens', {
      auth: {
        identity: { methods: ['application_credential'], application_credential: { id: sim().credentials.applicationCredentialId, secret: sim().credentials.applicationCredentialSecret } },
      },
    });
    a.token = r.headers.get('x-subject-token') ?? '';
    assert.ok(Date.parse(r.body.token.expires_at) - Date.now() <= 1500);
    assert.equal((await a.compute('GET', '/servers')).status, 200);
    await new Promise((res) => setTimeout(res, 1600));
    assert.equal((await a.compute('GET', '/servers')).status, 401);
    assert.equal((await sim().admin.state()).tokens, 0, 'expired tokens are dropped');
  });
});
