// A daemon's stop, bounded: the steps run in order, each within its own limit and all of them
// within the shutdown timeout (--shutdown-timeout). A step that does not finish in time (a
// ZooKeeper that is gone, a Temporal server that does not answer, a cloud call that hangs) is
// left behind and the next step runs; the daemon exits when the last step is done or the
// timeout is up, whichever comes first (workers/common/daemon.ts).
//
// Nothing a stop leaves undone stops a restart from picking up: node and request state is in
// ZooKeeper and Temporal, our ephemeral registrations and locks go with the ZooKeeper session,
// and an activity cut off is retried by the server (its attempt failed or timed out).
import { type Logger } from '../../lib/log';
import type { ZkSession } from '../../lib/zk/session';
import type { TemporalHandles } from './temporal';

/** --shutdown-timeout's default, in seconds. */
export const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 30;

/** setTimeout's longest delay (~24.8 days); a longer one would fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface StopOutcome {
  /** Every step finished, without an error. */
  clean: boolean;
  /** Steps that threw (logged). */
  failed: string[];
  /** Steps still running when their limit or the deadline came. */
  timedOut: string[];
}

export class StopRun {
  /** Steps started and not finished (what a forced exit reports). */
  readonly pending = new Set<string>();
  readonly failed: string[] = [];
  readonly timedOut: string[] = [];
  readonly deadline: number;

  constructor(
    private readonly logger: Logger,
    /** The whole stop's budget in ms (from now). */
    readonly budgetMs: number,
  ) {
    this.deadline = Date.now() + budgetMs;
  }

  /** Milliseconds left until the deadline. */
  remaining(): number {
    return Math.max(0, this.deadline - Date.now());
  }

  /**
   * Runs one step within min(limitMs, what is left). A step that throws is logged and counts as
   * failed; one that is still running at its limit is logged, left to itself and counts as timed
   * out. Never throws.
   */
  async step(name: string, fn: () => unknown, limitMs = Infinity): Promise<boolean> {
    const limit = Math.min(limitMs, this.remaining(), MAX_TIMER_MS);
    const started = Date.now();
    this.pending.add(name);
    let timer: NodeJS.Timeout | undefined;
    try {
      const outcome = await Promise.race([
        Promise.resolve()
          .then(fn)
          .then(
            () => 'done' as const,
            (err: unknown) => {
              this.logger.warn({ err, step: name }, 'stop step failed');
              return 'failed' as const;
            },
          ),
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), limit);
        }),
      ]);
      if (outcome === 'timeout') {
        this.timedOut.push(name);
        this.logger.warn({ step: name, limitMs: limit }, 'stop step did not finish in time; left behind');
        return false;
      }
      // a step that finished stays pending only while it runs
      this.pending.delete(name);
      if (outcome === 'failed') {
        this.failed.push(name);
        return false;
      }
      this.logger.debug({ step: name, ms: Date.now() - started }, 'stopped');
      return true;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** Runs steps side by side (each with its own limit); true when all of them finished. */
  async parallel(steps: Array<[name: string, fn: () => unknown, limitMs?: number]>): Promise<boolean> {
    const done = await Promise.all(steps.map(([name, fn, limitMs]) => this.step(name, fn, limitMs)));
    return done.every(Boolean);
  }

  /** Notes a step skipped on purpose (logged, not an error). */
  skip(name: string, why: string): void {
    this.logger.info({ step: name, why }, 'stop step skipped');
  }

  outcome(): StopOutcome {
    return { clean: this.failed.length === 0 && this.timedOut.length === 0, failed: [...this.failed], timedOut: [...this.timedOut] };
  }
}

/**
 * A Worker's shutdownGraceTime for a stop budget: how long running activities may go on before
 * they are cancelled, leaving the rest of the budget for them to react and for the other steps.
 */
export function workerGraceMs(budgetMs: number, maxMs: number): number {
  return Math.max(0, Math.min(maxMs, Math.floor(budgetMs / 3)));
}

/** How long the Temporal workers may take to drain: most of what is left, keeping a reserve. */
export function drainLimitMs(run: StopRun): number {
  return Math.floor(run.remaining() * 0.6);
}

/** A step's limit: at most `maxMs`, and at most `share` of what is left (so later steps keep some). */
export function stepLimitMs(run: StopRun, maxMs: number, share: number): number {
  return Math.min(maxMs, Math.floor(run.remaining() * share));
}

/**
 * The Temporal connections: the client's, then the workers' (only when every worker is done with
 * it, the SDK refuses otherwise; the exit closes it then).
 */
export async function closeTemporal(run: StopRun, temporal: TemporalHandles, workersDrained: boolean): Promise<void> {
  await run.step('Temporal client connection', () => temporal.connection.close(), stepLimitMs(run, 2000, 0.5));
  if (workersDrained) await run.step('Temporal worker connection', () => temporal.native.close(), stepLimitMs(run, 2000, 1));
  else run.skip('Temporal worker connection', 'a worker has not stopped: the exit closes it');
}

/** A Temporal worker of a daemon, as its stop sees it. */
export interface RunningWorker {
  taskQueue: string;
  worker: { shutdown(): void };
  /** Settles when the worker has stopped (Worker.run()'s promise). */
  done: Promise<unknown>;
}

/**
 * Shuts every worker down and waits for them within most of what is left (drainLimitMs);
 * true if all drained. A worker not RUNNING (already stopping, or failed) is only waited for.
 */
export async function drainWorkers(run: StopRun, workers: RunningWorker[], logger: Logger): Promise<boolean> {
  for (const w of workers) {
    try {
      w.worker.shutdown();
    } catch (err) {
      logger.debug({ err, taskQueue: w.taskQueue }, 'worker was not running');
    }
  }
  const limit = drainLimitMs(run);
  return run.parallel(workers.map((w) => [`Temporal worker ${w.taskQueue}`, () => w.done, limit]));
}

/**
 * Removes our ephemeral registration znodes, when ZooKeeper is there to hear it (else they go
 * with the session: a step that cannot succeed would only eat the budget).
 */
export async function unregister(run: StopRun, what: string, zk: ZkSession | undefined, remove: () => Promise<unknown>): Promise<void> {
  if (zk?.state === 'connected') await run.step(what, remove, stepLimitMs(run, 3000, 0.3));
  else run.skip(what, 'ZooKeeper is not connected: they go with the session');
}

/** The end of every daemon's stop: cloud clients and statsd, the ZooKeeper session, the Temporal connections. */
export async function closeShared(
  run: StopRun,
  shared: { providers: { close(): Promise<void> }; stats?: { close(): Promise<void> | void }; zk?: ZkSession; temporal?: TemporalHandles; workersDrained: boolean },
): Promise<void> {
  await run.parallel([
    ['cloud provider clients', () => shared.providers.close(), stepLimitMs(run, 2000, 0.3)],
    ['statsd', () => shared.stats?.close(), stepLimitMs(run, 1000, 0.3)],
  ]);
  const zk = shared.zk;
  if (zk) await run.step('ZooKeeper session', () => zk.close(), stepLimitMs(run, 3000, 0.6));
  if (shared.temporal) await closeTemporal(run, shared.temporal, shared.workersDrained);
}
