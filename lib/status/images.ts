// Walking /nodepool/images: image names, their builds, and each build's uploads per provider,
// in a stable order (image and provider names sorted as NP24 does; build and upload ids sorted
// too, where NP24 takes ZooKeeper's child order).
import { decodeOrSkip, mapLimit, READ_PARALLELISM, sortedChildren } from './read';
import { decodeBuild, decodeUpload } from '../zk/codec-image';
import { buildPath, buildsPath, IMAGES, providerUploadsPath, uploadPath } from '../zk/paths';
import { type ZkSession } from '../zk/session';
import { type ImageBuild, type ImageUpload } from '../model/image';

export const imageNamesSorted = (s: ZkSession): Promise<string[]> => sortedChildren(s, IMAGES);
export const buildIdsSorted = (s: ZkSession, image: string): Promise<string[]> => sortedChildren(s, buildsPath(image));
export const buildProviders = (s: ZkSession, image: string, buildId: string): Promise<string[]> =>
  sortedChildren(s, `${buildPath(image, buildId)}/providers`);

/** Builds of one image; missing, empty and unreadable ones skipped (NP24 skips bad JSON). */
export async function buildsOf(s: ZkSession, image: string): Promise<ImageBuild[]> {
  const ids = await buildIdsSorted(s, image);
  const builds = await mapLimit(ids, READ_PARALLELISM, async (id) => {
    const got = await s.getIfExists(buildPath(image, id));
    if (!got || got.data.length === 0) return null;
    return decodeOrSkip(`build ${image}-${id}`, () => decodeBuild(image, id, got.data));
  });
  return builds.filter((b): b is ImageBuild => b !== null);
}

/** Uploads of one build to one provider, by upload id. */
export async function uploadsOf(s: ZkSession, image: string, buildId: string, provider: string): Promise<ImageUpload[]> {
  const ids = await sortedChildren(s, providerUploadsPath(image, buildId, provider));
  const uploads = await mapLimit(ids, READ_PARALLELISM, async (id) => {
    const got = await s.getIfExists(uploadPath(image, buildId, provider, id));
    if (!got || got.data.length === 0) return null;
    return decodeOrSkip(`upload ${image}/${buildId}/${provider}/${id}`, () => decodeUpload(image, buildId, provider, id, got.data));
  });
  return uploads.filter((u): u is ImageUpload => u !== null);
}

/** Every upload: image → build → provider → upload. */
export async function allUploads(s: ZkSession): Promise<ImageUpload[]> {
  const out: ImageUpload[] = [];
  for (const image of await imageNamesSorted(s)) {
    for (const build of await buildIdsSorted(s, image)) {
      for (const provider of await buildProviders(s, image, build)) out.push(...(await uploadsOf(s, image, build, provider)));
    }
  }
  return out;
}
