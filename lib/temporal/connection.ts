// Temporal connection settings from Temporal's own environment conventions, so operators set
// them the same way as for the `temporal` CLI: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, and the
// TLS / API-key variables. Nothing here ever reaches a workflow.
import { readFileSync } from 'node:fs';

export interface TemporalSettings {
  address: string;
  namespace: string;
  tls?: { serverRootCACertificate?: Buffer; clientCertPair?: { crt: Buffer; key: Buffer }; serverNameOverride?: string };
  apiKey?: string;
}

export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const settings: TemporalSettings = {
    address: env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    namespace: env.TEMPORAL_NAMESPACE || 'default',
  };
  const cert = env.TEMPORAL_TLS_CLIENT_CERT_PATH;
  const key = env.TEMPORAL_TLS_CLIENT_KEY_PATH;
  const ca = env.TEMPORAL_TLS_SERVER_CA_CERT_PATH;
  if (cert || key || ca || env.TEMPORAL_TLS === 'true') {
    settings.tls = {
      serverRootCACertificate: ca ? readFileSync(ca) : undefined,
      clientCertPair: cert && key ? { crt: readFileSync(cert), key: readFileSync(key) } : undefined,
      serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME || undefined,
    };
  }
  if (env.TEMPORAL_API_KEY) settings.apiKey = env.TEMPORAL_API_KEY;
  return settings;
}

/** Connection options for @temporalio/client's Connection and @temporalio/worker's NativeConnection. */
export function connectionOptions(s: TemporalSettings): { address: string; tls?: TemporalSettings['tls']; apiKey?: string } {
  return { address: s.address, ...(s.tls ? { tls: s.tls } : {}), ...(s.apiKey ? { apiKey: s.apiKey } : {}) };
}
