// What both daemons share: Nodepool's daemon flags, the pid file, logging, graceful shutdown.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command } from 'commander';
import { ConfigError, DEFAULT_CONFIG_PATH, formatIssue } from '../../lib/config';
import { ConfigHolder } from './config-holder';
import { initLogging, type Logger } from '../../lib/log';

export interface DaemonOptions {
  config: string;
  secure?: string;
  logconfig?: string;
  pidfile: string;
  debug: boolean;
  foreground: boolean;
}

export function daemonProgram(name: string, defaultPidfile: string): Command {
  return new Command(name)
    .option('-c, --config <path>', 'path to config file', DEFAULT_CONFIG_PATH)
    .option('-s, --secure <path>', 'path to secure file')
    .option('-l, --logconfig <path>', 'log to this file (a Python logging config is not read)')
    .option('-p, --pidfile <path>', 'path to pid file', defaultPidfile)
    .option('-d, --debug', 'run in foreground with debug logging', false)
    .option('-f, --foreground', 'run in foreground (this daemon never forks)', false)
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
  process.once('exit', () => rmSync(path, { force: true }));
}

/** Runs `stop` once on SIGINT/SIGTERM (both graceful here, unlike Nodepool's SIGTERM os._exit). */
export function onShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
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
