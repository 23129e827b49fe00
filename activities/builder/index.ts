// The builder's activities. Shared-queue ones (`builder`): plan, records, cleanup. Own-queue ones
// (`builder/<builder-id>`): DIB (activities/dib), uploads and local file deletes.
import { type BuilderContext } from './context';
import { createCleanupActivities } from './cleanup';
import { createFileActivities } from './files';
import { createPlanActivities } from './plan';
import { createRecordActivities } from './records';
import { createUploadActivities } from './upload';

export function createBuilderActivities(ctx: BuilderContext) {
  return {
    ...createPlanActivities(ctx),
    ...createRecordActivities(ctx),
    ...createCleanupActivities(ctx),
    // any builder can reach the cloud: no need for the file's holder
    deleteUploadLeftovers: createUploadActivities(ctx).deleteUploadLeftovers,
  };
}

export function createBuilderLocalActivities(ctx: BuilderContext) {
  return {
    uploadImage: createUploadActivities(ctx).uploadImage,
    ...createFileActivities(ctx),
  };
}

export type BuilderActivities = ReturnType<typeof createBuilderActivities>;
export type BuilderLocalActivities = ReturnType<typeof createBuilderLocalActivities>;
export { type BuilderContext } from './context';
export { readOrCreateBuilderId } from './builder-id';
export { sweepImagesDir } from './files';
export { Semaphore } from './semaphore';
export { BuildLocks } from './locks';
export * from './types';
