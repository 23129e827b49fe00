// `nodepool image-status` / `/image-status` (NP24 status.image_status): per image, the pause
// flag and the manual build request. A request is "building" when the image build lock has
// contenders and a build znode newer than the lock parent exists, "pending" otherwise
// (NP24 getBuildRequest). NP24 compares with the first build id ZooKeeper lists; we use the
// newest build, which is what its comment means.
import { buildIdsSorted, imageNamesSorted } from './images';
import { type HeaderTable, type Listing } from './types';
import { type Json } from '../zk/json';
import { buildPath, imageBuildLockPath, imageBuildRequestPath, imagePausePath } from '../zk/paths';
import { type ZkSession } from '../zk/session';

export const IMAGE_STATUS_HEADERS: HeaderTable = [
  ['image', 'Image'],
  ['paused', 'Paused'],
  ['build_request', 'Build Request'],
  ['build_request_age', 'Build Request Age'],
];

export interface ImageStatusRow {
  [key: string]: Json;
  image: string;
  paused: boolean;
  build_request: 'pending' | 'building' | null;
  /** Creation time of the request znode, epoch seconds as an int; null without a request. */
  build_request_age: number | null;
}

async function newestBuildCtime(s: ZkSession, image: string): Promise<number | null> {
  let newest: number | null = null;
  for (const id of await buildIdsSorted(s, image)) {
    const st = await s.exists(buildPath(image, id));
    if (st && (newest === null || st.ctime > newest)) newest = st.ctime;
  }
  return newest;
}

async function buildRequestState(s: ZkSession, image: string): Promise<'pending' | 'building'> {
  const lock = await s.exists(imageBuildLockPath(image));
  if (!lock || lock.numChildren === 0) return 'pending';
  const built = await newestBuildCtime(s, image);
  return built === null || built < lock.ctime ? 'pending' : 'building';
}

export async function imageStatus(s: ZkSession): Promise<Listing<ImageStatusRow>> {
  const rows: ImageStatusRow[] = [];
  for (const image of await imageNamesSorted(s)) {
    const request = await s.exists(imageBuildRequestPath(image));
    const paused = (await s.exists(imagePausePath(image))) !== null;
    rows.push({
      image,
      paused,
      build_request: request ? await buildRequestState(s, image) : null,
      build_request_age: request ? Math.trunc(request.ctime / 1000) : null,
    });
  }
  return { headers: IMAGE_STATUS_HEADERS, rows };
}
