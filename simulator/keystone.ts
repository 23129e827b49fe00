// Keystone v3: version discovery, password and application-credential token issue (201 +
// X-Subject-Token + catalog), token validation and revocation.
import { DOMAIN, PROJECT_ID, REGION } from './defaults';
import { HttpError, isObject, readJson, sendEmpty, sendJson, type Ctx } from './http';
import type { ServiceModule } from './router';
import { type Store, type TokenRecord, type User } from './state';

const UNAUTHORIZED = 'The request you have made requires authentication.';

function v3Version(base: string): Record<string, unknown> {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${base}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

/** One service per type (pkgcloud keys the catalog by name and looks up by type). */
export function catalog(store: Store): unknown[] {
  const b = store.baseUrl;
  const services: [string, string, string, string][] = [
    ['identity', 'keystone', `${b}/identity`, 'c0ffee0000000000000000000000000a'],
    ['compute', 'nova', `${b}/compute/v2.1`, 'c0ffee0000000000000000000000000b'],
    ['network', 'neutron', `${b}/network`, 'c0ffee0000000000000000000000000c'],
    ['image', 'glance', `${b}/image`, 'c0ffee0000000000000000000000000d'],
    ['volumev3', 'cinderv3', `${b}/volume/v3/${PROJECT_ID}`, 'c0ffee0000000000000000000000000e'],
  ];
  return services.map(([type, name, url, id]) => ({
    id,
    type,
    name,
    endpoints: ['public', 'internal', 'admin'].map((iface, i) => ({
      id: `${id.slice(0, -1)}${i}`,
      interface: iface,
      region: REGION,
      region_id: REGION,
      url,
    })),
  }));
}

function tokenBody(store: Store, t: TokenRecord, withCatalog: boolean): unknown {
  const token: Record<string, unknown> = {
    methods: t.methods,
    expires_at: new Date(t.expiresAt).toISOString().replace('Z', '000Z'),
    issued_at: new Date(t.issuedAt).toISOString().replace('Z', '000Z'),
    audit_ids: [t.userId.slice(0, 22)],
    user: { id: t.userId, name: t.username, domain: DOMAIN, password_expires_at: null },
  };
  if (t.scoped) {
    token.project = { id: t.projectId, name: t.projectName, domain: DOMAIN };
    token.is_domain = false;
    token.roles = [
      { id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', name: 'member' },
      { id: 'a1b2c3d4e5f60718293a4b5c6d7e8f91', name: 'reader' },
    ];
    if (withCatalog) token.catalog = catalog(store);
  }
  return { token };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function passwordUser(store: Store, pw: Record<string, unknown>): User {
  const u = isObject(pw.user) ? pw.user : undefined;
  if (!u) throw new HttpError(400, "Invalid input for field 'identity/password/user': None is not of type 'object'");
  const byName = str(u.name) ? store.users.get(str(u.name) ?? '') : [...store.users.values()].find((x) => x.id === u.id);
  if (str(u.name)) {
    const d = isObject(u.domain) ? u.domain : undefined;
    if (!d) throw new HttpError(401, UNAUTHORIZED);
    if (str(d.name) !== undefined && str(d.name) !== DOMAIN.name) throw new HttpError(401, UNAUTHORIZED);
    if (str(d.id) !== undefined && str(d.id) !== DOMAIN.id) throw new HttpError(401, UNAUTHORIZED);
  }
  if (!byName || byName.password !== u.password) throw new HttpError(401, UNAUTHORIZED);
  return byName;
}

/** Checks the requested project scope; returns whether the token is project-scoped. */
function checkScope(user: User, scope: unknown): boolean {
  if (scope === undefined || scope === null) return false; // unscoped: no catalog, as in Keystone
  if (!isObject(scope) || !isObject(scope.project)) throw new HttpError(401, UNAUTHORIZED);
  const p = scope.project;
  if (p.id !== undefined) {
    if (p.id !== user.projectId) throw new HttpError(401, UNAUTHORIZED);
    return true;
  }
  const d = isObject(p.domain) ? p.domain : {};
  const domainOk = d.name === DOMAIN.name || d.id === DOMAIN.id;
  if (p.name !== user.projectName || !domainOk) throw new HttpError(401, UNAUTHORIZED);
  return true;
}

async function issue(ctx: Ctx): Promise<void> {
  const store = ctx.store;
  const body = await readJson(ctx);
  // pkgcloud adds a stray auth.tenantName/tenantId next to identity and scope: ignored, as Keystone does.
  const auth = isObject(body) && isObject(body.auth) ? body.auth : undefined;
  const identity = auth && isObject(auth.identity) ? auth.identity : undefined;
  const methods = identity?.methods;
  if (!auth || !identity || !Array.isArray(methods) || methods.length === 0) {
    throw new HttpError(400, "Invalid input for field 'identity': 'methods' is a required property");
  }
  let user: User;
  let scoped: boolean;
  if (methods.includes('application_credential')) {
    const ac = isObject(identity.application_credential) ? identity.application_credential : {};
    const c = store.credentials;
    if (ac.id !== c.applicationCredentialId || ac.secret !== c.applicationCredentialSecret) throw new HttpError(401, UNAUTHORIZED);
    const found = store.users.get(c.username);
    if (!found) throw new HttpError(401, UNAUTHORIZED);
    user = found;
    scoped = true; // an application credential is always scoped to its project
  } else if (methods.includes('password')) {
    user = passwordUser(store, isObject(identity.password) ? identity.password : {});
    scoped = checkScope(user, auth.scope);
  } else if (methods.includes('token')) {
    const t = store.token(str(isObject(identity.token) ? identity.token.id : undefined));
    const found = t && store.users.get(t.username);
    if (!found) throw new HttpError(401, UNAUTHORIZED);
    user = found;
    scoped = checkScope(user, auth.scope);
  } else {
    throw new HttpError(401, UNAUTHORIZED);
  }
  const { id, record } = store.issueToken(user, methods as string[], scoped);
  sendJson(ctx, 201, tokenBody(store, record, !ctx.query.has('nocatalog')), { 'X-Subject-Token': id });
}

export const keystone: ServiceModule = {
  isPublic: (method, path) =>
    (method === 'GET' && ['', '/', '/v3', '/v3/'].includes(path)) || (method === 'POST' && path === '/v3/auth/tokens'),

  async handle(ctx) {
    const { method, path } = ctx;
    if (method === 'GET' && (path === '' || path === '/')) {
      return sendJson(ctx, 300, { versions: { values: [v3Version(ctx.base)] } });
    }
    if (method === 'GET' && (path === '/v3' || path === '/v3/')) return sendJson(ctx, 200, { version: v3Version(ctx.base) });
    if (path === '/v3/auth/tokens') {
      if (method === 'POST') return issue(ctx);
      const subject = ctx.req.headers['x-subject-token'];
      const t = ctx.store.token(typeof subject === 'string' ? subject : undefined);
      if (method === 'GET' || method === 'HEAD') {
        if (!t) throw new HttpError(404, `Could not find token: ${String(subject)}.`);
        return sendJson(ctx, 200, tokenBody(ctx.store, t, !ctx.query.has('nocatalog')), { 'X-Subject-Token': String(subject) });
      }
      if (method === 'DELETE') {
        if (!t) throw new HttpError(404, `Could not find token: ${String(subject)}.`);
        delete ctx.store.data.tokens[String(subject)];
        ctx.store.changed();
        return sendEmpty(ctx, 204);
      }
    }
    if (method === 'GET' && path === '/v3/auth/catalog') return sendJson(ctx, 200, { catalog: catalog(ctx.store), links: {} });
    if (method === 'GET' && (path === '/v3/auth/projects' || path === '/v3/projects')) {
      const t = ctx.token;
      return sendJson(ctx, 200, {
        projects: [{ id: t?.projectId, name: t?.projectName, domain_id: DOMAIN.id, enabled: true, is_domain: false, parent_id: DOMAIN.id, description: '' }],
        links: { self: `${ctx.base}${path}`, next: null, previous: null },
      });
    }
    throw new HttpError(404, 'The resource could not be found.');
  },
};

