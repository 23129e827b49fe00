// The DIB activity: one diskimage build = one disk-image-create process.
//
// Options the diskimage workflow should schedule it with (spec temporal-notes §2.7/§2.8):
//   taskQueue:           'builder' (any builder) — the files land on that builder, so its uploads
//                        must then run on its own `builder/<builder-id>` queue;
//   startToCloseTimeout: build-timeout + 15 min (the activity enforces build-timeout itself and
//                        reports DibTimeout; the Temporal timeout is only the backstop);
//   heartbeatTimeout:    '2m' (this heartbeats every 5 s while DIB runs, and a dead worker must
//                        be noticed quickly; the files of a dead worker's build are the janitor's);
//   retry:               { maximumAttempts: 1 } — every DibX failure is non-retryable anyway; a
//                        new attempt must be a new build id, which only the workflow can make;
//   cancellationType:    WAIT_CANCELLATION_COMPLETED, so the workflow resumes only after the
//                        process group is dead and partial files, mounts and loops are gone.
// Worker shutdown arrives as a cancellation too (after shutdownGraceTime): same clean-up path.
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { log } from '../../lib/log';
import { buildLogPath, pruneBuildLogs } from './build-logs';
import { cleanupDibTmp } from './cleanup';
import { buildDibCommand, type DibCommand, displayCommand } from './command';
import { fakeDibCommand } from './fake';
import { dibConfigError, dibExecFailed, dibFailed, dibOutputMissing, dibTimeout } from './failures';
import { collectOutputs, removeOutputs } from './outputs';
import { type GroupExit, type GroupProcess, spawnGroup } from './process-group';
import { makeRedactor } from './redact';
import { type BuildStats, emitBuildStats } from './stats';
import { type BuildDiskimageInput, type BuildDiskimageResult, type DibBuildSpec, type DibHeartbeat } from './types';

export interface DibActivityDeps {
  /** Re-reads the diskimage from the worker's config + secure file (see spec-loader.ts). */
  loadSpec(diskimage: string): Promise<DibBuildSpec>;
  /** DIB's base environment (Nodepool: a copy of the daemon's). Default process.env. */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /** `%p` in dib-cmd. Default: the folder holding fake-disk-image-create, so `%p/fake-disk-image-create` works. */
  packageDir?: string;
  /** Default 5000. */
  heartbeatIntervalMs?: number;
  /** SIGTERM → SIGKILL grace for the process group. Default 60 s: DIB's trap unmounts on SIGTERM. */
  killGraceMs?: number;
  /** statsd (lib/metrics/statsd.ts) for Nodepool's nodepool.dib_image_build.* metrics. */
  stats?: BuildStats;
}

const LAST_LINES = 20;
/** setTimeout's limit (~24.8 days); a longer build-timeout would otherwise fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const BUILD_ID = /^[0-9a-f]+$/;
const IMAGE_NAME = /^[^/\0]+$/;

type Outcome = { kind: 'exit'; exit: GroupExit } | { kind: 'timeout' } | { kind: 'cancelled'; reason: unknown };

/** DIB's in-chroot and host phases, from `dib-run-parts Running <dir>/<phase>/<script>`. */
function phaseOf(line: string): string | null {
  const m = /dib-run-parts Running \S*\/([\w.-]+\.d)\/[^/\s]+\s*$/.exec(line);
  return m ? (m[1] as string) : null;
}

function write(stream: WriteStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((res) => stream.end(() => res()));
}

export function createDibActivities(deps: DibActivityDeps) {
  const heartbeatMs = deps.heartbeatIntervalMs ?? 5_000;
  const graceMs = deps.killGraceMs ?? 60_000;
  const packageDir = deps.packageDir ?? dirname(fakeDibCommand());

  async function buildDiskimage(input: BuildDiskimageInput): Promise<BuildDiskimageResult> {
    const ctx = Context.current();
    const logger = log('dib').child({ diskimage: input.diskimage, build: input.buildId });
    if (!IMAGE_NAME.test(input.diskimage)) throw dibConfigError(`bad diskimage name ${JSON.stringify(input.diskimage)}`);
    if (!BUILD_ID.test(input.buildId)) throw dibConfigError(`bad build id ${JSON.stringify(input.buildId)} (want lowercase hex)`);

    let spec: DibBuildSpec;
    let cmd: DibCommand;
    try {
      spec = await deps.loadSpec(input.diskimage);
      cmd = buildDibCommand(spec, { buildId: input.buildId, formats: input.formats, baseEnv: deps.baseEnv ?? process.env, packageDir });
    } catch (e) {
      throw dibConfigError(`diskimage ${input.diskimage}: ${(e as Error).message}`);
    }
    const image = spec.diskimage.name;
    const redact = makeRedactor(cmd.secretValues);
    const shown = displayCommand(cmd.argv);

    const pruned = await pruneBuildLogs(spec.buildLogDir, image, spec.buildLogRetention);
    for (const p of pruned) logger.info({ path: p }, 'Deleting old build log');
    const logPath = buildLogPath(spec.buildLogDir, image, input.buildId);
    await mkdir(spec.imagesDir, { recursive: true });
    await mkdir(cmd.tmpDir, { recursive: true });
    const logFile = createWriteStream(logPath, { flags: 'w' });
    // An unwritable log (disk full) must not crash the worker; the build itself goes on.
    logFile.on('error', (e) => logger.error({ err: e.message, log: logPath }, 'cannot write the build log'));
    logger.info({ command: shown, log: logPath, env: cmd.envNames }, 'Running DIB');

    const started = Date.now();
    const progress: DibHeartbeat = { lines: 0, lastLineAt: null, phase: null, elapsedMs: 0 };
    const last: string[] = [];
    const beat = () => ctx.heartbeat({ ...progress, elapsedMs: Date.now() - started } satisfies DibHeartbeat);
    const onLine = (raw: string) => {
      const line = redact(raw);
      write(logFile, line);
      progress.lines++;
      progress.lastLineAt = Date.now();
      progress.phase = phaseOf(line) ?? progress.phase;
      last.push(line);
      if (last.length > LAST_LINES) last.shift();
    };

    const cleanAll = async () => {
      const removed = await removeOutputs(cmd.outputBase);
      if (removed.length) logger.info({ removed }, 'removed partial DIB output');
      await cleanupDibTmp(cmd.tmpDir);
    };

    let proc: GroupProcess;
    try {
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
      proc = await spawnGroup(cmd.argv, cmd.env, spec.imagesDir, onLine);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const cancelled = e instanceof CancelledFailure;
      write(logFile, cancelled ? 'Build cancelled before DIB started' : `Failed to exec '${shown}'. Error: '${err.message}'`);
      await closeStream(logFile);
      await cleanAll();
      if (cancelled) throw e;
      throw dibExecFailed(shown, err.code ?? err.message);
    }
    beat();

    const outcome = await new Promise<Outcome>((resolve) => {
      let decided: Outcome | undefined;
      const heartbeat = setInterval(beat, heartbeatMs);
      const timeout = setTimeout(() => {
        decided ??= { kind: 'timeout' };
        logger.error({ log: logPath }, `Build timeout for image ${image}, build ${input.buildId}`);
        proc.kill(graceMs);
      }, Math.min(spec.diskimage.buildTimeout * 1000, MAX_TIMER_MS));
      const onAbort = () => {
        decided ??= { kind: 'cancelled', reason: ctx.cancellationSignal.reason };
        logger.warn('build cancelled; killing DIB');
        proc.kill(graceMs);
      };
      ctx.cancellationSignal.addEventListener('abort', onAbort, { once: true });
      // A cancel that landed while the process was being spawned fired no event.
      if (ctx.cancellationSignal.aborted) onAbort();
      void proc.done.then((exit) => {
        clearInterval(heartbeat);
        clearTimeout(timeout);
        ctx.cancellationSignal.removeEventListener('abort', onAbort);
        resolve(decided ?? { kind: 'exit', exit });
      });
    });
    const durationMs = Date.now() - started;

    if (outcome.kind === 'exit') write(logFile, `Exit code: ${outcome.exit.code ?? `signal ${outcome.exit.signal}`}`);
    else if (outcome.kind === 'timeout') write(logFile, `Build timeout after ${spec.diskimage.buildTimeout} s; DIB killed`);
    else write(logFile, 'Build cancelled; DIB killed');
    await closeStream(logFile);

    if (outcome.kind === 'cancelled') {
      await cleanAll();
      throw outcome.reason instanceof Error ? outcome.reason : new CancelledFailure('build cancelled');
    }
    if (outcome.kind === 'timeout') {
      emitBuildStats(deps.stats, image, 1, durationMs);
      await cleanAll();
      throw dibTimeout(image, input.buildId, spec.diskimage.buildTimeout, logPath);
    }
    const { code, signal } = outcome.exit;
    if (code !== 0) {
      logger.info({ rc: code, signal }, `DIB failed creating ${image}`);
      emitBuildStats(deps.stats, image, code ?? 1, durationMs);
      await cleanAll();
      throw dibFailed(image, input.buildId, code, signal, logPath, last);
    }
    const { files, missing } = await collectOutputs(cmd.outputBase, cmd.formats);
    if (missing.length) {
      emitBuildStats(deps.stats, image, 0, durationMs);
      await cleanAll();
      throw dibOutputMissing(image, input.buildId, missing, logPath);
    }
    emitBuildStats(deps.stats, image, 0, durationMs, files);
    await cleanupDibTmp(cmd.tmpDir);
    logger.info({ durationMs, files: files.map((f) => f.path) }, `DIB image ${image} is built`);
    return { diskimage: image, buildId: input.buildId, formats: cmd.formats, files, logPath, durationMs, command: cmd.argv, envNames: cmd.envNames };
  }

  return { buildDiskimage };
}

export type DibActivities = ReturnType<typeof createDibActivities>;
