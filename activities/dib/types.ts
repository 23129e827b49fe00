// The DIB activity's data shapes. Everything here that crosses into Temporal (input, result,
// heartbeat details, failure details) is plain JSON and holds NO env-var values: only names.

/** The diskimage fields a build needs, resolved (parents merged, secure file applied). */
export interface DibDiskImage {
  name: string;
  /** DIB elements, grandparents' first. */
  elements: string[];
  /** DIB_RELEASE; always a string, may be ''. */
  release: string;
  /** Main file env-vars merged with the secure file's (secure wins). Values may be secrets. */
  envVars: Record<string, string>;
  /** Names in envVars whose values must never be shown (secure file, secret-looking names). */
  secretEnvNames: string[];
  /** diskimage `formats` ∪ each uploading provider's image format. */
  formats: string[];
  /** `dib-cmd`, before `%p` substitution and shell-style splitting. */
  dibCmd: string;
  /** Seconds (`build-timeout`, default 8 h). */
  buildTimeout: number;
}

/** Everything the activity reads from nodepool.yaml (+ secure file) for one build. */
export interface DibBuildSpec {
  diskimage: DibDiskImage;
  /** `elements-dir` → ELEMENTS_PATH; null when unset. */
  elementsDir: string | null;
  /** `images-dir`: outputs go to <images-dir>/<image>-<build-id>.<format>. */
  imagesDir: string;
  /** `build-log-dir` (Nodepool default /var/log/nodepool/builds). */
  buildLogDir: string;
  /** `build-log-retention`: -1 never prune, 0 acts as 1, default 7. */
  buildLogRetention: number;
}

/**
 * Activity input. Deliberately holds no env-var values: the worker re-reads the diskimage (and
 * its secure env-vars) from its own config files by name, so secrets never enter history.
 */
export interface BuildDiskimageInput {
  diskimage: string;
  /** uuid4 hex ([2024]) or a ZooKeeper sequence ([2019]); part of every file name. */
  buildId: string;
  /**
   * The formats the workflow recorded in the ZooKeeper build record. Default: the config's
   * (diskimage formats ∪ providers' image formats), read by the worker.
   */
  formats?: string[];
}

export interface DibOutputFile {
  format: string;
  path: string;
  /** Apparent size in bytes (st_size). */
  size: number;
  /** Bytes on disk (st_blocks × 512): what Nodepool's `dib_image_build.<image>.<fmt>.size` gauge reports. */
  allocatedBytes: number;
  /** From <path>.md5 (first 32 characters); absent when DIB wrote none (e.g. tar in DIB 3.13). */
  md5?: string;
  /** From <path>.sha256 (first 64 characters). */
  sha256?: string;
}

export interface BuildDiskimageResult {
  diskimage: string;
  buildId: string;
  formats: string[];
  files: DibOutputFile[];
  logPath: string;
  durationMs: number;
  /** argv as run (contains no env values). */
  command: string[];
  /** Names of the variables Nodepool adds to DIB's environment (values withheld). */
  envNames: string[];
}

/** Heartbeat details: progress only, never log text (it could echo a secret). */
export interface DibHeartbeat {
  /** Log lines written so far. */
  lines: number;
  /** Epoch ms of the last log line, or null before the first. */
  lastLineAt: number | null;
  /** The DIB phase of the last `dib-run-parts Running` line (root.d, install.d, …), if seen. */
  phase: string | null;
  elapsedMs: number;
}

/** Failure types the workflow can switch on (ApplicationFailure.type). All non-retryable. */
export const DIB_FAILURE = {
  /** DIB exited non-zero; details[0] = { rc, logPath, lastLines }. */
  failed: 'DibFailed',
  /** `build-timeout` passed; the process group was killed; details[0] = { timeoutSeconds, logPath }. */
  timeout: 'DibTimeout',
  /** The command could not be started (ENOENT, EACCES); details[0] = { command, error }. */
  exec: 'DibExecFailed',
  /** rc 0 but a requested format's file is missing; details[0] = { missing, logPath }. */
  missingOutput: 'DibOutputMissing',
  /** Config problem: unknown diskimage, no images-dir, no formats. */
  config: 'DibConfigError',
} as const;
