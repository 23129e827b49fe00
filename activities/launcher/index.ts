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
  // Steps that only run inside the merged first steps below are not registered on their own.
  const evaluateRequest = createEvaluate(ctx);
  const { acceptRequest, ...requests } = createRequestActivities(ctx);
  const { findReusableNode, allocateNode, claimLaunch, ...allocation } = createAllocationActivities(ctx);
  const { startLaunch, ...nodes } = createNodeActivities(ctx);
  return {
    ...locks,
    ...requests,
    takeRequest: createTakeRequest({ ...locks, ...requests, evaluateRequest, acceptRequest }),
    ...allocation,
    fillSlot: createFillSlot({ ...locks, findReusableNode, allocateNode, claimLaunch }),
    ...nodes,
    beginLaunch: createBeginLaunch({ ...locks, ...nodes, startLaunch }),
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
