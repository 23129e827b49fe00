// The environment and Node flags the installed nodepool-launcher runs with, read from the `env -S`
// line of bin/nodepool-launcher.js (its one source), so that tests, benches and `npm run demo`,
// which start the launcher through `node` to add their own flags, run it as installed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths';

export interface LauncherRuntime {
  /** e.g. { MALLOC_ARENA_MAX: '2' } */
  env: Record<string, string>;
  /** node flags before the script, e.g. ['--max-semi-space-size=4'] */
  nodeArgs: string[];
}

export function launcherRuntime(binPath = join(repoRoot, 'bin', 'nodepool-launcher.js')): LauncherRuntime {
  const first = readFileSync(binPath, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S (.*)$/.exec(first);
  if (!m?.[1]) return { env: {}, nodeArgs: [] };
  const words = m[1].trim().split(/\s+/);
  const nodeAt = words.indexOf('node');
  if (nodeAt < 0) throw new Error(`${binPath}: its #! line runs no 'node': ${first}`);
  const env: Record<string, string> = {};
  for (const w of words.slice(0, nodeAt)) {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new Error(`${binPath}: '${w}' in its #! line is not NAME=VALUE`);
    env[w.slice(0, eq)] = w.slice(eq + 1);
  }
  return { env, nodeArgs: words.slice(nodeAt + 1) };
}
