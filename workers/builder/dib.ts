// The DIB activity as this builder runs it: the spec is re-read from its own config files for
// every build (secure env-vars stay in this process), `--fake` swaps in the fake
// disk-image-create, and `--build-workers` caps how many run at once (waiting builds heartbeat).
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { createDibActivities, fakeDibCommand, specLoaderFromFiles, type DibActivities } from '../../activities/dib';
import { type BuildDiskimageInput } from '../../activities/dib/types';
import { type BuildLocks } from '../../activities/builder/locks';
import { Semaphore } from '../../activities/builder/semaphore';
import { type Stats } from '../../lib/metrics/statsd';

export interface BuilderDibOptions {
  configPath: string;
  securePath?: string;
  fake: boolean;
  buildWorkers: number;
  stats: Stats;
  /** Image build locks taken when this builder claimed the build. */
  buildLocks: BuildLocks;
}

export function builderDibActivities(opts: BuilderDibOptions): DibActivities {
  const load = specLoaderFromFiles({ configPath: opts.configPath, securePath: opts.securePath });
  const dib = createDibActivities({
    loadSpec: async (name) => {
      const spec = await load(name);
      if (opts.fake) spec.diskimage.dibCmd = fakeDibCommand();
      return spec;
    },
    stats: opts.stats,
  });
  const slots = new Semaphore(opts.buildWorkers);
  return {
    ...dib,
    async buildDiskimage(input: BuildDiskimageInput) {
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat({ lines: 0, lastLineAt: null, phase: 'waiting for a build worker', elapsedMs: 0 }), 5000);
      let release: () => void;
      try {
        release = await slots.acquire(ctx.cancellationSignal);
      } finally {
        clearInterval(beat);
      }
      opts.buildLocks.started(input.buildId);
      try {
        const result = await dib.buildDiskimage(input);
        // Nodepool: a session lost during the build (the lock with it) fails the build
        if (opts.buildLocks.lost(input.buildId)) throw ApplicationFailure.nonRetryable('ZooKeeper session lost during the build', 'BuildLockLost');
        return result;
      } finally {
        release();
        await opts.buildLocks.release(input.buildId);
      }
    },
  };
}
