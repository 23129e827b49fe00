// The launcher's activities, built once per worker process from its LauncherContext.
import { type LauncherContext } from './context';
import { createLockActivities } from './locks';
import { createEvaluate } from './evaluate';
import { createRequestActivities } from './requests';
import { createTakeRequest } from './take';
import { createFillSlot } from './fill-slot';
import { createBeginLaunch } from './begin-launch';
import { createAllocationActivities } from './allocation';
import { createNodeActivities } from './nodes';
import { createMinReadyActivities } from './min-ready';
import { createCloudActivities } from './cloud';
import { keyscan } from './keyscan';
import { createCleanupActivities } from '../cleanup';
import type { CleanupActivities } from '../cleanup/types';
import type { CloudActivities, LauncherActivities, LockActivities } from './types';

/** Activities of the `launcher` task queue (ZooKeeper, config, locks, keyscan). */
export function createLauncherActivities(ctx: LauncherContext): LauncherActivities & LockActivities & CleanupActivities {
  const locks = createLockActivities(() => ctx.zk());
  const allocation = createAllocationActivities(ctx);
  const evaluateRequest = createEvaluate(ctx);
  const requests = createRequestActivities(ctx);
  const nodes = createNodeActivities(ctx);
  return {
    ...locks,
    evaluateRequest,
    ...requests,
    takeRequest: createTakeRequest({ evaluateRequest, ...locks, ...requests }),
    ...allocation,
    fillSlot: createFillSlot({ ...locks, ...allocation }),
    ...nodes,
    beginLaunch: createBeginLaunch({ ...locks, ...nodes }),
    ...createMinReadyActivities(ctx),
    keyscan,
    ...createCleanupActivities(ctx),
  };
}

/** Activities of a `provider/<name>` task queue (cloud calls, rate-limited per provider). */
export function createProviderActivities(ctx: LauncherContext): CloudActivities {
  return createCloudActivities(ctx);
}

export type { LauncherContext } from './context';
