// The Temporal Web UI beside a Temporal cluster: Temporal's own ui-server (the Go module
// github.com/temporalio/ui-server/v2, which carries the built UI; the `temporal` CLI embeds the
// same server in its dev server). tools/setup-temporal-cluster builds it from the Go module proxy
// at the version in tools/temporal-ui.version and caches it beside the server. It talks to the
// frontend over gRPC, like any client, and serves the UI and its HTTP API on one port.
import { type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { freePort, spawnServer, stopProcess, waitFor } from './process';
import { repoRoot } from './paths';
import { temporalCacheBase } from './temporal-cluster';

/** The ui-server release (tools/temporal-ui.version). */
export function temporalUiVersion(): string {
  return readFileSync(join(repoRoot, 'tools', 'temporal-ui.version'), 'utf8').trim();
}

/** The ui-server binary (TEMPORAL_UI_BIN overrides the cache), or why it is not there. */
export function temporalUiBinary(): { bin: string } | { missing: string } {
  const bin = process.env.TEMPORAL_UI_BIN
    ? resolve(process.env.TEMPORAL_UI_BIN)
    : join(temporalCacheBase(), `temporal-ui-${temporalUiVersion()}`, 'bin', 'temporal-ui');
  if (!existsSync(bin)) return { missing: `Temporal UI server not found at ${bin} (tools/setup-temporal-cluster builds it)` };
  return { bin };
}

export interface TemporalUi {
  url: string;
  pid: number | undefined;
  logFile: string;
  stop(): Promise<void>;
}

/** Starts the UI for the frontend at `address` on a free loopback port (or `port`); config and log in `dir`. */
export async function startTemporalUi(opts: { address: string; namespace: string; dir: string; port?: number }): Promise<TemporalUi> {
  const found = temporalUiBinary();
  if ('missing' in found) throw new Error(found.missing);
  const port = opts.port ?? (await freePort());
  const configDir = join(opts.dir, 'temporal-ui');
  mkdirSync(configDir, { recursive: true });
  // ui-server reads <root>/<config dir>/<environment>.yaml
  writeFileSync(
    join(configDir, 'development.yaml'),
    stringify({ temporalGrpcAddress: opts.address, host: '127.0.0.1', port, enableUi: true, defaultNamespace: opts.namespace, cors: { allowOrigins: [] } }),
  );
  const logFile = join(opts.dir, 'temporal-ui.log');
  let child: ChildProcess | undefined = spawnServer(found.bin, ['--root', opts.dir, '--config', 'temporal-ui', '--env', 'development', 'start'], logFile, { cwd: opts.dir });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `Temporal UI on ${url} (log: ${logFile})`,
    async () => {
      const res = await fetch(`${url}/api/v1/namespaces/${encodeURIComponent(opts.namespace)}`).catch(() => null);
      return res?.ok ?? false;
    },
    30_000,
    child,
  );
  return {
    url,
    get pid() {
      return child?.pid;
    },
    logFile,
    async stop() {
      if (child) await stopProcess(child, 5000);
      child = undefined;
    },
  };
}
