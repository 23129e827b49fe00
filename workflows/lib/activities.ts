// Activity proxies with explicit timeouts, retry policies and cancellation types. Launcher
// activities (ZooKeeper, config) run on the `launcher` task queue; cloud calls run on the
// provider's own queue (`provider/<name>`), where the worker rate-limits them per Nodepool's
// `rate`.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { LauncherActivities, LockActivities, CloudActivities } from '../../activities/launcher/types';

export const LAUNCHER_QUEUE = 'launcher';
export const providerQueue = (provider: string): string => `provider/${provider}`;

/** Holds a ZooKeeper lock for as long as the workflow needs it. */
export const lockActivities = proxyActivities<LockActivities>({
  taskQueue: LAUNCHER_QUEUE,
  startToCloseTimeout: '30 days',
  // a dead holder is replaced quickly; its ephemeral contender dies with its session anyway
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
  // releasing is done by deleting the contender; cancel is only the fallback for a dead holder
  cancellationType: 'TRY_CANCEL',
});

/**
 * Short ZooKeeper reads and writes, as local activities: they run in the worker that runs the
 * workflow, without a round trip through the Temporal server each (a request takes a dozen of
 * them). A worker that dies mid-call makes the workflow task time out and the call run again
 * elsewhere; transient ZooKeeper errors are retried for up to an hour.
 */
export const zkActivities = proxyLocalActivities<LauncherActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 hour',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', nonRetryableErrorTypes: ['ConfigError', 'NotOurs'] },
  cancellationType: 'WAIT_CANCELLATION_COMPLETED',
});

/** The SSH host-key scan, bounded by boot-timeout inside the activity. */
export function keyscanActivities(bootTimeoutMs: number) {
  return proxyActivities<LauncherActivities>({
    taskQueue: LAUNCHER_QUEUE,
    startToCloseTimeout: bootTimeoutMs + 30_000,
    heartbeatTimeout: '30 seconds',
    retry: { maximumAttempts: 1 },
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
  });
}

/** Cloud calls that are safe to retry (lookups, idempotent create, delete until gone). */
export function cloudActivities(provider: string, opts: { launchTimeoutMs?: number } = {}) {
  const taskQueue = providerQueue(provider);
  const launch = proxyActivities<CloudActivities>({
    taskQueue,
    startToCloseTimeout: (opts.launchTimeoutMs ?? 3_600_000) + 5 * 60_000,
    heartbeatTimeout: '20 seconds',
    // a retry first looks for the server an earlier try made for this node, so retries are safe;
    // a server that went ERROR or timed out is the workflow's to delete and retry
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: ['Quota', 'Fatal', 'Timeout', 'ServerError', 'NodeGone'] },
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
  });
  const remove = proxyActivities<CloudActivities>({
    taskQueue,
    // Nodepool gives a server 600 s to disappear; then we try again, forever
    startToCloseTimeout: '11 minutes',
    heartbeatTimeout: '20 seconds',
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
  });
  return { launchServer: launch.launchServer, deleteServer: remove.deleteServer };
}
