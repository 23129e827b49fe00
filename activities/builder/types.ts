// The builder activities' data shapes: plain JSON, no secrets (env-var values never leave the
// DIB activity; provider credentials never leave the worker).

/** A provider the newest ready build still has to be uploaded to. */
export interface PendingUpload {
  provider: string;
  /** The provider's image format (its cloud's clouds.yaml image_format, default qcow2). */
  format: string;
  /** Seconds (provider `image-upload-timeout`). */
  uploadTimeout: number;
}

export interface BuildSummary {
  id: string;
  state: string;
  /** Epoch ms. */
  stateTime: number;
  formats: string[];
  builderId: string | null;
}

/** What a diskimage workflow needs to decide, read from the config and ZooKeeper. */
export interface DiskimagePlan {
  name: string;
  /** In this builder's config (not abstract). False: the image is being removed. */
  configured: boolean;
  /** Config `pause`. */
  configPaused: boolean;
  /** ZooKeeper `/nodepool/images/<name>/pause` (`nodepool image-pause`). */
  zkPaused: boolean;
  /** ZooKeeper `request-build` flag (`nodepool image-build`). */
  buildRequested: boolean;
  /** Seconds. */
  rebuildAge: number;
  /** Seconds. */
  buildTimeout: number;
  /** Formats a new build must have (diskimage formats ∪ each provider's image format). */
  formats: string[];
  newestReady: BuildSummary | null;
  /** For the newest ready build: providers without a ready upload, not paused, format built. */
  pendingUploads: PendingUpload[];
  /**
   * For the newest ready build: every provider it can be uploaded to now (not paused, format
   * built), with or without a ready upload: where `nodepool image-upload` may send it. Absent in
   * plans recorded before image-upload existed.
   */
  uploadTargets?: PendingUpload[];
  /** Providers that use the image but have it paused (`providers[].diskimages[].pause`). */
  pausedProviders: string[];
  /** Build records of any state (0: a removed image is gone). */
  buildCount: number;
}

export interface ClaimBuildInput {
  name: string;
  buildId: string;
  formats: string[];
}

/** The builder that claimed a build: the DIB run and the uploads go to its own queue. */
export interface ClaimedBuild {
  builderId: string;
  hostname: string;
}

export interface FinishBuildInput {
  name: string;
  buildId: string;
  ready: boolean;
  formats: string[];
}

export interface CreateUploadInput {
  name: string;
  buildId: string;
  provider: string;
}

export interface UploadInput {
  name: string;
  buildId: string;
  provider: string;
  uploadId: string;
  format: string;
  /** Epoch seconds of the upload start (`{timestamp}` in image-name-format). */
  timestamp: number;
}

export interface UploadResult {
  externalId: string;
  externalName: string;
  format: string;
}

export interface FinishUploadInput {
  name: string;
  buildId: string;
  provider: string;
  uploadId: string;
  result: UploadResult | null;
}

export interface CleanupInput {
  name: string;
  /** Builds this workflow is running right now (their `building` records are alive). */
  activeBuilds: string[];
  /** `<build id>/<provider>` pairs with an upload running now. */
  activeUploads: string[];
}

export interface CleanupResult {
  /** Builds whose uploads are all gone: delete their files (on their builder), then the record. */
  removable: Array<{ buildId: string; builderId: string | null }>;
  /** Uploads an operator marked deleting (`nodepool image-delete`) on builds we keep. */
  operatorDeleted: Array<{ buildId: string; provider: string }>;
  /** Cloud deletes that failed this pass (retried on the next one). */
  failedDeletes: number;
}

export interface BuildFilesInput {
  name: string;
  buildId: string;
}
