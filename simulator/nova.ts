// Nova (compute v2.1): version documents, microversion negotiation, flavors, limits,
// availability zones; /servers is in nova-servers.ts.
import { NOVA_MAX_VERSION, NOVA_MIN_VERSION } from './defaults';
import { HttpError, parseLimit, sendJson, type Ctx } from './http';
import {
  createServerHandler,
  deleteServerHandler,
  findServer,
  listServers,
  serverAction,
  serverMetadata,
} from './nova-servers';
import { flavorView, serverView, type Microversion } from './nova-views';
import { novaQuotaSet } from './quotas';
import type { ServiceModule } from './router';
import { PROJECT_ID } from './defaults';

const parseVersion = (s: string): Microversion => s.split('.').map(Number) as Microversion;
const MIN = parseVersion(NOVA_MIN_VERSION);
const MAX = parseVersion(NOVA_MAX_VERSION);
const cmp = (a: Microversion, b: Microversion): number => a[0] - b[0] || a[1] - b[1];

function versionDoc(base: string): Record<string, unknown> {
  return {
    id: 'v2.1',
    status: 'CURRENT',
    version: NOVA_MAX_VERSION,
    min_version: NOVA_MIN_VERSION,
    updated: '2013-07-23T11:33:21Z',
    links: [{ rel: 'self', href: `${base}/v2.1/` }],
  };
}

/** Reads the requested microversion (new or legacy header), answers 406 beyond the maximum. */
function negotiate(ctx: Ctx): Microversion {
  const h = ctx.req.headers;
  const modern = typeof h['openstack-api-version'] === 'string' ? h['openstack-api-version'] : undefined;
  const m = modern ? /(?:^|,)\s*compute\s+(\S+)/i.exec(modern)?.[1] : undefined;
  const legacy = h['x-openstack-nova-api-version'];
  const raw = m ?? (typeof legacy === 'string' ? legacy.trim() : undefined);
  let v: Microversion = MIN;
  if (raw) {
    if (raw === 'latest') v = MAX;
    else if (/^\d+\.\d+$/.test(raw)) v = parseVersion(raw);
    else throw new HttpError(400, `API Version String ${raw} is of invalid format. Must be of format MajorNum.MinorNum.`);
    if (cmp(v, MIN) < 0 || cmp(v, MAX) > 0) {
      throw new HttpError(406, `Version ${raw} is not supported by the API. Minimum is ${NOVA_MIN_VERSION} and maximum is ${NOVA_MAX_VERSION}.`);
    }
  }
  const vs = `${v[0]}.${v[1]}`;
  Object.assign(ctx.headers, {
    'OpenStack-API-Version': `compute ${vs}`,
    'X-OpenStack-Nova-API-Version': vs,
    Vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version',
  });
  return v;
}

function flavors(ctx: Ctx, rest: string[], v: Microversion): void {
  const [id, sub] = rest;
  const all = [...ctx.store.data.flavors].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (id === undefined || id === 'detail') {
    let list = all;
    const minRam = ctx.query.get('minRam');
    if (minRam !== null) list = list.filter((f) => f.ram >= Number(minRam));
    const minDisk = ctx.query.get('minDisk');
    if (minDisk !== null) list = list.filter((f) => f.disk >= Number(minDisk));
    const marker = ctx.query.get('marker');
    if (marker !== null) {
      const i = list.findIndex((f) => f.id === marker);
      if (i < 0) throw new HttpError(400, `marker [${marker}] not found`);
      list = list.slice(i + 1);
    }
    const limit = parseLimit(ctx.query, 1000, 1000);
    const page = list.slice(0, limit);
    const body: Record<string, unknown> = {
      flavors: page.map((f) => {
        const full = flavorView(ctx.base, f, v);
        return id === 'detail' ? full : { id: f.id, name: f.name, links: full.links };
      }),
    };
    const last = page[page.length - 1];
    if (ctx.query.has('limit') && last && page.length === limit) {
      body.flavors_links = [{ rel: 'next', href: `${ctx.base}/flavors${id ? '/detail' : ''}?limit=${limit}&marker=${last.id}` }];
    }
    return sendJson(ctx, 200, body);
  }
  const f = ctx.store.flavor(id);
  if (!f) throw new HttpError(404, `Flavor ${id} could not be found.`);
  if (sub === undefined) return sendJson(ctx, 200, { flavor: flavorView(ctx.base, f, v) });
  if (sub === 'os-extra_specs') return sendJson(ctx, 200, { extra_specs: {} });
  throw new HttpError(404, 'The resource could not be found.');
}

function limits(ctx: Ctx): void {
  const q = ctx.store.data.quotas;
  const u = ctx.store.usage();
  sendJson(ctx, 200, {
    limits: {
      rate: [],
      absolute: {
        maxServerMeta: 128,
        maxPersonality: 5,
        maxPersonalitySize: 10240,
        maxImageMeta: 128,
        maxTotalKeypairs: 100,
        maxSecurityGroups: 10,
        maxSecurityGroupRules: 20,
        maxServerGroups: 10,
        maxServerGroupMembers: 10,
        maxTotalInstances: q.instances,
        maxTotalCores: q.cores,
        maxTotalRAMSize: q.ram,
        maxTotalFloatingIps: q.floatingIps,
        totalInstancesUsed: u.instances,
        totalCoresUsed: u.cores,
        totalRAMUsed: u.ram,
        totalFloatingIpsUsed: u.floatingIps,
        totalSecurityGroupsUsed: 1,
        totalServerGroupsUsed: 0,
      },
    },
  });
}

function availabilityZones(ctx: Ctx): void {
  sendJson(ctx, 200, {
    availabilityZoneInfo: ctx.store.availabilityZones().map((zoneName) => ({ zoneName, zoneState: { available: true }, hosts: null })),
  });
}

async function servers(ctx: Ctx, rest: string[], v: Microversion): Promise<void> {
  const [id, sub, key, ...more] = rest;
  const m = ctx.method;
  if (id === undefined) {
    if (m === 'GET') return listServers(ctx, false, v);
    if (m === 'POST') return createServerHandler(ctx, v);
  } else if (id === 'detail' && sub === undefined && m === 'GET') {
    return listServers(ctx, true, v);
  } else {
    const s = findServer(ctx, id);
    if (sub === undefined) {
      if (m === 'GET') return sendJson(ctx, 200, { server: serverView(ctx.store, ctx.base, s, v) });
      if (m === 'DELETE') return deleteServerHandler(ctx, s);
    } else if (sub === 'metadata' && more.length === 0) {
      return serverMetadata(ctx, s, key);
    } else if (sub === 'action' && key === undefined && m === 'POST') {
      return serverAction(ctx, s);
    } else if (sub === 'ips' && m === 'GET') {
      const view = serverView(ctx.store, ctx.base, s, v).addresses as Record<string, unknown>;
      return sendJson(ctx, 200, key ? { [key]: view[key] ?? [] } : { addresses: view });
    }
  }
  throw new HttpError(404, 'The resource could not be found.');
}

export const nova: ServiceModule = {
  isPublic: (method, path) => method === 'GET' && ['', '/', '/v2.1', '/v2.1/'].includes(path),

  async handle(ctx) {
    const path = ctx.path;
    if (path === '' || path === '/') {
      // Nova answers version discovery on the root with 200 and every API version.
      return sendJson(ctx, 200, {
        versions: [
          { id: 'v2.0', status: 'SUPPORTED', version: '', min_version: '', updated: '2011-01-21T11:33:21Z', links: [{ rel: 'self', href: `${ctx.base}/v2/` }] },
          versionDoc(ctx.base),
        ],
      });
    }
    const m = /^\/v2\.1(?:\/(.*))?$/.exec(path);
    if (!m) throw new HttpError(404, 'The resource could not be found.');
    ctx.base = `${ctx.base}/v2.1`;
    const segs = (m[1] ?? '').split('/').filter(Boolean);
    // The catalog has no project id in the URL, but clients configured with one still work.
    if (segs[0] === PROJECT_ID) segs.shift();
    const v = negotiate(ctx);
    const [head, ...rest] = segs;
    if (head === undefined) {
      const doc = versionDoc(ctx.base.replace(/\/v2\.1$/, ''));
      return sendJson(ctx, 200, { version: { ...doc, 'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }] } });
    }
    if (ctx.method === 'GET' && head === 'flavors') return flavors(ctx, rest, v);
    if (ctx.method === 'GET' && head === 'limits' && rest.length === 0) return limits(ctx);
    if (ctx.method === 'GET' && head === 'os-availability-zone') return availabilityZones(ctx);
    if (ctx.method === 'GET' && head === 'extensions') return sendJson(ctx, 200, { extensions: [] });
    if (ctx.method === 'GET' && head === 'os-keypairs') return sendJson(ctx, 200, { keypairs: [] });
    if (head === 'os-quota-sets' && rest.length <= 2) return novaQuotaSet(ctx, rest[0], rest[1]);
    if (head === 'servers') return servers(ctx, rest, v);
    throw new HttpError(404, 'The resource could not be found.');
  },
};
