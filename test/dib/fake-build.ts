// Shared set-up for activity tests: a temporary builder (images-dir, build-log-dir, TMPDIR) and a
// diskimage that runs the fake disk-image-create.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { fakeDibCommand } from '../../activities/dib/fake';
import { createDibActivities, type DibActivityDeps } from '../../activities/dib/run';
import { type BuildDiskimageInput, type BuildDiskimageResult, type DibBuildSpec, type DibDiskImage, type DibHeartbeat } from '../../activities/dib/types';

export interface FakeBuilder {
  dir: string;
  imagesDir: string;
  logDir: string;
  tmpRoot: string;
  spec: DibBuildSpec;
  env: MockActivityEnvironment;
  beats: DibHeartbeat[];
  acts: ReturnType<typeof createDibActivities>;
  /** Runs buildDiskimage in the mock activity environment. */
  build(input: BuildDiskimageInput): Promise<BuildDiskimageResult>;
  /** Files in images-dir (the fake's .done marker excluded). */
  images(): string[];
  log(buildId: string): string;
  cleanup(): void;
}

export function fakeBuilder(diskimage: Partial<DibDiskImage> = {}, deps: Partial<DibActivityDeps> = {}, retention = 7): FakeBuilder {
  const dir = mkdtempSync(join(tmpdir(), 'dib-act-'));
  const imagesDir = join(dir, 'images');
  const logDir = join(dir, 'logs');
  const tmpRoot = join(dir, 'tmp');
  const spec: DibBuildSpec = {
    diskimage: {
      name: 'fake-image',
      elements: ['fedora', 'vm'],
      release: '21',
      envVars: { FAKE_DIB_SLEEP_SECONDS: '0.1', FAKE_DIB_SIZE_BYTES: '10000' },
      secretEnvNames: [],
      formats: ['qcow2', 'raw'],
      dibCmd: fakeDibCommand(),
      buildTimeout: 60,
      ...diskimage,
    },
    elementsDir: '/opt/elements',
    imagesDir,
    buildLogDir: logDir,
    buildLogRetention: retention,
  };
  const acts = createDibActivities({
    loadSpec: (name) => (name === spec.diskimage.name ? Promise.resolve(spec) : Promise.reject(new Error(`unknown diskimage ${name}`))),
    baseEnv: { PATH: process.env.PATH, TMPDIR: tmpRoot },
    heartbeatIntervalMs: 100,
    killGraceMs: 1000,
    ...deps,
  });
  const env = new MockActivityEnvironment();
  const beats: DibHeartbeat[] = [];
  env.on('heartbeat', (d: DibHeartbeat) => beats.push(d));
  return {
    dir,
    imagesDir,
    logDir,
    tmpRoot,
    spec,
    env,
    beats,
    acts,
    build: (input) => env.run(acts.buildDiskimage, input) as Promise<BuildDiskimageResult>,
    images: () => (existsSync(imagesDir) ? readdirSync(imagesDir).filter((f) => f !== 'fake-image-create.done').sort() : []),
    log: (buildId) => readFileSync(join(logDir, `${spec.diskimage.name}-${buildId}.log`), 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Alive and not a zombie (a container's PID 1 may never reap re-parented children). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

export async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The ApplicationFailure a build rejects with (fails the test if it succeeds or throws anything else). */
export async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const e = await p.then(
    () => {
      throw new Error('expected the build to fail');
    },
    (err: unknown) => err,
  );
  if (!(e instanceof ApplicationFailure)) throw new Error(`expected an ApplicationFailure, got ${String(e)}`);
  return e;
}
