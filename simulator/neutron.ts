// Neutron v2.0: networks, subnets, ports (filters, pagination, delete), floating IPs, security
// groups and the extension list. Errors are `{"NeutronError": {type, message, detail}}`.
import { PROJECT_ID, ROUTER_ID } from './defaults';
import { HttpError, envelope, readJson, sendEmpty, sendJson, type Ctx } from './http';
import { neutronQuota } from './quotas';
import type { ServiceModule } from './router';
import { newPort } from './servers';
import { nowIso, uuid, type Store } from './state';
import type { SimFloatingIp, SimNetwork, SimPort } from './types';

const SECURITY_GROUP_ID = '9c8b7a6d-5e4f-4321-8765-43210fedcba9';
const EXTENSIONS = ['external-net', 'router', 'standard-attr-timestamp', 'security-group', 'quotas', 'port-security', 'binding'];

function networkView(n: SimNetwork): Record<string, unknown> {
  return {
    id: n.id,
    name: n.name,
    status: 'ACTIVE',
    subnets: [n.subnetId],
    admin_state_up: true,
    shared: n.shared,
    'router:external': n.external,
    tenant_id: n.project_id,
    project_id: n.project_id,
    mtu: 1450,
    port_security_enabled: true,
    availability_zone_hints: [],
    availability_zones: ['nova'],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    description: '',
    tags: [],
    created_at: n.created_at,
    updated_at: n.created_at,
    revision_number: 1,
  };
}

function subnetView(n: SimNetwork): Record<string, unknown> {
  return {
    id: n.subnetId,
    name: `${n.name}-subnet`,
    network_id: n.id,
    tenant_id: n.project_id,
    project_id: n.project_id,
    ip_version: 4,
    cidr: n.cidr,
    gateway_ip: n.gatewayIp,
    enable_dhcp: !n.external,
    allocation_pools: [{ ...n.allocationPool }],
    dns_nameservers: [],
    host_routes: [],
    ipv6_ra_mode: null,
    ipv6_address_mode: null,
    subnetpool_id: null,
    description: '',
    tags: [],
    created_at: n.created_at,
    updated_at: n.created_at,
    revision_number: 0,
  };
}

// Fields listed one by one (a spread of thousands of records was most of a listing page's time);
// `satisfies` keeps the lists complete when a record gains a field.
function portView(p: SimPort): Record<string, unknown> {
  const view = {
    id: p.id,
    name: p.name,
    network_id: p.network_id,
    project_id: p.project_id,
    mac_address: p.mac_address,
    admin_state_up: p.admin_state_up,
    status: p.status,
    device_id: p.device_id,
    device_owner: p.device_owner,
    fixed_ips: p.fixed_ips,
    created_at: p.created_at,
    updated_at: p.updated_at,
    tenant_id: p.project_id,
    security_groups: p.device_owner.startsWith('compute:') ? [SECURITY_GROUP_ID] : [],
    allowed_address_pairs: [],
    extra_dhcp_opts: [],
    port_security_enabled: true,
    description: '',
    tags: [],
    revision_number: 1,
  };
  return view satisfies Record<keyof SimPort, unknown>;
}

/** An attached floating IP is DOWN until Neutron has wired it (the simulator's floating-IP delay). */
export function fipStatus(f: SimFloatingIp): SimFloatingIp['status'] {
  return f.port_id && f.status === 'ACTIVE' && Date.now() < (f.activeAt ?? 0) ? 'DOWN' : f.status;
}

function fipView(f: SimFloatingIp): Record<string, unknown> {
  const view = {
    id: f.id,
    floating_ip_address: f.floating_ip_address,
    floating_network_id: f.floating_network_id,
    router_id: f.router_id,
    port_id: f.port_id,
    fixed_ip_address: f.fixed_ip_address,
    status: fipStatus(f),
    project_id: f.project_id,
    description: f.description,
    created_at: f.created_at,
    updated_at: f.updated_at,
    tenant_id: f.project_id,
    port_details: null,
    tags: [],
    revision_number: 1,
    dns_domain: '',
    dns_name: '',
  };
  return view satisfies Record<Exclude<keyof SimFloatingIp, 'activeAt'>, unknown>;
}

/** Neutron filters: every query key that is a field of the resource is an equality filter (repeatable). */
function applyFilters(ctx: Ctx, items: Record<string, unknown>[]): Record<string, unknown>[] {
  const keys = [...new Set(ctx.query.keys())].filter((k) => !['limit', 'marker', 'page_reverse', 'fields', 'sort_key', 'sort_dir'].includes(k));
  return items.filter((it) =>
    keys.every((k) => {
      if (!(k in it)) return true; // Neutron ignores unknown filters
      const wanted = ctx.query.getAll(k);
      const v = it[k];
      return wanted.some((w) => (v === null ? w === '' || w === 'None' : typeof v === 'boolean' ? String(v) === w.toLowerCase() : String(v) === w));
    }),
  );
}

/** `limit`/`marker` pagination with `<collection>_links` (Neutron sorts by id when paginating). */
function paginate(ctx: Ctx, collection: string, items: Record<string, unknown>[], notFoundType: string): Record<string, unknown> {
  const limitRaw = ctx.query.get('limit');
  const marker = ctx.query.get('marker');
  if (limitRaw === null && marker === null) return { [collection]: items };
  const sorted = [...items].sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1));
  let rest = sorted;
  if (marker !== null) {
    const all = new Set(items.map((i) => String(i.id)));
    if (!all.has(marker)) throw new HttpError(404, `${notFoundType.replace('NotFound', '')} ${marker} could not be found.`, notFoundType);
    rest = sorted.filter((i) => String(i.id) > marker);
  }
  const limit = limitRaw === null ? rest.length : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 0) throw new HttpError(400, `Bad limit request: Limit must be an integer 0 or greater and not '${limitRaw}'.`, 'BadRequest');
  const page = limit === 0 ? rest : rest.slice(0, limit);
  const out: Record<string, unknown> = { [collection]: page };
  const last = page[page.length - 1];
  if (limit > 0 && last && page.length === limit) {
    const qs = new URLSearchParams(ctx.query);
    qs.set('marker', String(last.id));
    out[`${collection}_links`] = [{ rel: 'next', href: `${ctx.base}/v2.0/${collection}?${qs.toString()}` }];
  }
  return out;
}

function list(ctx: Ctx, collection: string, items: Record<string, unknown>[], notFoundType: string): void {
  sendJson(ctx, 200, paginate(ctx, collection, applyFilters(ctx, items), notFoundType));
}

function findFip(store: Store, id: string): SimFloatingIp {
  const f = store.data.floatingIps.find((x) => x.id === id);
  if (!f) throw new HttpError(404, `Floating IP ${id} could not be found`, 'FloatingIPNotFound');
  return f;
}

/** Attaches (or with null detaches) a floating IP, as PUT /floatingips does. */
export function attach(store: Store, f: SimFloatingIp, portId: unknown): void {
  if (portId === null || portId === undefined) return store.detachFloatingIp(f);
  const port = store.data.ports.find((p) => p.id === portId);
  if (!port) throw new HttpError(404, `Port ${String(portId)} could not be found.`, 'PortNotFound');
  const ip = port.fixed_ips[0]?.ip_address;
  if (!ip) throw new HttpError(400, `Bad floatingip request: Port ${port.id} does not have fixed ip.`, 'BadRequest');
  const other = store.data.floatingIps.find((x) => x !== f && x.port_id === port.id);
  if (other) {
    throw new HttpError(409, `Cannot associate floating IP ${f.floating_ip_address} (${f.id}) with port ${port.id} using fixed IP ${ip}, as that fixed IP already has a floating IP on external network ${f.floating_network_id}.`, 'FloatingIPPortAlreadyAssociated');
  }
  Object.assign(f, { port_id: port.id, fixed_ip_address: ip, router_id: ROUTER_ID, status: 'ACTIVE', activeAt: Date.now() + (store.data.floatingIpDelayMs ?? 0), updated_at: nowIso() });
}

/** A new, unattached floating IP on an external network (409 when the network is full). */
export function newFloatingIp(store: Store, net: SimNetwork, description = ''): SimFloatingIp {
  const addr = store.allocateIp(net);
  if (!addr) throw new HttpError(409, `No more IP addresses available on network ${net.id}.`, 'IpAddressGenerationFailure');
  const now = nowIso();
  const f: SimFloatingIp = {
    id: uuid(),
    floating_ip_address: addr,
    floating_network_id: net.id,
    router_id: null,
    port_id: null,
    fixed_ip_address: null,
    status: 'DOWN',
    project_id: PROJECT_ID,
    description,
    created_at: now,
    updated_at: now,
  };
  store.data.floatingIps.push(f);
  return f;
}

async function floatingIps(ctx: Ctx, id: string | undefined): Promise<void> {
  const store = ctx.store;
  const m = ctx.method;
  if (id === undefined && m === 'GET') return list(ctx, 'floatingips', store.data.floatingIps.map(fipView), 'FloatingIPNotFound');
  if (id === undefined && m === 'POST') {
    const b = envelope(await readJson(ctx), 'floatingip');
    const net = store.data.networks.find((n) => n.id === b.floating_network_id);
    if (!net) throw new HttpError(404, `Network ${String(b.floating_network_id)} could not be found.`, 'NetworkNotFound');
    if (!net.external) throw new HttpError(400, `Bad floatingip request: Network ${net.id} is not a valid external network.`, 'BadRequest');
    const q = store.data.quotas.floatingIps;
    if (q !== -1 && store.data.floatingIps.length >= q) throw new HttpError(409, "Quota exceeded for resources: ['floatingip'].", 'OverQuota');
    const f = newFloatingIp(store, net, typeof b.description === 'string' ? b.description : '');
    try {
      attach(store, f, b.port_id);
    } catch (e) {
      store.removeFloatingIp(f); // all or nothing
      throw e;
    }
    store.changed();
    return sendJson(ctx, 201, { floatingip: fipView(f) });
  }
  if (id === undefined) throw new HttpError(405, 'Method not allowed', 'HTTPMethodNotAllowed');
  const f = findFip(store, id);
  if (m === 'GET') return sendJson(ctx, 200, { floatingip: fipView(f) });
  if (m === 'PUT') {
    const b = envelope(await readJson(ctx), 'floatingip');
    if ('port_id' in b) attach(store, f, b.port_id);
    if (typeof b.description === 'string') f.description = b.description;
    f.updated_at = nowIso();
    store.changed();
    return sendJson(ctx, 200, { floatingip: fipView(f) });
  }
  if (m === 'DELETE') {
    store.removeFloatingIp(f);
    store.changed();
    return sendEmpty(ctx, 204);
  }
  throw new HttpError(405, 'Method not allowed', 'HTTPMethodNotAllowed');
}

function ports(ctx: Ctx, id: string | undefined): void {
  const store = ctx.store;
  if (id === undefined && ctx.method === 'GET') return list(ctx, 'ports', store.data.ports.map(portView), 'PortNotFound');
  if (id === undefined) throw new HttpError(405, 'Method not allowed', 'HTTPMethodNotAllowed');
  const p = store.data.ports.find((x) => x.id === id);
  if (!p) throw new HttpError(404, `Port ${id} could not be found.`, 'PortNotFound');
  if (ctx.method === 'GET') return sendJson(ctx, 200, { port: portView(p) });
  if (ctx.method !== 'DELETE') throw new HttpError(405, 'Method not allowed', 'HTTPMethodNotAllowed');
  if (p.device_owner === 'network:router_interface' || p.device_owner === 'network:router_gateway') {
    throw new HttpError(409, `Port ${p.id} cannot be deleted directly via the port API: has device owner ${p.device_owner}.`, 'ServicePortInUse');
  }
  store.removePorts(new Set([p.id]));
  // Nova notices the vif going away and drops the address from the server.
  const server = store.server(p.device_id);
  if (server) server.addresses = server.addresses.filter((a) => a.portId !== p.id);
  for (const f of store.data.floatingIps) if (f.port_id === p.id) store.detachFloatingIp(f);
  store.changed();
  sendEmpty(ctx, 204);
}

function byId<T extends { id: string }>(items: T[], id: string, type: string, what: string): T {
  const it = items.find((x) => x.id === id);
  if (!it) throw new HttpError(404, `${what} ${id} could not be found.`, type);
  return it;
}

const securityGroup = (): Record<string, unknown> => ({
  id: SECURITY_GROUP_ID,
  name: 'default',
  description: 'Default security group',
  tenant_id: PROJECT_ID,
  project_id: PROJECT_ID,
  security_group_rules: [],
  stateful: true,
  tags: [],
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  revision_number: 1,
});

export const neutron: ServiceModule = {
  isPublic: (method, path) => method === 'GET' && (path === '' || path === '/'),

  async handle(ctx) {
    const store = ctx.store;
    if (ctx.path === '' || ctx.path === '/') {
      return sendJson(ctx, 200, { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${ctx.base}/v2.0/` }] }] });
    }
    const m = /^\/v2\.0(?:\/(.*))?$/.exec(ctx.path);
    if (!m) throw new HttpError(404, 'The resource could not be found.', 'HTTPNotFound');
    const [resource = '', id, ...more] = (m[1] ?? '').replace(/\.json$/, '').split('/').filter(Boolean);
    if (resource === 'quotas' && more.length <= 1) return neutronQuota(ctx, id, more[0]);
    if (more.length) throw new HttpError(404, 'The resource could not be found.', 'HTTPNotFound');
    const get = ctx.method === 'GET';
    switch (resource) {
      case '':
        if (get) return sendJson(ctx, 200, { resources: ['networks', 'subnets', 'ports', 'floatingips', 'security-groups'].map((r) => ({ name: r.replace(/s$/, ''), collection: r, links: [{ rel: 'self', href: `${ctx.base}/v2.0/${r}` }] })) });
        break;
      case 'extensions':
        if (get && id === undefined) return sendJson(ctx, 200, { extensions: EXTENSIONS.map((alias) => ({ alias, name: alias, description: alias, links: [], updated: '2013-01-01T00:00:00-00:00' })) });
        if (get && id && EXTENSIONS.includes(id)) return sendJson(ctx, 200, { extension: { alias: id, name: id, description: id, links: [], updated: '2013-01-01T00:00:00-00:00' } });
        throw new HttpError(404, `Extension with alias ${String(id)} does not exist`, 'HTTPNotFound');
      case 'networks':
        if (get && id === undefined) return list(ctx, 'networks', store.data.networks.map(networkView), 'NetworkNotFound');
        if (get && id) return sendJson(ctx, 200, { network: networkView(byId(store.data.networks, id, 'NetworkNotFound', 'Network')) });
        break;
      case 'subnets': {
        const subnets = store.data.networks.map(subnetView);
        if (get && id === undefined) return list(ctx, 'subnets', subnets, 'SubnetNotFound');
        if (get && id) return sendJson(ctx, 200, { subnet: byId(subnets as { id: string }[], id, 'SubnetNotFound', 'Subnet') });
        break;
      }
      case 'ports':
        return ports(ctx, id);
      case 'floatingips':
        return floatingIps(ctx, id);
      case 'security-groups':
        if (get && id === undefined) return list(ctx, 'security_groups', [securityGroup()], 'SecurityGroupNotFound');
        if (get && id === SECURITY_GROUP_ID) return sendJson(ctx, 200, { security_group: securityGroup() });
        if (get) throw new HttpError(404, `Security group ${String(id)} does not exist`, 'SecurityGroupNotFound');
        break;
      default:
        throw new HttpError(404, 'The resource could not be found.', 'HTTPNotFound');
    }
    throw new HttpError(405, 'The method is not allowed for the requested URL.', 'HTTPMethodNotAllowed');
  },
};

/** A DOWN port with no server, as a crashed launch or a leaked cleanup leaves behind. */
export function leakPort(store: Store, spec: { status?: SimPort['status']; device_owner?: string; device_id?: string; network_id?: string; name?: string }): SimPort {
  const net = (spec.network_id && store.data.networks.find((n) => n.id === spec.network_id)) || store.network('private');
  if (!net) throw new HttpError(400, 'no such network');
  const p = newPort(store, net, {
    status: spec.status ?? 'DOWN',
    device_owner: spec.device_owner ?? '',
    device_id: spec.device_id ?? '',
    name: spec.name ?? '',
  });
  store.data.ports.push(p);
  store.changed();
  return p;
}

