// Nodepool's ZooKeeper paths (zk-protocol.md §0.1). Relative to the chroot, which the session
// applies. Keep every path literal here so a typo cannot make our tree diverge from Nodepool's.
import { type ComponentKind } from '../model/component';

export const ROOT = '/nodepool';
export const REQUESTS = `${ROOT}/requests`;
export const REQUESTS_LOCK = `${ROOT}/requests-lock`;
export const NODES = `${ROOT}/nodes`;
export const LAUNCHERS = `${ROOT}/launchers`;
export const COMPONENTS = `${ROOT}/components`;
export const IMAGES = `${ROOT}/images`;
export const ELECTIONS = `${ROOT}/elections`;
export const STATS_ELECTION = `${ELECTIONS}/stats`;

/** Name of the lock parent child under nodes, builds and uploads. */
export const LOCK = 'lock';

const SEQ10 = /^\d{10}$/;
const REQUEST_ID = /^(\d{3})-(\d{10})$/;

export const requestPath = (id: string): string => `${REQUESTS}/${id}`;
/** Sequential-create prefix for a request of this priority ('{:0>3}'.format(priority)). */
export const requestPrefix = (priority: string | number): string => `${REQUESTS}/${String(priority).padStart(3, '0')}-`;
export const requestLockPath = (id: string): string => `${REQUESTS_LOCK}/${id}`;

export const nodePath = (id: string): string => `${NODES}/${id}`;
export const nodeLockPath = (id: string): string => `${NODES}/${id}/${LOCK}`;
/** Sequential-create prefix for nodes: the id is the bare 10-digit sequence. */
export const NODE_PREFIX = `${NODES}/`;

export const launcherPath = (launcherId: string): string => `${LAUNCHERS}/${launcherId}`;
export const componentKindPath = (kind: ComponentKind): string => `${COMPONENTS}/${kind}`;
/** Sequential-create prefix: the znode becomes <hostname><seq10>. */
export const componentPrefix = (kind: ComponentKind, hostname: string): string => `${COMPONENTS}/${kind}/${hostname}`;

export const imagePath = (image: string): string => `${IMAGES}/${image}`;
export const imageBuildRequestPath = (image: string): string => `${IMAGES}/${image}/request-build`;
export const imagePausePath = (image: string): string => `${IMAGES}/${image}/pause`;
export const buildsPath = (image: string): string => `${IMAGES}/${image}/builds`;
/** Image build lock, held for the whole DIB run. */
export const imageBuildLockPath = (image: string): string => `${buildsPath(image)}/${LOCK}`;
export const buildPath = (image: string, buildId: string): string => `${buildsPath(image)}/${buildId}`;
export const buildLockPath = (image: string, buildId: string): string => `${buildPath(image, buildId)}/${LOCK}`;
export const providerUploadsPath = (image: string, buildId: string, provider: string): string =>
  `${buildPath(image, buildId)}/providers/${provider}/images`;
/** Upload lock (per build and provider), held for the whole upload. */
export const uploadLockPath = (image: string, buildId: string, provider: string): string =>
  `${providerUploadsPath(image, buildId, provider)}/${LOCK}`;
export const uploadPath = (image: string, buildId: string, provider: string, uploadId: string): string =>
  `${providerUploadsPath(image, buildId, provider)}/${uploadId}`;
/** NP24 upload-number lock. */
export const uploadNumberLockPath = (image: string, buildId: string, provider: string, uploadId: string): string =>
  `${uploadPath(image, buildId, provider, uploadId)}/${LOCK}`;

/** The last segment of a path (ids are znode names). */
export const basename = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
export const dirname = (path: string): string => {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
};

export const isSeq10 = (s: string): boolean => SEQ10.test(s);
export const isNodeId = isSeq10;
export const isUploadId = isSeq10;
/** Exactly one '-' with a 3-char priority: what NP24 id.split('-') and Zmod's id[3] == '-' need. */
export const isRequestId = (s: string): boolean => REQUEST_ID.test(s);

/** Parses an upload path as stored in node.image_id. */
export function parseUploadPath(path: string): { image: string; buildId: string; provider: string; uploadId: string } | null {
  const m = /^\/nodepool\/images\/([^/]+)\/builds\/([^/]+)\/providers\/([^/]+)\/images\/(\d{10})$/.exec(path);
  if (!m) return null;
  return { image: m[1] as string, buildId: m[2] as string, provider: m[3] as string, uploadId: m[4] as string };
}
