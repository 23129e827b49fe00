// The launcher's activities, built once per worker process from its LauncherContext.
import { type LauncherContext } from './context';
import { createLockActivities } from './locks';
import { createRequestActivities } from './requests';
import { createBeginLaunch } from './begin-launch';
import { createBeginDelete } from './begin-delete';
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
  // startLaunch only runs inside beginLaunch: it is not registered on its own.
  const { startLaunch, ...nodes } = createNodeActivities(ctx);
  return {
    ...locks,
    ...createRequestActivities(ctx),
    ...nodes,
    beginLaunch: createBeginLaunch({ ...locks, ...nodes, startLaunch }),
    beginDelete: createBeginDelete({ ...locks, ...nodes }),
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
