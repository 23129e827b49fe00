// Nodepool's DIB command line and environment (builder.py _buildImage), as a pure function:
//   <dib-cmd> -x -t <fmt,…> --checksum --no-tmpfs [--qemu-img-options compat=0.10] -o <base> <elements…>
// Environment: the worker's own, plus DIB_RELEASE, DIB_IMAGE_NAME, DIB_IMAGE_FILENAME,
// ELEMENTS_PATH (only if elements-dir is set), then the diskimage env-vars (secure file's win).
// Nodepool always passes --no-tmpfs and --checksum; TMPDIR and DIB_IMAGE_CACHE come only from
// env-vars. Differences, on purpose: formats are sorted (Nodepool joins a Python set, so its
// order is arbitrary), argv is built as a list (Nodepool shlex-splits the whole string, so a path
// with a space broke it), and TMPDIR points at a per-build directory under the effective TMPDIR
// so a failed build's mounts and loop devices can be found and removed (see cleanup.ts).
import { join } from 'node:path';
import { shlexSplit } from './shlex';
import { type DibBuildSpec } from './types';

export interface DibCommandOptions {
  buildId: string;
  /** Formats to build; default spec.diskimage.formats. */
  formats?: readonly string[];
  /** The worker's environment (default: none, for tests). */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /** What `%p` in dib-cmd expands to (Nodepool: its package directory). */
  packageDir?: string;
  /** Parent of the per-build TMPDIR; default: the effective TMPDIR (env-vars, worker, /tmp). */
  tmpRoot?: string;
}

export interface DibCommand {
  /** argv[0] is the program. */
  argv: string[];
  /** The complete environment for the process. Holds secrets: never log or return it. */
  env: Record<string, string>;
  /** <images-dir>/<image>-<build-id>; DIB writes <base>.<format> and <base>.d/. */
  outputBase: string;
  /** The per-build TMPDIR (removed after the build). */
  tmpDir: string;
  formats: string[];
  /** Names Nodepool adds to the environment, sorted (safe to show). */
  envNames: string[];
  /** Values to blank out of anything shown (secure env-vars). */
  secretValues: string[];
}

export const QEMU_COMPAT_OPTIONS = ['--qemu-img-options', 'compat=0.10'];

export function buildDibCommand(spec: DibBuildSpec, opts: DibCommandOptions): DibCommand {
  const d = spec.diskimage;
  const formats = [...new Set(opts.formats ?? d.formats)].sort();
  if (formats.length === 0) throw new Error(`diskimage ${d.name}: no formats to build`);
  const outputBase = join(spec.imagesDir, `${d.name}-${opts.buildId}`);

  const added: Record<string, string> = {
    DIB_RELEASE: d.release,
    DIB_IMAGE_NAME: d.name,
    DIB_IMAGE_FILENAME: outputBase,
  };
  if (spec.elementsDir) added.ELEMENTS_PATH = spec.elementsDir;
  Object.assign(added, d.envVars);

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.baseEnv ?? {})) if (v !== undefined) env[k] = v;
  Object.assign(env, added);
  const tmpRoot = opts.tmpRoot ?? env.TMPDIR ?? '/tmp';
  const tmpDir = join(tmpRoot, `nodepool-dib-${d.name}-${opts.buildId}`);
  env.TMPDIR = tmpDir;

  const joined = formats.join(',');
  const argv = [
    ...shlexSplit(d.dibCmd.replaceAll('%p', opts.packageDir ?? '')),
    '-x',
    '-t',
    joined,
    '--checksum',
    '--no-tmpfs',
    // Nodepool: "HP Cloud requires qemu compat with 0.10", added whenever qcow2 is in the list.
    ...(joined.includes('qcow2') ? QEMU_COMPAT_OPTIONS : []),
    '-o',
    outputBase,
    ...d.elements.flatMap((e) => e.split(/\s+/)).filter((e) => e !== ''),
  ];
  if (argv.length === 0 || argv[0] === '-x') throw new Error(`diskimage ${d.name}: empty dib-cmd`);

  const secretValues = d.secretEnvNames.map((n) => d.envVars[n]).filter((v): v is string => typeof v === 'string' && v !== '');
  return { argv, env, outputBase, tmpDir, formats, envNames: [...new Set([...Object.keys(added), 'TMPDIR'])].sort(), secretValues };
}

/** The command as one line for logs (argv only: it never contains env values). */
export function displayCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'"'"'`)}'`)).join(' ');
}
