// Connecting a daemon to Temporal, and registering our search attributes on a fresh server so
// the Web UI can filter workflows by provider, label, node, request and state.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { allSearchAttributes } from '../../lib/temporal/search-attributes';
import { connectionOptions, temporalSettings } from '../../lib/temporal/connection';
import { log } from '../../lib/log';

export interface TemporalHandles {
  namespace: string;
  native: NativeConnection;
  connection: Connection;
  client: Client;
  close(): Promise<void>;
}

let runtimeInstalled = false;

/** Sends the SDK's own log lines (worker state, failed activities...) through our pino logger. */
function installRuntimeLogging(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const logger = log('temporal');
  const level: LogLevel = logger.isLevelEnabled('debug') ? 'DEBUG' : 'INFO';
  Runtime.install({
    // The daemons handle SIGINT/SIGTERM themselves (workers/common/daemon.ts: a bounded stop, in
    // order). The SDK's own handlers would shut the Workers down behind our back (our stop then
    // failed on "Not running. Current state: DRAINING" and nothing else was stopped), and on
    // SIGQUIT/SIGUSR2 would leave a daemon running with no Workers at all.
    shutdownSignals: [],
    logger: new DefaultLogger(level, ({ level: l, message, meta }) => {
      const m = { ...(meta ?? {}) };
      if (l === 'ERROR') logger.error(m, message);
      else if (l === 'WARN') logger.warn(m, message);
      else if (l === 'INFO') logger.info(m, message);
      else logger.debug(m, message);
    }),
  });
}

export async function connectTemporal(): Promise<TemporalHandles> {
  installRuntimeLogging();
  const settings = temporalSettings();
  const opts = connectionOptions(settings);
  const native = await NativeConnection.connect(opts);
  const connection = await Connection.connect(opts);
  const client = new Client({ connection, namespace: settings.namespace });
  return {
    namespace: settings.namespace,
    native,
    connection,
    client,
    close: async () => {
      await connection.close();
      await native.close();
    },
  };
}

export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const have = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = allSearchAttributes.filter((k) => !have.has(k.name));
  if (missing.length === 0) return;
  const searchAttributes: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const k of missing) searchAttributes[k.name] = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  log('temporal').info({ added: missing.map((k) => k.name) }, 'registered search attributes');
}
