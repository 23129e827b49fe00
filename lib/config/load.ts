// Entry points: text → issues/config, file → config (throws ConfigError), file → issues (for
// `nodepool config-validate`), and the mtime check that lets the daemons skip unchanged reloads.
import { buildConfig } from './build';
import { ConfigError, type ConfigIssue, errorsOf } from './errors';
import { ioIssue, mtimeNs, type ReadOptions, readWithRetry } from './read';
import { checkReferences } from './references';
import { validateSchema } from './schema';
import { applySecureEnvVars, parseSecure } from './secure';
import { ConfigSource } from './source';
import { type Env, substituteEnvVars } from './substitute';
import { type NodepoolConfig } from './types';

export interface ParseOptions {
  /** Environment for %(NODEPOOL_X) substitution; defaults to process.env. */
  env?: Env;
}

export interface TextFile {
  file: string;
  text: string;
}

function source(f: TextFile, env: Env, secret: boolean): ConfigSource {
  const sub = substituteEnvVars(f.text, env);
  return new ConfigSource(f.file, sub.text, { wholeFile: secret, substituted: sub.values });
}

/** PyYAML + str(): `release: 8.10` must become "8.10", not the number's "8.1". */
function keepReleaseText(src: ConfigSource): void {
  const images = (src.data as { diskimages?: unknown } | undefined)?.diskimages;
  if (!Array.isArray(images)) return;
  images.forEach((img: unknown, i) => {
    if (img && typeof img === 'object' && typeof (img as { release?: unknown }).release === 'number') {
      (img as { release: unknown }).release = src.sourceText(['diskimages', i, 'release']) ?? String((img as { release: number }).release);
    }
  });
}

/** Parse, validate and build from text. `config` is set only when there are no errors. */
export function parseConfigText(main: TextFile, secureFile?: TextFile, opts: ParseOptions = {}): { config?: NodepoolConfig; issues: ConfigIssue[] } {
  const env = opts.env ?? process.env;
  const src = source(main, env, false);
  const issues = [...src.issues];
  if (errorsOf(issues).length > 0) return { issues };
  keepReleaseText(src);

  const schema = validateSchema(src);
  issues.push(...schema.issues);

  let secure: ReturnType<typeof parseSecure> | undefined;
  let secureSrc: ConfigSource | undefined;
  if (secureFile) {
    secureSrc = source(secureFile, env, true);
    issues.push(...secureSrc.issues);
    if (errorsOf(secureSrc.issues).length === 0) {
      secure = parseSecure(secureSrc);
      issues.push(...secure.issues);
    }
  }
  if (!schema.raw) return { issues };
  issues.push(...checkReferences(src, schema.raw));
  if (errorsOf(issues).length > 0) return { issues };

  const config = buildConfig(schema.raw, secure?.secure);
  if (secure?.secure && secureSrc) issues.push(...applySecureEnvVars(config, secure.secure, secureSrc, main.file));
  return errorsOf(issues).length > 0 ? { issues } : { config, issues };
}

/** Reads a file, taking its mtime before the read when possible so a write during the read is
 *  noticed by the next checkRecentConfig. */
async function readTextFile(file: string, opts: ReadOptions): Promise<(TextFile & { mtime: string }) | ConfigIssue> {
  let before: string | undefined;
  try {
    before = mtimeNs(file);
  } catch {
    // missing for a moment (editor race): readWithRetry decides
  }
  try {
    const text = await readWithRetry(file, opts);
    return { file, text, mtime: before ?? mtimeNs(file) };
  } catch (e) {
    return ioIssue(file, e);
  }
}

export interface LoadOptions extends ParseOptions, ReadOptions {}

/** Every issue (errors and warnings) in the config and, if given, the secure file. */
export async function validateConfigFile(path: string, securePath?: string, opts: LoadOptions = {}): Promise<ConfigIssue[]> {
  const main = await readTextFile(path, opts);
  if ('severity' in main) return [main];
  let secure: TextFile | undefined;
  if (securePath !== undefined) {
    const s = await readTextFile(securePath, opts);
    if ('severity' in s) return [s];
    secure = s;
  }
  return parseConfigText(main, secure, opts).issues;
}

export interface LoadedConfig {
  config: NodepoolConfig;
  /** path → st_mtime_ns (decimal string) of the config and secure file, for checkRecentConfig. */
  mtimes: Record<string, string>;
  /** Non-fatal issues (deprecated keys, duplicate YAML keys, …) for the caller to log. */
  warnings: ConfigIssue[];
}

/** Load nodepool.yaml (+ secure file). Throws ConfigError listing every problem. */
export async function loadConfig(path: string, securePath?: string, opts: LoadOptions = {}): Promise<LoadedConfig> {
  const mtimes: Record<string, string> = {};
  const main = await readTextFile(path, opts);
  if ('severity' in main) throw new ConfigError([main]);
  mtimes[path] = main.mtime;
  let secure: TextFile | undefined;
  if (securePath !== undefined) {
    const s = await readTextFile(securePath, opts);
    if ('severity' in s) throw new ConfigError([s]);
    secure = s;
    mtimes[securePath] = s.mtime;
  }
  const { config, issues } = parseConfigText(main, secure, opts);
  if (!config) throw new ConfigError(issues);
  return { config, mtimes, warnings: issues };
}

/** True while neither file changed since `mtimes` was recorded (config.py checkRecentConfig). */
export function checkRecentConfig(mtimes: Readonly<Record<string, string>>, path: string, securePath?: string): boolean {
  try {
    if (mtimes[path] !== mtimeNs(path)) return false;
    return securePath === undefined || mtimes[securePath] === mtimeNs(securePath);
  } catch {
    return false; // a file vanished mid-edit: let the reload (with its retries) decide
  }
}
