// Where os-client-config (openstacksdk) looks for clouds.yaml and secure.yaml, in its order:
// $OS_CLIENT_CONFIG_FILE, then ./, the user config dir, ~/.config/openstack, /etc/openstack.
// Each directory is tried with .yaml, .yml and .json, as openstacksdk does.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface SearchEnv {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  home?: string;
}

const SUFFIXES = ['.yaml', '.yml', '.json'];

export function configDirs(opts: SearchEnv = {}): string[] {
  const env = opts.env ?? process.env;
  const home = opts.home ?? homedir();
  const dirs = [opts.cwd ?? process.cwd()];
  if (env.XDG_CONFIG_HOME) dirs.push(join(env.XDG_CONFIG_HOME, 'openstack'));
  dirs.push(join(home, '.config', 'openstack'), '/etc/openstack');
  return [...new Set(dirs)];
}

function candidates(base: string, dirs: string[]): string[] {
  return dirs.flatMap((d) => SUFFIXES.map((s) => join(d, base + s)));
}

/** Every path tried for clouds.yaml, in order (for error messages too). */
export function cloudsYamlCandidates(opts: SearchEnv = {}): string[] {
  const env = opts.env ?? process.env;
  const override = env.OS_CLIENT_CONFIG_FILE ? [env.OS_CLIENT_CONFIG_FILE] : [];
  return [...override, ...candidates('clouds', configDirs(opts))];
}

/** secure.yaml: $OS_CLIENT_SECURE_FILE, then beside the clouds file, then the search path. */
export function secureYamlCandidates(cloudsFile: string | undefined, opts: SearchEnv = {}): string[] {
  const env = opts.env ?? process.env;
  const override = env.OS_CLIENT_SECURE_FILE ? [env.OS_CLIENT_SECURE_FILE] : [];
  const beside = cloudsFile ? candidates('secure', [dirname(cloudsFile)]) : [];
  return [...new Set([...override, ...beside, ...candidates('secure', configDirs(opts))])];
}

export function firstExisting(paths: string[]): string | undefined {
  return paths.find((p) => existsSync(p));
}
