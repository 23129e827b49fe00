// The builder workflows' activity proxies, each with explicit timeouts, retries and cancellation
// type. ZooKeeper and cloud-delete work runs on the shared `builder` queue; DIB, uploads and local
// file deletes run on the queue of the builder that holds (or will hold) the files.
import { proxyActivities } from '@temporalio/workflow';
import type { BuilderActivities, BuilderLocalActivities } from '../activities/builder';
import type { DibActivities } from '../activities/dib';
import { BUILDER_QUEUE, builderQueue } from './builder-messages';

/** Short ZooKeeper reads and writes; transient ZooKeeper errors are retried for up to an hour. */
export const zk = proxyActivities<BuilderActivities>({
  taskQueue: BUILDER_QUEUE,
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: ['BuildGone', 'ConfigError'] },
  cancellationType: 'WAIT_CANCELLATION_COMPLETED',
});

/** A retention pass: cloud deletes can be slow; a failed pass is simply run again later. */
export const janitor = proxyActivities<BuilderActivities>({
  taskQueue: BUILDER_QUEUE,
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 3 },
  cancellationType: 'WAIT_CANCELLATION_COMPLETED',
});

/** diskimage-builder on the claiming builder (activities/dib/run.ts says why these values). */
export function dib(builderId: string, buildTimeoutSeconds: number) {
  return proxyActivities<DibActivities>({
    taskQueue: builderQueue(builderId),
    startToCloseTimeout: `${buildTimeoutSeconds + 15 * 60}s`,
    // the claiming builder died before DIB started: give up, build again elsewhere
    scheduleToStartTimeout: '10 minutes',
    heartbeatTimeout: '2 minutes',
    retry: { maximumAttempts: 1 },
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
  });
}

/**
 * One upload on the builder holding the file. A killed builder is noticed by the heartbeat
 * timeout and the attempt runs again there once it is back (the file is only there); each
 * attempt removes the previous attempt's partial image first.
 */
export function upload(builderId: string, uploadTimeoutSeconds: number) {
  return proxyActivities<BuilderLocalActivities>({
    taskQueue: builderQueue(builderId),
    startToCloseTimeout: `${uploadTimeoutSeconds + 10 * 60}s`,
    scheduleToStartTimeout: '1 hour',
    heartbeatTimeout: '30 seconds',
    retry: {
      initialInterval: '5 seconds',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: 3,
      nonRetryableErrorTypes: ['ProviderGone', 'ConfigError', 'PostUploadHookFailed'],
    },
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
  });
}

/** Local file deletes; if the holder is away, its start-up sweep removes the files later. */
export function localFiles(builderId: string) {
  return proxyActivities<BuilderLocalActivities>({
    taskQueue: builderQueue(builderId),
    startToCloseTimeout: '5 minutes',
    scheduleToStartTimeout: '2 minutes',
    retry: { initialInterval: '2 seconds', maximumAttempts: 3 },
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
  });
}
