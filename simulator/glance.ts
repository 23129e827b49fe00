// Glance v2: version discovery, image create with custom string properties, streamed upload
// (hashed on the fly, never buffered), list with filters and `next` links, show, patch, delete.
// Errors are webob plain text, as Glance sends them.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { PROJECT_ID } from './defaults';
import { HttpError, isObject, readBody, readJson, sendEmpty, sendJson, type Ctx } from './http';
import type { ServiceModule } from './router';
import { nowIso, uuid, type Store } from './state';
import type { SimImage } from './types';

const DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'];
const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'];
const VISIBILITIES = ['public', 'private', 'shared', 'community'];
/** Attributes a client may not set (Glance answers 403 "Attribute 'x' is read-only."). */
const READ_ONLY = ['status', 'size', 'virtual_size', 'checksum', 'os_hash_algo', 'os_hash_value', 'created_at', 'updated_at', 'self', 'file', 'schema', 'owner', 'direct_url', 'locations'];
const SETTABLE = ['id', 'name', 'visibility', 'protected', 'disk_format', 'container_format', 'min_disk', 'min_ram', 'tags', 'os_hidden'];
// Paging and sorting, plus filters that cannot exclude anything here (nothing is hidden or shared).
const LIST_PARAMS = ['limit', 'marker', 'sort_key', 'sort_dir', 'sort', 'os_hidden', 'member_status'];

export function imageView(img: SimImage): Record<string, unknown> {
  const { properties, file: _file, ...core } = img;
  return {
    ...properties,
    ...core,
    os_hidden: false,
    virtual_size: null,
    self: `/v2/images/${img.id}`,
    file: `/v2/images/${img.id}/file`,
    schema: '/v2/schemas/image',
  };
}

function findImage(store: Store, id: string): SimImage {
  const img = store.data.images.find((i) => i.id === id);
  if (!img) throw new HttpError(404, `No image found with ID ${id}`);
  return img;
}

/** Validates and applies one settable attribute or custom property. */
function setAttr(img: SimImage, key: string, value: unknown): void {
  if (READ_ONLY.includes(key)) throw new HttpError(403, `Attribute '${key}' is read-only.`);
  const bad = (): never => {
    throw new HttpError(400, `Invalid value for ${key}: ${JSON.stringify(value)}`);
  };
  switch (key) {
    case 'id':
      if (typeof value !== 'string' || !/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(value)) bad();
      img.id = value as string;
      return;
    case 'name':
      if (value !== null && (typeof value !== 'string' || value.length > 255)) bad();
      img.name = value as string | null;
      return;
    case 'visibility':
      if (!VISIBILITIES.includes(value as string)) bad();
      img.visibility = value as string;
      return;
    case 'disk_format':
      if (value !== null && !DISK_FORMATS.includes(value as string)) bad();
      img.disk_format = value as string | null;
      return;
    case 'container_format':
      if (value !== null && !CONTAINER_FORMATS.includes(value as string)) bad();
      img.container_format = value as string | null;
      return;
    case 'protected':
    case 'os_hidden':
      if (typeof value !== 'boolean') bad();
      if (key === 'protected') img.protected = value as boolean;
      return;
    case 'min_disk':
    case 'min_ram':
      if (!Number.isInteger(value) || (value as number) < 0) bad();
      img[key] = value as number;
      return;
    case 'tags':
      if (!Array.isArray(value) || value.some((t) => typeof t !== 'string')) bad();
      img.tags = [...new Set(value as string[])];
      return;
    default:
      // Custom properties are strings in Glance's schema ("additionalProperties": {"type": "string"}).
      if (typeof value !== 'string') throw new HttpError(400, `Provided object does not match schema 'image': ${JSON.stringify(value)} is not of type 'string'`);
      if (key.length > 255) throw new HttpError(400, `Provided object does not match schema 'image': property name too long`);
      img.properties[key] = value;
  }
}

async function create(ctx: Ctx): Promise<void> {
  const store = ctx.store;
  const body = await readJson(ctx);
  if (!isObject(body)) throw new HttpError(400, 'Request body must be a JSON object');
  const now = nowIso();
  const img: SimImage = {
    id: uuid(),
    name: null,
    status: 'queued',
    visibility: 'shared',
    protected: false,
    disk_format: null,
    container_format: null,
    min_disk: 0,
    min_ram: 0,
    size: null,
    checksum: null,
    os_hash_algo: null,
    os_hash_value: null,
    owner: PROJECT_ID,
    tags: [],
    created_at: now,
    updated_at: now,
    properties: {},
    file: null,
  };
  for (const [k, v] of Object.entries(body)) setAttr(img, k, v);
  if (store.data.images.some((i) => i.id === img.id)) throw new HttpError(409, `Image with identifier ${img.id} already exists!`);
  store.data.images.push(img);
  store.changed();
  sendJson(ctx, 201, imageView(img), { Location: `${ctx.base}/v2/images/${img.id}` });
}

/** Streams the body to disk through md5 and sha512; the image is `saving` meanwhile. */
async function upload(ctx: Ctx, img: SimImage): Promise<void> {
  const store = ctx.store;
  const ctype = (ctx.req.headers['content-type'] ?? '').split(';')[0]?.trim();
  if (ctype !== 'application/octet-stream') {
    ctx.req.resume();
    throw new HttpError(415, `Content type ${ctype ?? 'None'} not supported`);
  }
  if (img.status !== 'queued') {
    ctx.req.resume();
    throw new HttpError(409, `Image status transition from ${img.status} to saving is not allowed`);
  }
  if (!img.disk_format || !img.container_format) {
    ctx.req.resume();
    throw new HttpError(400, 'Properties disk_format, container_format must be set prior to saving data.');
  }
  img.status = 'saving';
  img.updated_at = nowIso();
  store.changed();
  const file = path.join(store.imageDir, img.id);
  const md5 = crypto.createHash('md5');
  const sha512 = crypto.createHash('sha512');
  let size = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      md5.update(chunk);
      sha512.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    await pipeline(ctx.req, hasher, fs.createWriteStream(file));
  } catch (e) {
    // An interrupted upload leaves the image queued again, as Glance does, with no data.
    fs.rmSync(file, { force: true });
    if (store.data.images.includes(img)) {
      img.status = 'queued';
      img.updated_at = nowIso();
      store.changed();
    }
    if (ctx.req.destroyed || ctx.res.destroyed) return; // the client went away: nobody to answer
    throw e;
  }
  if (!store.data.images.includes(img)) {
    // Deleted while uploading: Glance discards the data and answers 410 Gone.
    fs.rmSync(file, { force: true });
    throw new HttpError(410, 'Image was deleted while it was being uploaded.');
  }
  Object.assign(img, {
    status: 'active',
    size,
    checksum: md5.digest('hex'),
    os_hash_algo: 'sha512',
    os_hash_value: sha512.digest('hex'),
    file,
    updated_at: nowIso(),
  });
  store.changed();
  sendEmpty(ctx, 204);
}

function download(ctx: Ctx, img: SimImage): void {
  if (!img.file || img.status !== 'active') return sendEmpty(ctx, 204);
  ctx.res.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(img.size ?? 0),
    'Content-MD5': img.checksum ?? '',
  });
  fs.createReadStream(img.file).pipe(ctx.res);
}

function sortFn(ctx: Ctx): (a: SimImage, b: SimImage) => number {
  let key = ctx.query.get('sort_key') ?? 'created_at';
  let dir = ctx.query.get('sort_dir') ?? 'desc';
  const sort = ctx.query.get('sort');
  if (sort) [key = 'created_at', dir = 'desc'] = sort.split(',')[0]?.split(':') ?? [];
  if (!['asc', 'desc'].includes(dir)) throw new HttpError(400, `Invalid sort direction: ${dir}`);
  const val = (i: SimImage): string | number => {
    const v = (i as unknown as Record<string, unknown>)[key] ?? i.properties[key];
    return typeof v === 'number' ? v : String(v ?? '');
  };
  const sign = dir === 'asc' ? 1 : -1;
  // Ties fall back to id, in the same direction, as Glance's default sort keys do.
  return (a, b) => {
    const x = val(a);
    const y = val(b);
    if (x !== y) return x < y ? -sign : sign;
    return a.id < b.id ? -sign : a.id > b.id ? sign : 0;
  };
}

function list(ctx: Ctx): void {
  const q = ctx.query;
  let images = ctx.store.data.images.filter((i) => i.status !== 'deleted');
  for (const key of new Set(q.keys())) {
    if (LIST_PARAMS.includes(key)) continue;
    const want = q.get(key) ?? '';
    if (key === 'tag') {
      const tags = q.getAll('tag');
      images = images.filter((i) => tags.every((t) => i.tags.includes(t)));
    } else if (key === 'size_min' || key === 'size_max') {
      const n = Number(want);
      images = images.filter((i) => i.size !== null && (key === 'size_min' ? i.size >= n : i.size <= n));
    } else if (key === 'visibility' && want === 'all') {
      continue;
    } else {
      // "in:a,b" is Glance's list operator for name, id, status, formats.
      const values = want.startsWith('in:') ? want.slice(3).split(',') : [want];
      images = images.filter((i) => {
        const v = (i as unknown as Record<string, unknown>)[key] ?? i.properties[key];
        return v !== undefined && values.includes(String(v));
      });
    }
  }
  images.sort(sortFn(ctx));
  const marker = q.get('marker');
  if (marker !== null) {
    const i = images.findIndex((x) => x.id === marker);
    if (i < 0) throw new HttpError(400, `Invalid marker. Image ${marker} could not be found.`);
    images = images.slice(i + 1);
  }
  const raw = q.get('limit');
  const limit = raw === null ? 25 : Number(raw);
  if (!Number.isInteger(limit) || limit < 0) throw new HttpError(400, 'limit param must be an integer');
  const page = images.slice(0, Math.min(limit, 1000));
  const body: Record<string, unknown> = { images: page.map(imageView), first: '/v2/images', schema: '/v2/schemas/images' };
  const last = page[page.length - 1];
  if (last && page.length === Math.min(limit, 1000)) {
    const qs = new URLSearchParams(q);
    qs.set('marker', last.id);
    qs.set('limit', String(page.length));
    body.next = `/v2/images?${qs.toString()}`;
  }
  sendJson(ctx, 200, body);
}

async function patch(ctx: Ctx, img: SimImage): Promise<void> {
  const ctype = (ctx.req.headers['content-type'] ?? '').split(';')[0]?.trim();
  if (ctype !== 'application/openstack-images-v2.1-json-patch' && ctype !== 'application/openstack-images-v2.0-json-patch') {
    ctx.req.resume();
    throw new HttpError(415, `Content type ${ctype ?? 'None'} not supported`);
  }
  const ops = JSON.parse((await readBody(ctx.req)).toString('utf8') || 'null') as unknown;
  if (!Array.isArray(ops)) throw new HttpError(400, 'Request body must be a JSON array of operation objects.');
  const draft: SimImage = structuredClone(img);
  for (const op of ops) {
    if (!isObject(op) || typeof op.path !== 'string' || !/^\/[^/]+$/.test(op.path)) throw new HttpError(400, 'Invalid JSON pointer for this resource');
    const key = op.path.slice(1).replace(/~1/g, '/').replace(/~0/g, '~');
    if (op.op === 'add' || op.op === 'replace') {
      if (op.op === 'replace' && !(key in draft.properties) && !SETTABLE.includes(key)) {
        throw new HttpError(409, `Property ${key} does not exist.`);
      }
      setAttr(draft, key, op.value);
    } else if (op.op === 'remove') {
      if (!(key in draft.properties)) throw new HttpError(409, `Property ${key} does not exist.`);
      delete draft.properties[key];
    } else {
      throw new HttpError(400, `Operation objects must contain exactly one member named "add", "remove", or "replace".`);
    }
  }
  Object.assign(img, draft, { updated_at: nowIso() });
  ctx.store.changed();
  sendJson(ctx, 200, imageView(img));
}

function remove(ctx: Ctx, img: SimImage): void {
  if (img.protected) throw new HttpError(403, `Image ${img.id} is protected and cannot be deleted.`);
  ctx.store.data.images = ctx.store.data.images.filter((i) => i !== img);
  if (img.file) fs.rmSync(img.file, { force: true });
  ctx.store.changed();
  sendEmpty(ctx, 204);
}

function versions(base: string): unknown {
  const v = (id: string, status: string): unknown => ({ id, status, links: [{ rel: 'self', href: `${base}/v2/` }] });
  return { versions: [v('v2.16', 'CURRENT'), v('v2.15', 'SUPPORTED'), v('v2.9', 'SUPPORTED'), v('v2.0', 'SUPPORTED')] };
}

export const glance: ServiceModule = {
  isPublic: (method, path) => method === 'GET' && ['', '/', '/versions', '/v2', '/v2/'].includes(path),

  async handle(ctx) {
    const { method, path: p } = ctx;
    // Glance answers its root with 300 Multiple Choices and /versions with 200.
    if (p === '' || p === '/') return sendJson(ctx, 300, versions(ctx.base));
    if (p === '/versions' || p === '/v2' || p === '/v2/') return sendJson(ctx, 200, versions(ctx.base));
    const m = /^\/v2\/(images|schemas)(?:\/([^/]+))?(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(p);
    if (!m) throw new HttpError(404, 'The resource could not be found.');
    const [, kind, id, sub, tag] = m;
    if (kind === 'schemas') {
      if (method === 'GET') return sendJson(ctx, 200, { name: id ?? 'image', properties: {}, additionalProperties: { type: 'string' }, links: [] });
    } else if (id === undefined) {
      if (method === 'GET') return list(ctx);
      if (method === 'POST') return create(ctx);
    } else {
      const img = findImage(ctx.store, id);
      if (sub === undefined) {
        if (method === 'GET') return sendJson(ctx, 200, imageView(img));
        if (method === 'DELETE') return remove(ctx, img);
        if (method === 'PATCH') return patch(ctx, img);
      } else if (sub === 'file') {
        if (method === 'PUT') return upload(ctx, img);
        if (method === 'GET') return download(ctx, img);
      } else if (sub === 'tags' && tag !== undefined) {
        if (method === 'PUT' && !img.tags.includes(tag)) img.tags.push(tag);
        if (method === 'DELETE') img.tags = img.tags.filter((t) => t !== tag);
        if (method === 'PUT' || method === 'DELETE') {
          ctx.store.changed();
          return sendEmpty(ctx, 204);
        }
      }
    }
    ctx.req.resume();
    throw new HttpError(405, 'The method is not allowed for this resource.');
  },
};
