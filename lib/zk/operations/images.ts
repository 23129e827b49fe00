// Image builds, uploads and the request-build / pause flags (zk-protocol.md §4).
import { randomUUID } from 'node:crypto';
import { type Versioned } from '../../model/common';
import { type ImageBuild, type ImageUpload } from '../../model/image';
import { decodeBuild, decodeUpload, encodeBuild, encodeUpload } from '../codec-image';
import { isNodeExists, isNoNode } from '../errors';
import { basename, buildPath, buildsPath, IMAGES, imageBuildRequestPath, imagePausePath, LOCK, providerUploadsPath, uploadPath } from '../paths';
import { type ZkSession } from '../session';

/** Child names without the lock parent (`lock`); [] when the parent does not exist. */
export async function children(s: ZkSession, path: string): Promise<string[]> {
  try {
    return (await s.getChildren(path)).filter((c) => c !== LOCK);
  } catch (e) {
    if (isNoNode(e)) return [];
    throw e;
  }
}

export const imageNames = (s: ZkSession): Promise<string[]> => children(s, IMAGES);

/**
 * Stores a build. A new build (empty id) gets an NP24 id, uuid4 hex, created persistent with
 * makepath; an existing one is rewritten. Returns the build id.
 */
export async function storeBuild(s: ZkSession, b: ImageBuild, version = -1): Promise<string> {
  if (!b.id) {
    b.id = randomUUID().replace(/-/g, '');
    await s.create(buildPath(b.image, b.id), encodeBuild(b), { makepath: true });
    return b.id;
  }
  const path = buildPath(b.image, b.id);
  try {
    await s.set(path, encodeBuild(b), version);
  } catch (e) {
    if (!isNoNode(e)) throw e;
    await s.create(path, encodeBuild(b), { makepath: true });
  }
  return b.id;
}

export async function readBuild(s: ZkSession, image: string, id: string): Promise<Versioned<ImageBuild> | null> {
  const got = await s.getIfExists(buildPath(image, id));
  if (!got || got.data.length === 0) return null;
  return { value: decodeBuild(image, id, got.data), version: got.stat.version };
}

/** Every readable build of an image (bad JSON skipped, as NP24 does). */
export async function readBuilds(s: ZkSession, image: string): Promise<ImageBuild[]> {
  const out: ImageBuild[] = [];
  for (const id of await children(s, buildsPath(image))) {
    try {
      const b = await readBuild(s, image, id);
      if (b) out.push(b.value);
    } catch {
      /* unreadable: skipped like NP24 */
    }
  }
  return out;
}

/** Stores an upload; a new one (empty id) gets the next 10-digit sequence. Returns the id. */
export async function storeUpload(s: ZkSession, u: ImageUpload, version = -1): Promise<string> {
  if (!u.id) {
    const created = await s.create(`${providerUploadsPath(u.image, u.build_id, u.provider)}/`, encodeUpload(u), { sequential: true, makepath: true });
    u.id = basename(created);
    return u.id;
  }
  await s.set(uploadPath(u.image, u.build_id, u.provider, u.id), encodeUpload(u), version);
  return u.id;
}

export async function readUploads(s: ZkSession, image: string, buildId: string, provider: string): Promise<ImageUpload[]> {
  const out: ImageUpload[] = [];
  for (const id of await children(s, providerUploadsPath(image, buildId, provider))) {
    const got = await s.getIfExists(uploadPath(image, buildId, provider, id));
    if (!got || got.data.length === 0) continue;
    try {
      out.push(decodeUpload(image, buildId, provider, id, got.data));
    } catch {
      /* skipped */
    }
  }
  return out;
}

/** NP24 getMostRecentImageUpload: the `ready` upload with the greatest state_time. */
export async function mostRecentUpload(s: ZkSession, image: string, provider: string): Promise<ImageUpload | null> {
  let best: ImageUpload | null = null;
  for (const b of await children(s, buildsPath(image))) {
    for (const u of await readUploads(s, image, b, provider)) {
      if (u.state === 'ready' && (!best || u.state_time > best.state_time)) best = u;
    }
  }
  return best;
}

async function ensureFlag(s: ZkSession, path: string): Promise<void> {
  try {
    await s.create(path, Buffer.alloc(0), { makepath: true });
  } catch (e) {
    if (!isNodeExists(e)) throw e;
  }
}

async function dropFlag(s: ZkSession, path: string): Promise<void> {
  try {
    await s.delete(path);
  } catch (e) {
    if (!isNoNode(e)) throw e;
  }
}

/** `nodepool image-build`: an empty request-build znode, deleted by the builder after a ready build. */
export const requestImageBuild = (s: ZkSession, image: string): Promise<void> => ensureFlag(s, imageBuildRequestPath(image));
export const clearImageBuildRequest = (s: ZkSession, image: string): Promise<void> => dropFlag(s, imageBuildRequestPath(image));
export const isImageBuildRequested = async (s: ZkSession, image: string): Promise<boolean> => (await s.exists(imageBuildRequestPath(image))) !== null;

/** `nodepool image-pause` / `image-unpause` (NP24 only). */
export const pauseImage = (s: ZkSession, image: string): Promise<void> => ensureFlag(s, imagePausePath(image));
export const unpauseImage = (s: ZkSession, image: string): Promise<void> => dropFlag(s, imagePausePath(image));
export const isImagePaused = async (s: ZkSession, image: string): Promise<boolean> => (await s.exists(imagePausePath(image))) !== null;

/** Recursive delete of a build (NP24 deleteBuild refuses while uploads exist: the caller checks). */
export const deleteBuild = (s: ZkSession, image: string, id: string): Promise<void> => s.deleteRecursive(buildPath(image, id));
export const deleteUpload = (s: ZkSession, u: Pick<ImageUpload, 'image' | 'build_id' | 'provider' | 'id'>): Promise<void> =>
  s.deleteRecursive(uploadPath(u.image, u.build_id, u.provider, u.id));
