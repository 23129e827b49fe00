// The unauthenticated /_admin/ API behind AdminClient: state, reset, faults, server rules,
// delays, quotas, forced server status, leak injection, token revocation.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ID } from './defaults';
import { addFault, checkTimes } from './faults';
import { HttpError, compileRegex, isObject, readBody, sendEmpty, sendJson, type Ctx } from './http';
import { attach, leakPort, newFloatingIp } from './neutron';
import { createServer } from './servers';
import { nowIso, uuid, type Store } from './state';
import type {
  FaultSpec,
  LeakFloatingIpSpec,
  LeakImageSpec,
  LeakPortSpec,
  LeakServerSpec,
  Quotas,
  ServerRule,
  ServerRuleSpec,
  SimFloatingIp,
  SimImage,
  SimServer,
} from './types';

async function body(ctx: Ctx): Promise<Record<string, unknown>> {
  const buf = await readBody(ctx.req);
  if (buf.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
  if (!isObject(parsed)) throw new HttpError(400, 'body must be a JSON object');
  return parsed;
}

const nonNegative = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new HttpError(400, `${what} must be a number >= 0`);
  return v;
};

function addRule(store: Store, spec: ServerRuleSpec): ServerRule {
  if (!['error', 'stuck-build', 'active'].includes(spec.outcome)) throw new HttpError(400, 'outcome must be error, stuck-build or active');
  if (spec.nameRegex !== undefined) compileRegex(spec.nameRegex, 'nameRegex');
  checkTimes(spec.times);
  const rule: ServerRule = { ...spec, times: spec.times ?? 1, id: store.newAdminId('rule'), hits: 0 };
  store.serverRules.push(rule);
  return rule;
}

function setQuotas(store: Store, q: Partial<Quotas>): Quotas {
  for (const [k, v] of Object.entries(q)) {
    if (!(k in store.data.quotas)) throw new HttpError(400, `unknown quota ${k}`);
    if (!Number.isInteger(v) || (v as number) < -1) throw new HttpError(400, `quota ${k} must be an integer >= -1`);
  }
  store.data.quotas = { ...store.data.quotas, ...q };
  store.changed();
  return store.data.quotas;
}

function setServerStatus(store: Store, id: string, b: Record<string, unknown>): SimServer {
  const s = store.server(id);
  if (!s) throw new HttpError(404, `no server ${id}`);
  const status = b.status as SimServer['status'];
  if (!['BUILD', 'ACTIVE', 'ERROR', 'SHUTOFF', 'DELETED'].includes(status)) throw new HttpError(400, 'bad status');
  s.status = status;
  s.readyAt = status === 'BUILD' ? null : s.readyAt;
  s.taskState = status === 'BUILD' ? 'spawning' : s.goneAt === null ? null : 'deleting';
  s.updated = nowIso();
  if (status === 'ACTIVE' || status === 'SHUTOFF') for (const p of store.serverPorts(s.id)) p.status = status === 'ACTIVE' ? 'ACTIVE' : 'DOWN';
  s.fault = status === 'ERROR' ? { code: 500, message: typeof b.faultMessage === 'string' ? b.faultMessage : 'Injected ERROR', created: s.updated } : null;
  store.changed();
  return s;
}

function leakServer(store: Store, spec: LeakServerSpec): SimServer {
  if (typeof spec.name !== 'string') throw new HttpError(400, 'name is required');
  const flavorId = spec.flavorId ?? store.data.flavors[0]?.id ?? '1';
  if (!store.flavor(flavorId)) throw new HttpError(400, `no flavor ${flavorId}`);
  const net = store.network('private');
  return createServer(store, {
    name: spec.name,
    flavorId,
    imageId: spec.imageId ?? store.data.images.find((i) => i.status === 'active')?.id ?? '',
    networks: net ? [{ network: net }] : [],
    availabilityZone: 'nova',
    metadata: spec.metadata ?? {},
    status: spec.status ?? 'ACTIVE',
  });
}

function leakFloatingIp(store: Store, spec: LeakFloatingIpSpec): SimFloatingIp {
  const net = spec.floating_network_id ? store.network(spec.floating_network_id) : store.data.networks.find((n) => n.external);
  if (!net) throw new HttpError(400, 'no external network');
  const f = newFloatingIp(store, net);
  if (spec.port_id) attach(store, f, spec.port_id);
  store.changed();
  return f;
}

function leakImage(store: Store, spec: LeakImageSpec): SimImage {
  if (typeof spec.name !== 'string') throw new HttpError(400, 'name is required');
  const props = spec.properties ?? {};
  if (Object.values(props).some((v) => typeof v !== 'string')) throw new HttpError(400, 'properties must be strings');
  const id = uuid();
  const data = Buffer.from(`leaked image ${spec.name}\n`);
  const file = path.join(store.imageDir, id);
  fs.writeFileSync(file, data);
  const now = nowIso();
  const img: SimImage = {
    id,
    name: spec.name,
    status: spec.status ?? 'active',
    visibility: 'private',
    protected: false,
    disk_format: spec.disk_format ?? 'qcow2',
    container_format: 'bare',
    min_disk: 0,
    min_ram: 0,
    size: data.length,
    checksum: crypto.createHash('md5').update(data).digest('hex'),
    os_hash_algo: 'sha512',
    os_hash_value: crypto.createHash('sha512').update(data).digest('hex'),
    owner: PROJECT_ID,
    tags: [],
    created_at: now,
    updated_at: now,
    properties: { ...props },
    file,
  };
  store.data.images.push(img);
  store.changed();
  return img;
}

export async function handleAdmin(ctx: Ctx): Promise<void> {
  const store = ctx.store;
  const { method } = ctx;
  const [what = '', id, sub] = ctx.path.split('/').filter(Boolean);
  store.tick();
  const ok = (v: unknown, status = 200): void => sendJson(ctx, status, v);
  switch (`${method} ${what}${id !== undefined ? '/:id' : ''}${sub ? `/${sub}` : ''}`) {
    case 'GET state':
      return ok(store.snapshot());
    case 'POST reset':
      store.reset();
      return sendEmpty(ctx, 204);
    case 'GET faults':
      return ok(store.faults);
    case 'POST faults':
      return ok({ id: addFault(store, (await body(ctx)) as unknown as FaultSpec).id }, 201);
    case 'DELETE faults':
      store.faults = [];
      return sendEmpty(ctx, 204);
    case 'DELETE faults/:id':
      store.faults = store.faults.filter((f) => f.id !== id);
      return sendEmpty(ctx, 204);
    case 'GET server-rules':
      return ok(store.serverRules);
    case 'POST server-rules':
      return ok({ id: addRule(store, (await body(ctx)) as unknown as ServerRuleSpec).id }, 201);
    case 'DELETE server-rules':
      store.serverRules = [];
      return sendEmpty(ctx, 204);
    case 'DELETE server-rules/:id':
      store.serverRules = store.serverRules.filter((r) => r.id !== id);
      return sendEmpty(ctx, 204);
    case 'PUT boot-delay':
      store.data.bootDelayMs = nonNegative((await body(ctx)).ms, 'ms');
      store.changed();
      return sendEmpty(ctx, 204);
    case 'PUT delete-delay':
      store.data.deleteDelayMs = nonNegative((await body(ctx)).ms, 'ms');
      store.changed();
      return sendEmpty(ctx, 204);
    case 'PUT floating-ip-delay':
      store.data.floatingIpDelayMs = nonNegative((await body(ctx)).ms, 'ms');
      store.changed();
      return sendEmpty(ctx, 204);
    case 'PUT quotas':
      return ok(setQuotas(store, (await body(ctx)) as Partial<Quotas>));
    case 'PUT servers/:id/status':
      return ok(setServerStatus(store, id ?? '', await body(ctx)));
    case 'POST leak/:id':
      switch (id) {
        case 'server':
          return ok(leakServer(store, (await body(ctx)) as unknown as LeakServerSpec), 201);
        case 'port':
          return ok(leakPort(store, (await body(ctx)) as LeakPortSpec), 201);
        case 'floating-ip':
          return ok(leakFloatingIp(store, (await body(ctx)) as LeakFloatingIpSpec), 201);
        case 'image':
          return ok(leakImage(store, (await body(ctx)) as unknown as LeakImageSpec), 201);
      }
      break;
    case 'POST revoke-tokens':
      store.revokeTokens();
      return sendEmpty(ctx, 204);
  }
  throw new HttpError(404, `no admin route ${method} /_admin${ctx.path}`);
}
