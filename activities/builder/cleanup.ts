// Retention for one diskimage (Nodepool's CleanupWorker, spec §3.9), run by its workflow:
// keep the two newest ready builds and, per provider, the two newest ready uploads; delete the
// rest from the cloud first, then mark builds `deleting` so their files can go at once; report
// which builds have no uploads left (the workflow deletes their files on their builder, then the
// record). Removed providers and removed diskimages lose their uploads. Cloud delete failures
// leave the upload `deleting` and are retried on the next pass, without limit.
import { type NodepoolConfig } from '../../lib/config';
import { type ImageBuild, type ImageUpload } from '../../lib/model/image';
import { log } from '../../lib/log';
import { readBuilds, readUploads, storeBuild, storeUpload, deleteUpload } from '../../lib/zk/operations/images';
import { readBuild } from '../../lib/zk/operations/images';
import { isLocked } from '../../lib/zk/lock';
import { buildPath, imageBuildLockPath, uploadLockPath } from '../../lib/zk/paths';
import { type ZkSession } from '../../lib/zk/session';
import { type BuilderContext } from './context';
import { readyNewestFirst } from './plan';
import { deleteCloudLeftovers } from './upload';
import { type CleanupInput, type CleanupResult } from './types';
import { takesImageUploads } from '../../drivers/registry';

export const KEEP_BUILDS = 2;
export const KEEP_UPLOADS = 2;

const key = (u: Pick<ImageUpload, 'build_id' | 'provider' | 'id'>): string => `${u.build_id}/${u.provider}/${u.id}`;

async function providersOf(zk: ZkSession, image: string, buildId: string): Promise<string[]> {
  try {
    return await zk.getChildren(`${buildPath(image, buildId)}/providers`);
  } catch {
    return [];
  }
}

/** Does this provider (still) upload this image? */
function usesImage(config: NodepoolConfig, provider: string, image: string): boolean {
  const p = config.providers[provider];
  return takesImageUploads(p) && image in p.diskimages;
}

export function createCleanupActivities(ctx: BuilderContext) {
  const logger = log('builder');

  /** NP24 _deleteUpload: mark deleting, delete from the cloud, then the record. */
  async function removeUpload(zk: ZkSession, u: ImageUpload): Promise<boolean> {
    const l = logger.child({ diskimage: u.image, build: u.build_id, provider: u.provider, upload: u.id });
    if (u.state !== 'deleting') {
      u.state = 'deleting';
      u.state_time = Date.now() / 1000;
      await storeUpload(zk, u);
    }
    const config = ctx.config();
    if (takesImageUploads(config.providers[u.provider])) {
      try {
        const provider = ctx.provider(u.provider);
        if (u.external_id) await provider.deleteImage(u.external_id);
        // Nodepool A15: an upload that never finished may have left an image without our id
        await deleteCloudLeftovers(provider, { buildId: u.build_id, provider: u.provider, uploadId: u.id });
      } catch (e) {
        l.warn({ err: (e as Error).message }, 'cloud image delete failed; retrying on the next pass');
        return false;
      }
    } else {
      l.warn({ external_id: u.external_id }, 'provider no longer configured: removing the record only (the cloud image, if any, is left)');
    }
    await deleteUpload(zk, u);
    l.info({ external_id: u.external_id }, 'upload deleted');
    return true;
  }

  async function cleanupDiskimage(input: CleanupInput): Promise<CleanupResult> {
    const zk = ctx.zk();
    const config = ctx.config();
    const name = input.name;
    const configured = name in config.diskimages;
    const activeBuilds = new Set(input.activeBuilds);
    const activeUploads = new Set(input.activeUploads);
    const builds = await readBuilds(zk, name);
    const ready = readyNewestFirst(builds);
    // An image gone from the config keeps nothing: it is being removed.
    const kept = new Set(configured ? ready.slice(0, KEEP_BUILDS).map((b) => b.id) : []);

    const uploads = new Map<string, ImageUpload[]>();
    for (const b of builds) {
      for (const p of await providersOf(zk, name, b.id)) uploads.set(`${b.id}/${p}`, await readUploads(zk, name, b.id, p));
    }
    // Recency table: per provider, the newest ready uploads of ready builds.
    const recent = new Set<string>();
    const byProvider = new Map<string, ImageUpload[]>();
    for (const b of ready) {
      for (const [k, list] of uploads) {
        if (!k.startsWith(`${b.id}/`)) continue;
        for (const u of list) if (u.state === 'ready') byProvider.set(u.provider, [...(byProvider.get(u.provider) ?? []), u]);
      }
    }
    for (const list of byProvider.values()) for (const u of list.sort((a, b) => b.state_time - a.state_time).slice(0, KEEP_UPLOADS)) recent.add(key(u));

    const result: CleanupResult = { removable: [], operatorDeleted: [], failedDeletes: 0 };
    const drop = async (u: ImageUpload) => {
      if (!(await removeUpload(zk, u))) result.failedDeletes++;
    };
    for (const b of builds) {
      const isKept = kept.has(b.id);
      // ours (the workflow says so) or another builder's (it holds the image build lock)
      const inProgress = b.state === 'building' && (activeBuilds.has(b.id) || (activeBuilds.size === 0 && (await isLocked(zk, imageBuildLockPath(name)))));
      for (const [k, list] of uploads) {
        if (!k.startsWith(`${b.id}/`)) continue;
        for (const u of list) {
          if (u.state === 'uploading' && (activeUploads.has(`${b.id}/${u.provider}`) || (await isLocked(zk, uploadLockPath(name, b.id, u.provider))))) continue;
          if (!usesImage(config, u.provider, name)) await drop(u);
          else if (isKept) {
            if (u.state === 'deleting' && b.state === 'ready') result.operatorDeleted.push({ buildId: b.id, provider: u.provider });
            // leftovers on kept builds: dead uploading records, failed and deleting ones
            if (u.state !== 'ready') await drop(u);
          } else if (!inProgress && !recent.has(key(u))) await drop(u);
        }
      }
      if (isKept || inProgress) continue;
      // not kept: once every remaining upload is deleting (or none), the files may go
      const remaining: ImageUpload[] = [];
      for (const p of await providersOf(zk, name, b.id)) remaining.push(...(await readUploads(zk, name, b.id, p)));
      if (b.state !== 'deleting' && remaining.every((u) => u.state === 'deleting')) {
        const fresh = await readBuild(zk, name, b.id);
        if (fresh && fresh.value.state !== 'deleting' && !(fresh.value.state === 'building' && activeBuilds.has(b.id))) {
          const nb: ImageBuild = { ...fresh.value, state: 'deleting', state_time: Date.now() / 1000 };
          await storeBuild(zk, nb, fresh.version);
          b.state = 'deleting';
        }
      }
      if (b.state === 'deleting' && remaining.length === 0) result.removable.push({ buildId: b.id, builderId: b.builder_id });
    }
    return result;
  }

  return { cleanupDiskimage };
}
