// The whole launcher stack for end-to-end tests: a real ZooKeeper, a real Temporal dev server,
// the OpenStack simulator, and nodepool-launcher as a real child process (so it can be killed
// -9 and started again). Zuul is played by test/zuul/zuul_standin.py (kazoo).
import { after, before } from 'node:test';
import { type ChildProcess, execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { Client, Connection } from '@temporalio/client';
import { startSimulator, type Simulator } from '../../simulator';
import { writeCloudsYaml } from '../../simulator/clouds-yaml';
import { ZkSession } from '../../lib/zk/session';
import { spawnServer, stopProcess, killProcess } from '../../tools/servers/process';
import { venvPython, repoRoot } from '../../tools/servers/paths';
import { eventually as pollUntil } from './eventually';
import { startZooKeeper, type ZooKeeperServer, type ZooKeeperTlsStores } from '../../tools/servers/zookeeper';
import { startTemporalDevServer, type TemporalDevServer } from '../../tools/servers/temporal';

export interface Stack {
  dir: string;
  zkServer: ZooKeeperServer;
  temporal: TemporalDevServer;
  sim: Simulator;
  zk: ZkSession;
  client: Client;
  configPath: string;
  /** Writes nodepool.yaml (zookeeper-servers filled in) from a config object. */
  writeConfig(config: Record<string, unknown>): void;
  /** Resolves once the launcher is running. nodeArgs: extra Node.js flags (e.g. --cpu-prof for the bench). */
  startLauncher(extraEnv?: Record<string, string>, nodeArgs?: string[]): Promise<void>;
  /** Another nodepool-launcher process on the same config (logs to launcher-<name>.log). */
  startOtherLauncher(name: string): LauncherProcess;
  stopLauncher(): Promise<void>;
  killLauncher(): Promise<void>;
  launcherLog: string;
  readonly launcherPid: number | undefined;
  /** What the launcher's workflows say about themselves (for failure diagnostics). */
  describeWorkflows(): Promise<string>;
  /** Runs the Zuul stand-in; resolves to its JSON output. */
  zuul(args: string[], timeoutMs?: number): Promise<Record<string, unknown>>;
}

export interface LauncherProcess {
  readonly pid: number | undefined;
  log: string;
  /** Resolves once it logged "launcher running" (admission is on from then). */
  running: Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export interface StackHandle extends Stack {
  /** Stops the launcher, the simulator and the servers. */
  stop(): Promise<void>;
}

const logSize = (file: string): number => (existsSync(file) ? statSync(file).size : 0);

/** Waits until a launcher process logged "launcher running" after byte `from` of its log. */
async function launcherRunning(logFile: string, from: number, child: ChildProcess): Promise<void> {
  await pollUntil(
    'launcher running',
    async () => {
      if (child.exitCode !== null) throw new Error(`launcher exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
      return existsSync(logFile) && readFileSync(logFile).subarray(from).includes('"launcher running"');
    },
    90_000,
    100,
  );
}

/**
 * Starts the whole stack (servers in parallel) with nodepool.yaml made from `config`.
 * zooKeeperTls: ZooKeeper also listens on a TLS port (zkServer.securePort), e.g. for a Nodepool 11
 * launcher beside ours (Nodepool only speaks TLS); the stack itself keeps to the plain port.
 */
export async function startStack(
  config: (cloud: string) => Record<string, unknown>,
  opts: { bootDelayMs?: number; zooKeeperTls?: ZooKeeperTlsStores } = {},
): Promise<StackHandle> {
  // one failing must not leave the other running (it would keep the test process alive)
  const [zkStarted, temporalStarted] = await Promise.allSettled([startZooKeeper(opts.zooKeeperTls ? { tls: opts.zooKeeperTls } : {}), startTemporalDevServer()]);
  if (zkStarted.status === 'rejected' || temporalStarted.status === 'rejected') {
    if (zkStarted.status === 'fulfilled') await zkStarted.value.stop().catch(() => undefined);
    if (temporalStarted.status === 'fulfilled') await temporalStarted.value.stop().catch(() => undefined);
    throw zkStarted.status === 'rejected' ? zkStarted.reason : (temporalStarted as PromiseRejectedResult).reason;
  }
  const zkServerRef = zkStarted.value;
  const temporalRef = temporalStarted.value;
  const dir = mkdtempSync(join(tmpdir(), 'nodepool-e2e-'));
  // every node on the simulator's private network gets a floating IP (auto-floating-ip defaults
  // to true): no floating-IP quota, so tests with many nodes are not limited by Neutron's 50
  const sim = await startSimulator({ bootDelayMs: opts.bootDelayMs ?? 0, quotas: { floatingIps: -1 } });
  const cloudsFile = join(dir, 'clouds.yaml');
  await writeCloudsYaml(cloudsFile, sim.cloudName, sim.cloudsYaml());
  const zk = await ZkSession.connect({ servers: zkServerRef.connectString });
  const connection = await Connection.connect({ address: temporalRef.address });
  const client = new Client({ connection, namespace: temporalRef.namespace });
  const configPath = join(dir, 'nodepool.yaml');
  const launcherLog = join(dir, 'launcher.log');
  let launcher: ChildProcess | undefined;
  const others = new Set<() => ChildProcess | undefined>();
  const spawnLauncher = (logFile: string, pidFile: string, extraEnv: Record<string, string> = {}, nodeArgs: string[] = []) =>
    // NODEPOOL_LAUNCHER_FROM=dist: the compiled launcher as installed (`npm run build` first), for benches
    spawnServer(process.execPath, [...nodeArgs, ...launcherEntry(), '-c', configPath, '-f', '--no-webapp', '-p', pidFile], logFile, {
      cwd: repoRoot,
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        TEMPORAL_ADDRESS: temporalRef.address,
        TEMPORAL_NAMESPACE: temporalRef.namespace,
        OS_CLIENT_CONFIG_FILE: cloudsFile,
        ...extraEnv,
      },
    });
  const s: StackHandle = {
    dir,
    zkServer: zkServerRef,
    temporal: temporalRef,
    sim,
    zk,
    client,
    configPath,
    launcherLog,
    get launcherPid() {
      return launcher?.pid;
    },
    writeConfig(cfg) {
      const full = { 'zookeeper-servers': [{ host: '127.0.0.1', port: zkServerRef.port }], ...cfg };
      // write-then-rename so the launcher never reads half a file
      const tmp = `${configPath}.tmp`;
      writeFileSync(tmp, stringify(full));
      renameSync(tmp, configPath);
    },
    async startLauncher(extraEnv = {}, nodeArgs = []) {
      const from = logSize(launcherLog);
      launcher = spawnLauncher(launcherLog, join(dir, 'launcher.pid'), extraEnv, nodeArgs);
      await launcherRunning(launcherLog, from, launcher);
    },
    startOtherLauncher(name) {
      const log = join(dir, `launcher-${name}.log`);
      const from = logSize(log);
      let child: ChildProcess | undefined = spawnLauncher(log, join(dir, `launcher-${name}.pid`));
      others.add(() => child);
      const running = launcherRunning(log, from, child);
      return {
        log,
        running,
        get pid() {
          return child?.pid;
        },
        async stop() {
          if (child) await stopProcess(child, 15_000);
          child = undefined;
        },
        async kill() {
          if (child) await killProcess(child);
          child = undefined;
        },
      };
    },
    async stopLauncher() {
      if (launcher) await stopProcess(launcher, 15_000);
      launcher = undefined;
    },
    async killLauncher() {
      if (launcher) await killProcess(launcher);
      launcher = undefined;
    },
    async describeWorkflows() {
      const lines: string[] = [];
      for await (const wf of client.workflow.list()) {
        let status = '';
        try {
          if (wf.type === 'nodeWorkflow') status = JSON.stringify(await client.workflow.getHandle(wf.workflowId).query('status'));
        } catch (err) {
          status = `(query failed: ${(err as Error).message})`;
        }
        lines.push(`${wf.workflowId} ${wf.status.name} ${status}`);
      }
      return lines.join('\n');
    },
    zuul(args, timeoutMs = 120_000) {
      return new Promise((resolvePromise, reject) => {
        execFile(
          venvPython(),
          [resolve(repoRoot, 'test', 'zuul', 'zuul_standin.py'), '--hosts', zkServerRef.connectString, ...args],
          { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
          (err, stdout, stderr) => {
            if (err && !stdout) return reject(new Error(`zuul stand-in failed: ${err.message}\n${stderr}`));
            try {
              resolvePromise(JSON.parse(stdout) as Record<string, unknown>);
            } catch {
              reject(new Error(`zuul stand-in printed no JSON:\n${stdout}\n${stderr}`));
            }
          },
        );
      });
    },
    async stop() {
      for (const other of others) {
        const child = other();
        if (child) await stopProcess(child, 15_000);
      }
      if (launcher) await stopProcess(launcher, 15_000);
      await zk.close();
      await connection.close();
      await sim.stop();
      await temporalRef.stop();
      await zkServerRef.remove();
    },
  };
  s.writeConfig(config(sim.cloudName));
  return s;
}

/**
 * Gives a test file the whole stack. `setup` runs at the end of the same before() hook: with
 * Node 20, separate root-level before() hooks do not wait for each other.
 */
export function useStack(initialConfig: (cloud: string) => Record<string, unknown>, setup?: (s: Stack) => Promise<void>): () => Stack {
  let stack: StackHandle | undefined;
  before(async () => {
    stack = await startStack(initialConfig);
    if (setup) await setup(stack);
  });
  after(async () => {
    await stack?.stop();
  });
  return () => {
    if (!stack) throw new Error('stack not started');
    return stack;
  };
}

/** End-to-end waits: a minute by default, polling every 200 ms (checks may spawn the Zuul stand-in). */
export function eventually<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  return pollUntil(what, check, timeoutMs, 200);
}

/** Runs `fn`; on failure adds the launcher's log tail and what its workflows say to the report. */
export async function withDiagnostics<T>(s: Stack, t: { diagnostic(m: string): void }, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    t.diagnostic(readFileSync(s.launcherLog, 'utf8').slice(-4000));
    t.diagnostic((await s.describeWorkflows()).slice(0, 6000));
    throw err;
  }
}

function launcherEntry(): string[] {
  if (process.env.NODEPOOL_LAUNCHER_FROM === 'dist') return [join(repoRoot, 'dist', 'workers', 'launcher.js')];
  return ['--import', 'tsx', join(repoRoot, 'workers', 'launcher.ts')];
}
