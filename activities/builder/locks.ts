// Nodepool's image build lock (/nodepool/images/<image>/builds/lock), held by the builder that
// claimed a build from the claim until DIB ends, so Python builders skip the image meanwhile and
// `image-status` reads `building` (the lock is older than the build znode, as in Nodepool).
import { log } from '../../lib/log';
import { ZkLock } from '../../lib/zk/lock';
import { imageBuildLockPath } from '../../lib/zk/paths';
import { type ZkSession } from '../../lib/zk/session';

/** A claim whose DIB run never arrives (the workflow gave up on it) lets the lock go. */
const UNUSED_CLAIM_MS = 15 * 60 * 1000;

export class BuildLocks {
  private readonly held = new Map<string, { lock: ZkLock; timer?: NodeJS.Timeout }>();

  /** Non-blocking, like Nodepool's builders; true if this builder holds it (again) for buildId. */
  async take(zk: ZkSession, image: string, buildId: string): Promise<boolean> {
    if (this.held.has(buildId)) return true;
    const lock = new ZkLock(zk, imageBuildLockPath(image));
    if (!(await lock.acquire({ blocking: false }))) return false;
    const timer = setTimeout(() => {
      log('builder').warn({ diskimage: image, build: buildId }, 'claimed build never started; releasing the image build lock');
      void this.release(buildId);
    }, UNUSED_CLAIM_MS);
    timer.unref();
    this.held.set(buildId, { lock, timer });
    return true;
  }

  /** DIB started: the lock now lives as long as the run. */
  started(buildId: string): void {
    const h = this.held.get(buildId);
    if (h?.timer) clearTimeout(h.timer);
    if (h) h.timer = undefined;
  }

  /** The ZooKeeper session ended during the build: Nodepool fails such a build. */
  lost(buildId: string): boolean {
    return this.held.get(buildId)?.lock.isLost ?? false;
  }

  async release(buildId: string): Promise<void> {
    const h = this.held.get(buildId);
    if (!h) return;
    this.held.delete(buildId);
    if (h.timer) clearTimeout(h.timer);
    await h.lock.release().catch(() => undefined);
  }
}
