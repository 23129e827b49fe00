// Turns ZooKeeper's image flags into workflow signals: a new `request-build` (set by Nodepool's
// or our `image-build`) → rebuild; a `pause` flag that appeared or went → wake (so a pause or
// unpause from a Python CLI takes effect at once). Polls: the flags are few and rarely change.
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { log } from '../../lib/log';
import { imageNames, isImageBuildRequested, isImagePaused } from '../../lib/zk/operations/images';
import { type ZkSession } from '../../lib/zk/session';
import { builderWorkflowIds, rebuildSignal, wakeSignal } from '../../workflows/builder-messages';

export class FlagWatcher {
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly requested = new Set<string>();
  private readonly paused = new Set<string>();
  private readonly logger = log('builder');

  constructor(
    private readonly zk: () => ZkSession,
    private readonly client: Client,
    private readonly intervalMs = 2000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
    void this.poll();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async poll(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const zk = this.zk();
      for (const image of await imageNames(zk)) {
        const req = await isImageBuildRequested(zk, image);
        if (req && !this.requested.has(image)) await this.signal(image, () => this.client.workflow.getHandle(builderWorkflowIds.diskimage(image)).signal(rebuildSignal, { reason: 'request-build flag' }));
        if (req) this.requested.add(image);
        else this.requested.delete(image);
        const paused = await isImagePaused(zk, image);
        if (paused !== this.paused.has(image)) {
          await this.signal(image, () => this.client.workflow.getHandle(builderWorkflowIds.diskimage(image)).signal(wakeSignal, { reason: paused ? 'image-pause' : 'image-unpause' }));
          if (paused) this.paused.add(image);
          else this.paused.delete(image);
        }
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'image flag poll failed');
    } finally {
      this.running = false;
    }
  }

  private async signal(image: string, send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return; // not a diskimage of this builder's config
      this.logger.warn({ image, err: (err as Error).message }, 'cannot signal the diskimage workflow');
    }
  }
}
