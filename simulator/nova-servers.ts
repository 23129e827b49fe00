// Nova /servers: create (validation + quota), list with filters and marker pagination, show,
// async delete, metadata, and the os-getConsoleOutput / os-stop / os-start actions.
import { HttpError, envelope, isObject, parseLimit, readJson, sendEmpty, sendJson, type Ctx } from './http';
import { netmask } from './ipam';
import { atLeast, floatingIpsByPort, serverBrief, serverView, type Microversion } from './nova-views';
import { createServer, deleteServer, type NewServer } from './servers';
import { nowIso } from './state';
import { attachVolumes, planVolumes, volumeQuotaExceeded } from './volumes';
import type { SimServer } from './types';

/** Nova's `[api] max_limit` (osapi_max_limit): the largest page, and the page without `limit`. */
const MAX_LIMIT = 1000;

const lastSegment = (ref: unknown): string => String(ref).replace(/\/+$/, '').split('/').pop() ?? '';

export function findServer(ctx: Ctx, id: string): SimServer {
  const s = ctx.store.server(id);
  if (!s) throw new HttpError(404, `Instance ${id} could not be found.`);
  return s;
}

// --- list ----------------------------------------------------------------------------------

/** Nova's default order: created_at desc, then id desc. */
const newerFirst = (a: { created: string; id: string }, b: { created: string; id: string }): number =>
  a.created !== b.created ? (a.created < b.created ? 1 : -1) : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;

/** Nova matches `name` and `ip` as regular expressions (a search, not a full match). */
function searchPattern(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch {
    return new RegExp(source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')); // not a valid JS regex: match it literally
  }
}

function filterServers(ctx: Ctx): SimServer[] {
  const q = ctx.query;
  let list = [...ctx.store.data.servers];
  const name = q.get('name');
  if (name !== null) {
    const re = searchPattern(name);
    list = list.filter((s) => re.test(s.name));
  }
  const statuses = q.getAll('status').map((x) => x.toUpperCase());
  if (statuses.length) list = list.filter((s) => statuses.includes(s.status));
  const image = q.get('image');
  if (image !== null) list = list.filter((s) => s.imageId === lastSegment(image));
  const flavor = q.get('flavor');
  if (flavor !== null) list = list.filter((s) => s.flavorId === lastSegment(flavor));
  const since = q.get('changes-since');
  if (since !== null) {
    const t = Date.parse(since);
    if (Number.isNaN(t)) throw new HttpError(400, `Invalid input for query parameters changes-since. Value: ${since}.`);
    list = list.filter((s) => Date.parse(s.updated) >= t);
  }
  const ip = q.get('ip');
  if (ip !== null) {
    const re = searchPattern(ip);
    list = list.filter((s) => s.addresses.some((a) => re.test(a.ip)));
  }
  return list.sort(newerFirst);
}

export function listServers(ctx: Ctx, detail: boolean, v: Microversion): void {
  let list = filterServers(ctx);
  const marker = ctx.query.get('marker');
  if (marker !== null) {
    // A deleted server is still a valid marker (Nova looks markers up with read_deleted=yes).
    const m = ctx.store.server(marker) ?? (ctx.store.data.goneServers[marker] ? { id: marker, created: ctx.store.data.goneServers[marker] } : undefined);
    if (!m) throw new HttpError(400, `marker [${marker}] not found`);
    list = list.filter((s) => newerFirst(m, s) < 0);
  }
  const limit = parseLimit(ctx.query, MAX_LIMIT, MAX_LIMIT);
  const page = list.slice(0, limit);
  const fips = detail ? floatingIpsByPort(ctx.store) : new Map();
  const body: Record<string, unknown> = {
    servers: page.map((s) => (detail ? serverView(ctx.store, ctx.base, s, v, fips) : serverBrief(ctx.base, s))),
  };
  // Nova adds a next link whenever a page is full (with or without `limit`), even when nothing
  // follows; the link repeats the query with the marker set.
  const last = page[page.length - 1];
  if (last && page.length === limit) {
    const qs = new URLSearchParams(ctx.query);
    qs.set('marker', last.id);
    body.servers_links = [{ rel: 'next', href: `${ctx.base}/servers${detail ? '/detail' : ''}?${qs.toString()}` }];
  }
  sendJson(ctx, 200, body);
}

// --- create --------------------------------------------------------------------------------

function stringMap(v: unknown, field: string): Record<string, string> {
  if (v === undefined) return {};
  if (!isObject(v) || Object.entries(v).some(([k, x]) => typeof x !== 'string' || k.length === 0 || k.length > 255 || x.length > 255)) {
    throw new HttpError(400, `Invalid input for field/attribute ${field}. Value: ${JSON.stringify(v)}.`);
  }
  return v as Record<string, string>;
}

function resolveNetworks(ctx: Ctx, raw: unknown, v: Microversion): NewServer['networks'] {
  const store = ctx.store;
  const dflt = (): NewServer['networks'] => {
    // Nova picks the project's only tenant network; external networks are never auto-picked.
    const nets = store.data.networks.filter((n) => !n.external);
    if (nets.length > 1) throw new HttpError(409, 'Multiple possible networks found, use a Network ID to be more specific.');
    return nets.map((network) => ({ network }));
  };
  if (raw === undefined) {
    if (atLeast(v, 37)) throw new HttpError(400, "Invalid input for field/attribute server. Value: {...}. 'networks' is a required property");
    return dflt();
  }
  if (raw === 'auto') return dflt();
  if (raw === 'none') return [];
  if (!Array.isArray(raw)) throw new HttpError(400, `Invalid input for field/attribute networks. Value: ${JSON.stringify(raw)}.`);
  return raw.map((n: unknown) => {
    if (!isObject(n)) throw new HttpError(400, `Invalid input for field/attribute networks. Value: ${JSON.stringify(raw)}.`);
    if (typeof n.port === 'string') {
      const port = store.data.ports.find((p) => p.id === n.port);
      if (!port) throw new HttpError(400, `Port ${n.port} could not be found.`);
      if (port.device_id) throw new HttpError(409, `Port ${port.id} is still in use.`);
      return { port };
    }
    if (typeof n.uuid !== 'string') throw new HttpError(400, 'Bad networks format: network uuid is not in proper format (None)');
    const network = store.data.networks.find((x) => x.id === n.uuid);
    if (!network) throw new HttpError(400, `Network ${n.uuid} could not be found.`);
    if (network.external && !network.shared) {
      throw new HttpError(403, `It is not allowed to create an interface on external network ${network.id}`);
    }
    return { network };
  });
}

/** Nova's quota check and its exact message (Nodepool matches "quota exceeded"). */
function checkQuota(ctx: Ctx, cores: number, ram: number): void {
  const q = ctx.store.data.quotas;
  const used = ctx.store.usage();
  const want = { cores, instances: 1, ram };
  const overs = (['cores', 'instances', 'ram'] as const).filter((r) => q[r] !== -1 && used[r] + want[r] > q[r]);
  const first = overs[0];
  if (!first) return;
  const names = overs.join(', ');
  throw new HttpError(403, `Quota exceeded for ${names}: Requested ${want[first]}, but already used ${used[first]} of ${q[first]} ${names}`);
}

export async function createServerHandler(ctx: Ctx, v: Microversion): Promise<void> {
  const store = ctx.store;
  const body = await readJson(ctx);
  const s = envelope(body, 'server');
  if (typeof s.name !== 'string' || s.name.trim() === '' || s.name.length > 255) {
    throw new HttpError(400, `Invalid input for field/attribute name. Value: ${JSON.stringify(s.name ?? null)}.`);
  }
  if (s.flavorRef === undefined) throw new HttpError(400, "Invalid input for field/attribute server. 'flavorRef' is a required property");
  const flavor = store.flavor(lastSegment(s.flavorRef));
  if (!flavor) throw new HttpError(400, `Flavor ${lastSegment(s.flavorRef)} could not be found.`);
  const volumes = planVolumes(ctx, s.block_device_mapping_v2, flavor);
  const imageRef = s.imageRef ? lastSegment(s.imageRef) : volumes.imageId;
  if (!imageRef && volumes.attach.length === 0) {
    throw new HttpError(400, 'Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.');
  }
  if (imageRef) {
    const img = store.data.images.find((i) => i.id === imageRef);
    if (!img) throw new HttpError(400, `Image ${imageRef} could not be found.`);
    if (img.status !== 'active') throw new HttpError(400, `Image ${imageRef} is not active.`);
  }
  const az = s.availability_zone === undefined || s.availability_zone === null ? 'nova' : String(s.availability_zone);
  if (!store.availabilityZones().includes(az)) throw new HttpError(400, 'The requested availability zone is not available');
  const metadata = stringMap(s.metadata, 'metadata');
  if (Object.keys(metadata).length > 128) throw new HttpError(403, 'Maximum number of metadata items exceeds 128');
  let userData: string | null = null;
  if (s.user_data !== undefined && s.user_data !== null) {
    const ud = String(s.user_data);
    if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(ud) || ud.length > 65535) throw new HttpError(400, 'User data needs to be valid base 64.');
    userData = ud;
  }
  const groups = Array.isArray(s.security_groups) ? (s.security_groups as unknown[]).map((g) => String(isObject(g) ? g.name : g)) : ['default'];
  const unknownGroup = groups.find((g) => g !== 'default');
  if (unknownGroup) throw new HttpError(400, `Unable to find security_group with name or id '${unknownGroup}'`);
  const networks = resolveNetworks(ctx, s.networks, v);
  checkQuota(ctx, flavor.vcpus, flavor.ram);
  const cd = s.config_drive;
  const server = createServer(store, {
    name: s.name,
    flavorId: flavor.id,
    imageId: s.imageRef ? imageRef : '',
    networks,
    availabilityZone: az,
    metadata,
    keyName: typeof s.key_name === 'string' ? s.key_name : null,
    configDrive: cd === true || (typeof cd === 'string' && ['true', '1', 'yes'].includes(cd.toLowerCase())),
    userData,
    securityGroups: groups,
  });
  if (server.outcome === 'error') {
    // Already failing (no address left on a network): Nova never gets to the volumes.
  } else if (volumeQuotaExceeded(store, volumes)) {
    // Nova accepts the request; the build then fails when Cinder refuses the volume.
    server.outcome = 'error';
    server.fault = { code: 500, message: `Build of instance ${server.id} aborted: Volume resource quota exceeded`, created: server.created };
  } else {
    attachVolumes(store, server, volumes);
  }
  const adminPass = Math.random().toString(36).slice(2, 14);
  sendJson(
    ctx,
    202,
    {
      server: {
        id: server.id,
        links: serverBrief(ctx.base, server).links,
        adminPass,
        'OS-DCF:diskConfig': 'MANUAL',
        security_groups: groups.map((name) => ({ name })),
      },
    },
    { Location: `${ctx.base}/servers/${server.id}` },
  );
}

// --- one server ----------------------------------------------------------------------------

/** Nova's check_instance_state: metadata changes and actions need a settled, running-ish server. */
function requireSettled(s: SimServer, action: string): void {
  if (s.status === 'BUILD' || s.taskState === 'deleting') {
    const state = s.status === 'BUILD' ? 'vm_state building' : 'task_state deleting';
    throw new HttpError(409, `Cannot '${action}' instance ${s.id} while it is in ${state}`);
  }
}

function consoleOutput(ctx: Ctx, s: SimServer, length: unknown): string {
  const ip = s.addresses[0]?.ip ?? '';
  const net = s.addresses[0] && ctx.store.network(s.addresses[0].networkId);
  const lines = [
    '[    0.000000] Linux version 6.1.0-simulated (openstack-simulator)',
    `[    1.000000] cloud-init: hostname ${s.name}`,
    `ci-info: | eth0 | True | ${ip} | ${net ? netmask(net.cidr) : '255.255.255.0'} | global | ${s.addresses[0]?.mac ?? ''} |`,
    `Cloud-init finished at ${s.updated}`,
    `${s.name} login: `,
  ];
  if (length === undefined || length === null || Number(length) === -1) return lines.join('\n') + '\n';
  const n = Number(length);
  if (!Number.isInteger(n) || n < -1) throw new HttpError(400, `Invalid input for field/attribute length. Value: ${String(length)}.`);
  return lines.slice(Math.max(0, lines.length - n)).join('\n') + (n > 0 ? '\n' : '');
}

export async function serverAction(ctx: Ctx, s: SimServer): Promise<void> {
  const body = await readJson(ctx);
  if (!isObject(body) || Object.keys(body).length !== 1) throw new HttpError(400, 'Malformed request body');
  const [action = ''] = Object.keys(body);
  const arg = body[action];
  switch (action) {
    case 'os-getConsoleOutput': {
      if (s.status !== 'ACTIVE' && s.status !== 'SHUTOFF') throw new HttpError(409, `Instance ${s.id} is not ready`);
      return sendJson(ctx, 200, { output: consoleOutput(ctx, s, isObject(arg) ? arg.length : undefined) });
    }
    case 'os-stop':
    case 'os-start': {
      requireSettled(s, action === 'os-stop' ? 'stop' : 'start');
      const from = action === 'os-stop' ? 'ACTIVE' : 'SHUTOFF';
      if (s.status !== from) {
        throw new HttpError(409, `Cannot '${action === 'os-stop' ? 'stop' : 'start'}' instance ${s.id} while it is in vm_state ${s.status.toLowerCase()}`);
      }
      s.status = action === 'os-stop' ? 'SHUTOFF' : 'ACTIVE';
      s.updated = nowIso();
      // The VM's vif goes down with it, as Neutron reports for a stopped server.
      for (const p of ctx.store.serverPorts(s.id)) p.status = s.status === 'ACTIVE' ? 'ACTIVE' : 'DOWN';
      ctx.store.changed();
      return sendEmpty(ctx, 202);
    }
    default:
      throw new HttpError(400, `There is no such action: ${action}`);
  }
}

export async function serverMetadata(ctx: Ctx, s: SimServer, key: string | undefined): Promise<void> {
  const m = ctx.method;
  if (key === undefined) {
    if (m === 'GET') return sendJson(ctx, 200, { metadata: s.metadata });
    if (m !== 'PUT' && m !== 'POST') throw new HttpError(405, 'The method is not allowed for the requested URL.');
    const meta = stringMap(envelope(await readJson(ctx), 'metadata'), 'metadata');
    requireSettled(s, 'update_metadata');
    const next = m === 'PUT' ? { ...meta } : { ...s.metadata, ...meta };
    if (Object.keys(next).length > 128) throw new HttpError(403, 'Maximum number of metadata items exceeds 128');
    s.metadata = next;
  } else {
    if (m === 'GET') {
      if (!(key in s.metadata)) throw new HttpError(404, 'Metadata item was not found');
      return sendJson(ctx, 200, { meta: { [key]: s.metadata[key] } });
    }
    if (m === 'DELETE') {
      if (!(key in s.metadata)) throw new HttpError(404, 'Metadata item was not found');
      requireSettled(s, 'delete_metadata');
      delete s.metadata[key];
      s.updated = nowIso();
      ctx.store.changed();
      return sendEmpty(ctx, 204);
    }
    if (m !== 'PUT') throw new HttpError(405, 'The method is not allowed for the requested URL.');
    const meta = stringMap(envelope(await readJson(ctx), 'meta'), 'meta');
    if (Object.keys(meta).length !== 1 || !(key in meta)) throw new HttpError(400, 'Request body and URI mismatch');
    requireSettled(s, 'update_metadata');
    s.metadata[key] = meta[key] ?? '';
    s.updated = nowIso();
    ctx.store.changed();
    return sendJson(ctx, 200, { meta });
  }
  s.updated = nowIso();
  ctx.store.changed();
  sendJson(ctx, 200, { metadata: s.metadata });
}

export function deleteServerHandler(ctx: Ctx, s: SimServer): void {
  deleteServer(ctx.store, s);
  sendEmpty(ctx, 204);
}
