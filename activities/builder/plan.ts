// What a diskimage workflow needs to decide its next step, read fresh from the config and
// ZooKeeper on every pass (workflows never read files or ZooKeeper themselves).
import { type NodepoolConfig } from '../../lib/config';
import { type ImageBuild } from '../../lib/model/image';
import { isImageBuildRequested, isImagePaused, readBuilds, readUploads } from '../../lib/zk/operations/images';
import { DEFAULT_PROVIDER_IMAGE_FORMAT } from '../dib/spec';
import { type BuilderContext } from './context';
import { type BuildSummary, type DiskimagePlan, type PendingUpload } from './types';
import { takesImageUploads } from '../../drivers/registry';

export const summary = (b: ImageBuild): BuildSummary => ({
  id: b.id,
  state: b.state,
  stateTime: Math.round(b.state_time * 1000),
  formats: b.formats,
  builderId: b.builder_id,
});

/** Ready builds, newest first (by state_time, as NP24 orders them). */
export const readyNewestFirst = (builds: ImageBuild[]): ImageBuild[] =>
  builds.filter((b) => b.state === 'ready').sort((a, b) => b.state_time - a.state_time);

export function providerFormat(ctx: BuilderContext, config: NodepoolConfig, provider: string): string {
  return ctx.imageFormatOf(config, provider) ?? DEFAULT_PROVIDER_IMAGE_FORMAT;
}

export function createPlanActivities(ctx: BuilderContext) {
  async function planDiskimage(name: string): Promise<DiskimagePlan> {
    const config = ctx.config();
    const zk = ctx.zk();
    const d = config.diskimages[name];
    const builds = await readBuilds(zk, name);
    const newest = readyNewestFirst(builds)[0] ?? null;
    const providers = d?.providers ?? [];
    const formats = d ? [...new Set([...d.formats, ...providers.map((p) => providerFormat(ctx, config, p))])].sort() : [];
    const pendingUploads: PendingUpload[] = [];
    const uploadTargets: PendingUpload[] = [];
    const pausedProviders: string[] = [];
    for (const p of providers) {
      const pc = config.providers[p];
      if (!takesImageUploads(pc)) continue;
      if (pc.diskimages[name]?.pause) {
        pausedProviders.push(p);
        continue;
      }
      if (!newest) continue;
      const format = providerFormat(ctx, config, p);
      if (!newest.formats.includes(format)) continue;
      const target = { provider: p, format, uploadTimeout: pc.imageUploadTimeout };
      uploadTargets.push(target);
      const uploads = await readUploads(zk, name, newest.id, p);
      if (uploads.some((u) => u.state === 'ready')) continue;
      pendingUploads.push(target);
    }
    return {
      name,
      configured: d !== undefined,
      configPaused: d?.pause ?? false,
      zkPaused: await isImagePaused(zk, name),
      buildRequested: await isImageBuildRequested(zk, name),
      rebuildAge: d?.rebuildAge ?? 86400,
      buildTimeout: d?.buildTimeout ?? 28800,
      formats,
      newestReady: newest ? summary(newest) : null,
      pendingUploads,
      uploadTargets,
      pausedProviders,
      buildCount: builds.length,
    };
  }

  return { planDiskimage };
}
