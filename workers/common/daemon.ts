// What both daemons share: Nodepool's daemon flags, the pid file, logging, graceful shutdown.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, DEFAULT_CONFIG_PATH, formatIssue } from '../../lib/config';
import { ConfigHolder } from './config-holder';
import { initLogging, type Logger } from '../../lib/log';
import { DEFAULT_SHUTDOWN_TIMEOUT_SECONDS, MAX_TIMER_MS, StopRun } from './shutdown';

export interface DaemonOptions {
  config: string;
  secure?: string;
  logconfig?: string;
  pidfile: string;
  debug: boolean;
  foreground: boolean;
  /** Seconds a SIGTERM/SIGINT stop may take before the process exits anyway. */
  shutdownTimeout: number;
}

const seconds = (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number of seconds greater than 0');
  return n;
};

export function daemonProgram(name: string, defaultPidfile: string): Command {
  return new Command(name)
    .option('-c, --config <path>', 'path to config file', DEFAULT_CONFIG_PATH)
    .option('-s, --secure <path>', 'path to secure file')
    .option('-l, --logconfig <path>', 'log to this file (a Python logging config is not read)')
    .option('-p, --pidfile <path>', 'path to pid file', defaultPidfile)
    .option('-d, --debug', 'run in foreground with debug logging', false)
    .option('-f, --foreground', 'run in foreground (this daemon never forks)', false)
    .option(
      '--shutdown-timeout <seconds>',
      'on SIGTERM/SIGINT, exit after this many seconds even if not everything has stopped (a second signal exits at once)',
      seconds,
      DEFAULT_SHUTDOWN_TIMEOUT_SECONDS,
    )
    .helpOption('-h, --help', 'show this help message and exit');
}

export function startLogging(name: string, opts: DaemonOptions): Logger {
  // -l: Nodepool takes a Python logging config there; we take a file to write JSON logs to when
  // it does not look like one, and otherwise log to stderr.
  const file = opts.logconfig && !/\.(ya?ml|json|ini|conf)$/.test(opts.logconfig) ? opts.logconfig : undefined;
  return initLogging({ debug: opts.debug, file, name });
}

/** Writes the pid file; refuses to start if it names a process that is still alive. */
export function writePidFile(path: string): void {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (pid && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        throw new Error(`${path}: process ${pid} is still running`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${process.pid}\n`);
  // 'exit' runs on every process.exit, the forced ones included (not on SIGKILL: the next start
  // sees the pid is gone and takes the file over)
  process.once('exit', () => {
    try {
      rmSync(path, { force: true });
    } catch {
      /* nothing more to do on the way out */
    }
  });
}

/** What the hard deadline leaves the stop steps' own limits (so they, not the backstop, report). */
const BACKSTOP_MARGIN_MS = 250;

/**
 * On SIGINT/SIGTERM runs `stop` once, bounded (Nodepool's SIGTERM is an os._exit; ours stops in
 * order, within `timeoutSeconds`): the process exits 0 when every stop step finished, 1 when one
 * failed or did not finish in time, and 1 at the timeout whatever is still running (logging
 * what). A second signal exits at once. The pid file goes on every one of these exits.
 */
export function onShutdown(logger: Logger, timeoutSeconds: number, stop: (run: StopRun) => Promise<unknown>): void {
  let run: StopRun | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (run) {
      logger.warn({ signal, notStopped: [...run.pending] }, 'second signal: exiting now');
      process.exit(1);
    }
    const timeoutMs = Math.min(timeoutSeconds * 1000, MAX_TIMER_MS);
    const current = (run = new StopRun(logger, Math.max(0, timeoutMs - BACKSTOP_MARGIN_MS)));
    const started = Date.now();
    logger.info({ signal, timeoutSeconds }, 'shutting down');
    setTimeout(() => {
      logger.error({ timeoutSeconds, notStopped: [...current.pending] }, 'shutdown timeout: exiting with these steps unfinished');
      process.exit(1);
    }, timeoutMs);
    stop(current).then(
      () => {
        const o = current.outcome();
        const ms = Date.now() - started;
        if (o.clean) {
          logger.info({ ms }, 'stopped');
          process.exit(0);
        }
        logger.error({ ms, failed: o.failed, timedOut: o.timedOut }, 'stopped, but not everything stopped cleanly');
        process.exit(1);
      },
      (err: unknown) => {
        logger.error({ err, notStopped: [...current.pending] }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** Loads the config at start-up; a config that does not load is fatal (every issue printed). */
export async function loadConfigOrExit(opts: DaemonOptions): Promise<ConfigHolder> {
  try {
    return await ConfigHolder.load(opts.config, opts.secure);
  } catch (err) {
    const lines = err instanceof ConfigError ? err.issues.map(formatIssue) : [String(err)];
    for (const l of lines) process.stderr.write(`${l}\n`);
    process.exit(1);
  }
}

/** Runs a daemon's main when its file is the entry point (bin/ or `node --import tsx`). */
export function runMain(main: (argv: string[]) => Promise<void>): void {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
