// Glance v2 as openstacksdk's create_image does it for Nodepool: reuse an active image of the same
// name and hashes; otherwise create (properties as strings but min_disk/min_ram, plus the
// owner_specified.openstack.* hashes),
// PUT the file streamed, poll until active ('killed' fails), and delete the image if any of that
// fails so an upload never leaks a half-made image.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { CloudTimeoutError, FatalCloudError, NotFoundError, RetryableCloudError } from '../../errors';
import { type CloudImage, type UploadImageRequest } from '../../provider';
import { type OpenStackContext } from './context';
import { deleteQuietly } from './errors';
import { listAll } from './paginate';
import { fileChecksums, putImageFile } from './upload';

/** Keys of a Glance v2 image that are not custom properties. */
const CORE_KEYS = new Set([
  'id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'disk_format', 'container_format', 'min_disk',
  'min_ram', 'size', 'virtual_size', 'checksum', 'os_hash_algo', 'os_hash_value', 'owner', 'tags', 'created_at',
  'updated_at', 'self', 'file', 'schema', 'direct_url', 'locations', 'stores',
]);

type GlanceImage = Record<string, unknown> & { id: string; name?: string | null; status: string };

export function toImage(g: GlanceImage): CloudImage {
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(g)) {
    if (!CORE_KEYS.has(k) && v !== null && v !== undefined) properties[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return {
    id: g.id,
    name: g.name ?? '',
    status: g.status,
    size: typeof g.size === 'number' ? g.size : undefined,
    checksum: typeof g.checksum === 'string' ? g.checksum : undefined,
    diskFormat: typeof g.disk_format === 'string' ? g.disk_format : undefined,
    createdAt: typeof g.created_at === 'string' ? g.created_at : undefined,
    properties,
  };
}

export async function getImage(ctx: OpenStackContext, id: string): Promise<CloudImage | null> {
  try {
    const { body } = await ctx.session.call<GlanceImage>('image', { path: `v2/images/${encodeURIComponent(id)}` });
    if (!body?.id) throw new RetryableCloudError(`GET v2/images/${id}: response is not an image`);
    return toImage(body);
  } catch (e) {
    if (e instanceof NotFoundError) return null;
    throw e;
  }
}

export async function listImages(ctx: OpenStackContext, filter: { name?: string; status?: string } = {}): Promise<CloudImage[]> {
  const qs: Record<string, string> = {};
  if (filter.name !== undefined) qs.name = filter.name;
  if (filter.status !== undefined) qs.status = filter.status;
  const images = await listAll<GlanceImage>(ctx.session, { service: 'image', path: 'v2/images', key: 'images', qs, pageSize: ctx.pageSize });
  return images.map(toImage);
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** A provider cloud-image: an active image with this id, or else the one active image with this name. */
export async function findCloudImage(ctx: OpenStackContext, nameOrId: string): Promise<CloudImage | null> {
  const found = await lookupCloudImage(ctx, nameOrId);
  // A fresh answer also refreshes what launches use.
  if (found) ctx.caches.images.set(nameOrId, found);
  return found;
}

async function lookupCloudImage(ctx: OpenStackContext, nameOrId: string): Promise<CloudImage | null> {
  if (UUID.test(nameOrId)) {
    const byId = await getImage(ctx, nameOrId);
    if (byId) return byId.status === 'active' ? byId : null;
  }
  const byName = await listImages(ctx, { name: nameOrId, status: 'active' });
  if (byName.length > 1) throw new FatalCloudError(`Multiple active images named "${nameOrId}" (provider ${ctx.provider}); use image-id`);
  return byName[0] ?? null;
}

/**
 * findCloudImage for a launch, from the provider's image cache (ctx.caches.images): one Glance
 * lookup per image per TTL (60 s) instead of one per launch, and concurrent launches share it.
 * Only a found image is cached; a missing one is looked up again by the next launch. A create
 * that Nova refuses with 400 (e.g. "Image … could not be found") clears the cache.
 */
export function findCloudImageCached(ctx: OpenStackContext, nameOrId: string): Promise<CloudImage | null> {
  return ctx.caches.images.get(nameOrId, () => lookupCloudImage(ctx, nameOrId));
}

export function deleteImage(ctx: OpenStackContext, id: string): Promise<boolean> {
  ctx.caches.images.clear(); // it may be a cached cloud-image
  return deleteQuietly(() => ctx.session.call('image', { method: 'DELETE', path: `v2/images/${encodeURIComponent(id)}` }));
}

/** openstacksdk: these go to Glance as integers / booleans, every other property as a string. */
const INT_PROPERTIES = new Set(['min_disk', 'min_ram']);

export function glanceProperties(meta: Record<string, string>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(meta)) {
    if (INT_PROPERTIES.has(k)) out[k] = Number.parseInt(String(v), 10);
    else if (k === 'protected') out[k] = String(v).toLowerCase() === 'true';
    else out[k] = String(v);
  }
  return out;
}

const MD5_KEY = 'owner_specified.openstack.md5';
const SHA256_KEY = 'owner_specified.openstack.sha256';

export async function uploadImage(ctx: OpenStackContext, req: UploadImageRequest): Promise<CloudImage> {
  const deadline = Date.now() + (req.timeoutMs ?? 3600_000);
  // A missing or unreadable local file will not get better by retrying.
  await access(req.path, constants.R_OK).catch((e: Error) => {
    throw new FatalCloudError(`image file ${req.path}: ${e.message}`, { cause: e });
  });
  const sums = req.md5 && req.sha256 ? { md5: req.md5, sha256: req.sha256 } : await fileChecksums(req.path);

  const existing = (await listImages(ctx, { name: req.name })).find(
    (i) => i.status === 'active' && i.properties[MD5_KEY] === sums.md5 && i.properties[SHA256_KEY] === sums.sha256,
  );
  if (existing) {
    ctx.session.log.info({ image: req.name, id: existing.id }, 'image with the same name and checksums exists; not uploading again');
    return existing;
  }

  const properties = glanceProperties(req.properties ?? {});
  const { body } = await ctx.session.call<GlanceImage>('image', {
    method: 'POST',
    path: 'v2/images',
    body: {
      ...properties,
      name: req.name,
      disk_format: req.diskFormat,
      container_format: req.containerFormat ?? 'bare',
      visibility: 'private',
      [MD5_KEY]: sums.md5,
      [SHA256_KEY]: sums.sha256,
      'owner_specified.openstack.object': `images/${req.name}`,
    },
  });
  if (!body?.id) throw new RetryableCloudError('POST v2/images: response is not an image');
  const id = body.id;
  ctx.session.log.info({ image: req.name, id }, 'uploading image');
  try {
    await putImageFile(ctx.session, id, req.path, { idleTimeoutMs: ctx.session.opts.timeoutMs, deadline, onProgress: req.onProgress });
    return await waitActive(ctx, id, deadline);
  } catch (e) {
    ctx.session.log.warn({ image: req.name, id, err: (e as Error).message }, 'upload failed; deleting the image');
    await deleteImage(ctx, id).catch((d: unknown) => ctx.session.log.warn({ id, err: (d as Error).message }, 'could not delete failed upload'));
    throw e;
  }
}

async function waitActive(ctx: OpenStackContext, id: string, deadline: number): Promise<CloudImage> {
  for (;;) {
    const img = await getImage(ctx, id);
    if (!img) throw new NotFoundError(`image ${id} disappeared while becoming active`);
    if (img.status === 'active') return img;
    if (img.status === 'killed' || img.status === 'deleted' || img.status === 'pending_delete') {
      throw new FatalCloudError(`image ${id} went ${img.status} after upload`);
    }
    if (Date.now() > deadline) throw new CloudTimeoutError(`image ${id} not active before the upload timeout (status ${img.status})`);
    await new Promise((r) => setTimeout(r, ctx.pollMs));
  }
}
