// Programmatic entry point: start an OpenStack simulator on one loopback port, get its URLs,
// credentials, clouds.yaml entry and an admin client, and stop it.
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { AdminClient } from './admin-client';
import { appCredCloudsYamlEntry, cloudsYamlEntry, type AppCredCloudsYamlEntry, type CloudsYamlEntry } from './clouds-yaml';
import { DEFAULT_CLOUD_NAME } from './defaults';
import { createHandler } from './router';
import { Store } from './state';
import type { Credentials, SimulatorOptions } from './types';

export type * from './types';
export { AdminClient } from './admin-client';
export { writeCloudsYaml, type AppCredCloudsYamlEntry, type CloudsYamlEntry } from './clouds-yaml';

export interface Simulator {
  /** Root URL, e.g. `http://127.0.0.1:40123` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Keystone root to give clients (`<url>/identity`, no `/v3`: pkgcloud appends it). */
  readonly authUrl: string;
  readonly cloudName: string;
  readonly region: string;
  readonly credentials: Credentials;
  /** The clouds.yaml entry for this simulator (password auth). */
  cloudsYaml(): CloudsYamlEntry;
  /** The same cloud with `auth_type: v3applicationcredential`. */
  appCredentialCloudsYaml(): AppCredCloudsYamlEntry;
  readonly admin: AdminClient;
  /** Closes the port, ends hanging requests, flushes the state file. */
  stop(): Promise<void>;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const host = opts.host ?? '127.0.0.1';
  const store = await Store.open(opts);
  const handler = createHandler(store, opts.log);
  const server = http.createServer((req, res) => handler(req, res));
  // Keep-alive sockets would otherwise hold stop() open until their idle timeout.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  store.setBaseUrl(url);
  const cloudName = opts.cloudName ?? DEFAULT_CLOUD_NAME;
  let stopped = false;
  return {
    url,
    port,
    authUrl: `${url}/identity`,
    cloudName,
    region: store.region,
    credentials: store.credentials,
    cloudsYaml: () => cloudsYamlEntry(url, store.credentials, store.region),
    appCredentialCloudsYaml: () => appCredCloudsYamlEntry(url, store.credentials, store.region),
    admin: new AdminClient(url),
    async stop() {
      if (stopped) return;
      stopped = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await store.close();
    },
  };
}
