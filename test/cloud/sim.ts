// Test helper: a simulator started in before() and stopped in after(), with a clouds.yaml written
// for it and an OpenStackProvider built from that file the way the launcher will build it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { OpenStackProvider, type OpenStackProviderOptions } from '../../drivers/openstack/adapter';
import { loadCloud } from '../../lib/cloud/clouds-yaml';
import { type Simulator, startSimulator, writeCloudsYaml, type SimulatorOptions } from '../../simulator';

export interface SimFixture {
  sim: Simulator;
  dir: string;
  cloudsFile: string;
  /** A provider on the simulator (rate 0 unless given, short timeouts for the fault tests). */
  provider(opts?: Partial<Omit<OpenStackProviderOptions, 'cloud'>> & { cloudName?: string }): OpenStackProvider;
}

export function useSimulator(opts: SimulatorOptions = {}): () => SimFixture {
  let fx: SimFixture | undefined;
  before(async () => {
    const sim = await startSimulator({ bootDelayMs: 50, deleteDelayMs: 50, ...opts });
    const dir = mkdtempSync(join(tmpdir(), 'cloud-test-'));
    const cloudsFile = join(dir, 'clouds.yaml');
    await writeCloudsYaml(cloudsFile, sim.cloudName, sim.cloudsYaml());
    fx = {
      sim,
      dir,
      cloudsFile,
      provider: (p = {}) =>
        new OpenStackProvider({
          name: 'sim',
          rate: 0,
          requestTimeoutMs: 3000,
          imagePollMs: 50,
          ...p,
          cloud: loadCloud({ cloud: p.cloudName ?? sim.cloudName, file: cloudsFile, env: {}, cwd: dir, home: dir }),
        }),
    };
  });
  after(async () => {
    await fx?.sim.stop();
    if (fx) rmSync(fx.dir, { recursive: true, force: true });
  });
  return () => {
    if (!fx) throw new Error('simulator not started (useSimulator must be called at module level)');
    return fx;
  };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
