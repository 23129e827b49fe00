// Leaked images (fixes Nodepool bug A15): cloud images with this provider's
// nodepool_provider_name and a nodepool_build_id/nodepool_upload_id that no upload record in
// ZooKeeper has. An image of one of the two newest READY builds of its diskimage is never
// touched (the launcher boots the newest and falls back to the previous), and an image is
// deleted only when the previous pass saw it leaked too (an upload record may be on its way).
import { type CloudImage, type Provider } from '../../drivers/provider';
import { type ZkSession } from '../../lib/zk/session';
import { children, imageNames, readBuilds, readUploads } from '../../lib/zk/operations/images';
import { buildsPath, providerUploadsPath } from '../../lib/zk/paths';
import { type CleanupAction, type CleanupTaskReport } from './types';

export interface KnownUploads {
  /** `<build id>/<upload id>` of every upload record of this provider. */
  uploads: Set<string>;
  /** Cloud ids of those records. */
  externalIds: Set<string>;
  /** Build ids of the two newest READY builds of every diskimage. */
  protectedBuilds: Set<string>;
}

/**
 * What ZooKeeper knows about this provider's uploads. Build and upload ids come from the znode
 * names, so a record that cannot be decoded still protects its image. A read error throws (the
 * task aborts).
 */
export async function knownUploads(s: ZkSession, provider: string): Promise<KnownUploads> {
  const known: KnownUploads = { uploads: new Set(), externalIds: new Set(), protectedBuilds: new Set() };
  for (const image of await imageNames(s)) {
    const ready = (await readBuilds(s, image)).filter((b) => b.state === 'ready').sort((a, b) => b.state_time - a.state_time);
    for (const b of ready.slice(0, 2)) known.protectedBuilds.add(b.id);
    for (const buildId of await children(s, buildsPath(image))) {
      for (const uploadId of await children(s, providerUploadsPath(image, buildId, provider))) known.uploads.add(`${buildId}/${uploadId}`);
      for (const u of await readUploads(s, image, buildId, provider)) if (u.external_id) known.externalIds.add(u.external_id);
    }
  }
  return known;
}

/** Images that carry Nodepool's upload metadata for this provider but match no upload record. */
export function unknownImages(images: CloudImage[], provider: string, known: KnownUploads): CloudImage[] {
  return images.filter((img) => {
    const p = img.properties;
    if (p.nodepool_provider_name !== provider || !p.nodepool_build_id || !p.nodepool_upload_id) return false;
    if (img.status === 'deleted' || img.status === 'pending_delete') return false;
    if (known.externalIds.has(img.id) || known.uploads.has(`${p.nodepool_build_id}/${p.nodepool_upload_id}`)) return false;
    return !known.protectedBuilds.has(p.nodepool_build_id);
  });
}

export async function leakedImages(input: {
  provider: string;
  cloud: Provider;
  zk: ZkSession;
  previous: string[];
  remove: (action: CleanupAction) => Promise<boolean>;
}): Promise<{ report: CleanupTaskReport; seen: string[] }> {
  const images = await input.cloud.listImages();
  const known = await knownUploads(input.zk, input.provider);
  const previous = new Set(input.previous);
  const seen: string[] = [];
  const done: CleanupAction[] = [];
  for (const img of unknownImages(images, input.provider, known)) {
    if (!previous.has(img.id)) {
      seen.push(img.id);
      continue;
    }
    const action = { kind: 'image', id: img.id, reason: `leaked: no upload record for build ${img.properties.nodepool_build_id} upload ${img.properties.nodepool_upload_id} on two passes (${img.name})` };
    if (await input.remove(action)) done.push(action);
    else seen.push(img.id);
  }
  return { report: { ok: true, found: seen.length + done.length, done }, seen };
}
