// Boot-from-volume: the volumes Nova makes from block_device_mapping_v2, Cinder's quota on them,
// and Cinder's view of them.
import { HttpError, isObject, type Ctx } from './http';
import { nowIso, uuid, type Store } from './state';
import type { SimFlavor, SimServer, SimVolume } from './types';

export interface VolumePlan {
  /** The image the server boots from ('' when there is none, e.g. an existing volume). */
  imageId: string;
  /** New volumes to create, and existing ones to attach. */
  create: { size: number; imageId: string | null; deleteOnTermination: boolean }[];
  attach: SimVolume[];
}

const bool = (v: unknown): boolean => v === true || (typeof v === 'string' && /^(true|1|yes)$/i.test(v));

/** Reads the mappings that end up as volumes; 400 for what Nova's API would refuse. */
export function planVolumes(ctx: Ctx, raw: unknown, flavor: SimFlavor): VolumePlan {
  const plan: VolumePlan = { imageId: '', create: [], attach: [] };
  if (raw === undefined) return plan;
  if (!Array.isArray(raw) || !raw.every(isObject)) throw new HttpError(400, 'Invalid input for field/attribute block_device_mapping_v2.');
  for (const b of raw as Record<string, unknown>[]) {
    const dest = b.destination_type ?? 'volume';
    if (dest !== 'volume') continue; // local (ephemeral/image) disks are not volumes
    const size = b.volume_size === undefined ? flavor.disk : Number(b.volume_size);
    if (!Number.isInteger(size) || size <= 0) throw new HttpError(400, `Invalid input for field/attribute volume_size. Value: ${String(b.volume_size)}.`);
    const del = bool(b.delete_on_termination);
    switch (b.source_type) {
      case 'image': {
        const id = String(b.uuid);
        if (String(b.boot_index) === '0') plan.imageId = id;
        plan.create.push({ size, imageId: id, deleteOnTermination: del });
        break;
      }
      case 'blank':
        plan.create.push({ size, imageId: null, deleteOnTermination: del });
        break;
      case 'volume': {
        const v = ctx.store.data.volumes.find((x) => x.id === b.uuid);
        if (!v) throw new HttpError(400, `Block Device Mapping is Invalid: failed to get volume ${String(b.uuid)}.`);
        if (v.status !== 'available') throw new HttpError(400, `Invalid volume: volume ${v.id} status must be available`);
        plan.attach.push(v);
        break;
      }
      default:
        throw new HttpError(400, `Block Device Mapping is Invalid: Unrecognized source_type ${String(b.source_type)}.`);
    }
  }
  return plan;
}

/** Cinder refuses the volumes when they go over quota; Nova then aborts the build (ERROR). */
export function volumeQuotaExceeded(store: Store, plan: VolumePlan): boolean {
  const q = store.data.quotas;
  const u = store.usage();
  const gb = plan.create.reduce((a, c) => a + c.size, 0);
  return (q.volumes !== -1 && u.volumes + plan.create.length > q.volumes) || (q.gigabytes !== -1 && u.gigabytes + gb > q.gigabytes);
}

export function attachVolumes(store: Store, server: SimServer, plan: VolumePlan): void {
  const now = nowIso();
  for (const c of plan.create) {
    const v: SimVolume = {
      id: uuid(),
      name: '',
      size: c.size,
      status: 'in-use',
      serverId: server.id,
      imageId: c.imageId,
      deleteOnTermination: c.deleteOnTermination,
      created_at: now,
      updated_at: now,
    };
    store.data.volumes.push(v);
    server.volumeIds.push(v.id);
  }
  for (const v of plan.attach) {
    Object.assign(v, { status: 'in-use', serverId: server.id, updated_at: now });
    server.volumeIds.push(v.id);
  }
  store.changed();
}

export function volumeView(v: SimVolume): Record<string, unknown> {
  return {
    id: v.id,
    name: v.name,
    size: v.size,
    status: v.status,
    bootable: v.imageId ? 'true' : 'false',
    availability_zone: 'nova',
    volume_type: '__DEFAULT__',
    multiattach: false,
    encrypted: false,
    attachments: v.serverId
      ? [{ id: v.id, volume_id: v.id, server_id: v.serverId, attachment_id: v.id, device: '/dev/vda', host_name: null, attached_at: v.updated_at }]
      : [],
    volume_image_metadata: v.imageId ? { image_id: v.imageId } : undefined,
    metadata: {},
    description: null,
    created_at: v.created_at,
    updated_at: v.updated_at,
  };
}
