// Connecting a daemon to Temporal, and registering our search attributes on a fresh server so
// the Web UI can filter workflows by provider, label, node, request and state.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
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

export async function connectTemporal(): Promise<TemporalHandles> {
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
