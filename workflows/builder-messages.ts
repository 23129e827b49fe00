// Signals, queries, ids and task queues of the builder's workflows, shared by the workflows, the
// builder daemon (ZooKeeper flag watcher, config reload) and the CLI.
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** Every builder serves this queue: diskimage workflows and their ZooKeeper/cloud activities. */
export const BUILDER_QUEUE = 'builder';
/** One builder's own queue: DIB runs, uploads and local file deletes (the files live there). */
export const builderQueue = (builderId: string): string => `builder/${builderId}`;

export const builderWorkflowIds = {
  diskimage: (name: string): string => `diskimage/${name}`,
};

/** `nodepool image-build` (or the builder's watcher of the ZooKeeper request-build flag). */
export const rebuildSignal = defineSignal<[{ reason: string }]>('rebuild');
/**
 * Something the workflow should look at now rather than at its next janitor pass: config
 * reload, `image-pause`/`image-unpause`, `dib-image-delete`, `image-delete`. An operator's
 * image-delete names the upload so the same build is not uploaded there again (Nodepool A10).
 */
export const wakeSignal = defineSignal<[{ reason: string; deletedUpload?: { buildId: string; provider: string } }]>('wake');
/**
 * `nodepool image-upload PROVIDER IMAGE`: upload this (the newest ready) build to this provider
 * now, even if it already has a ready upload there or an operator deleted one (A10).
 */
export const uploadSignal = defineSignal<[{ reason: string; buildId: string; provider: string }]>('upload');

export interface DiskimageStatus {
  name: string;
  /** idle | paused | building | uploading | waiting (config gone, cleaning up) */
  phase: string;
  buildId: string | null;
  uploads: string[];
  rebuildRequested: boolean;
  /** Epoch ms of the next scheduled build, null when none is scheduled (paused, unknown). */
  nextBuildAt: number | null;
}
export const diskimageStatusQuery = defineQuery<DiskimageStatus>('status');
