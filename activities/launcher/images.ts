// Which image a launch boots: the newest READY upload of a diskimage to this provider (by
// state_time, as Nodepool picks it), or a provider cloud-image.
import { type ImageUpload } from '../../lib/model';
import { decodeUpload } from '../../lib/zk/codec-image';
import { children } from '../../lib/zk/operations/images';
import { buildsPath, providerUploadsPath, uploadPath } from '../../lib/zk/paths';
import { type ZkSession } from '../../lib/zk/session';

export interface ReadyUpload {
  upload: ImageUpload;
  /** The upload's znode path: what Nodepool stores in node.image_id. */
  path: string;
}

export async function newestReadyUpload(zk: ZkSession, image: string, provider: string): Promise<ReadyUpload | null> {
  let best: ReadyUpload | null = null;
  for (const buildId of await children(zk, buildsPath(image))) {
    for (const uploadId of await children(zk, providerUploadsPath(image, buildId, provider))) {
      const path = uploadPath(image, buildId, provider, uploadId);
      const got = await zk.getIfExists(path);
      if (!got || got.data.length === 0) continue;
      let upload: ImageUpload;
      try {
        upload = decodeUpload(image, buildId, provider, uploadId, got.data);
      } catch {
        continue;
      }
      if (upload.state !== 'ready' || !upload.external_id) continue;
      if (!best || upload.state_time > best.upload.state_time) best = { upload, path };
    }
  }
  return best;
}
