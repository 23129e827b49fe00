// The whole launcher stack for end-to-end tests: a real ZooKeeper, a real Temporal dev server,
// the OpenStack simulator, and nodepool-launcher as a real child process (so it can be killed
// -9 and started again). Zuul is played by test/zuul/zuul_standin.py (kazoo).
import { after, before } from 'node:test';
import { type ChildProcess, execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
import { startTemporalDevServer, type TemporalDevServer, type TemporalDevServerOptions } from '../../tools/servers/temporal';
import { launcherRuntime } from '../../tools/servers/launcher-runtime';
import { startTemporalCluster, type TemporalCluster, type TemporalClusterOptions } from '../../tools/servers/temporal-cluster';

export interface Stack {
  dir: string;
  zkServer: ZooKeeperServer;
  /** The Temporal dev server now running (a new one after restartTemporal). */
  readonly temporal: TemporalDevServer;
  /** The Temporal cluster (PostgreSQL + one process per service) when started with `temporalCluster`. */
  readonly temporalCluster: TemporalCluster | undefined;
  sim: Simulator;
  zk: ZkSession;
  client: Client;
  configPath: string;
  /** Writes nodepool.yaml (zookeeper-servers filled in) from a config object. */
  writeConfig(config: Record<string, unknown>): void;
  /**
   * Resolves once the launcher is running. nodeArgs: extra Node.js flags (e.g. --cpu-prof for the
   * bench); args: extra nodepool-launcher flags (e.g. --shutdown-timeout).
   */
  startLauncher(extraEnv?: Record<string, string>, nodeArgs?: string[], args?: string[], opts?: Pick<LauncherOptions, 'webappPort'>): Promise<void>;
  /** Another nodepool-launcher process on the same config (logs to launcher-<name>.log). */
  startOtherLauncher(name: string, opts?: LauncherOptions): LauncherProcess;
  /**
   * nodepool-builder --fake (the fake disk-image-create) on the same config, logging to
   * builder.log; `running` resolves once it logged "builder running". The config needs images-dir.
   * Stopped with the stack.
   */
  startBuilder(opts?: { env?: Record<string, string> }): LauncherProcess;
  stopLauncher(): Promise<void>;
  killLauncher(): Promise<void>;
  launcherLog: string;
  readonly launcherPid: number | undefined;
  /** The launcher's child process (its exit code, or a signal of one's own). */
  readonly launcherProcess: ChildProcess | undefined;
  /** What the launcher's workflows say about themselves (for failure diagnostics). */
  describeWorkflows(): Promise<string>;
  /** Runs the Zuul stand-in; resolves to its JSON output. */
  zuul(args: string[], timeoutMs?: number): Promise<Record<string, unknown>>;
  /**
   * Stops the Temporal dev server, waits downMs, and starts it again on the same port and
   * database file (needs `temporalDbFile`: an in-memory server would come back empty).
   */
  restartTemporal(downMs?: number): Promise<void>;
}

export interface LauncherOptions {
  /** Extra environment for this launcher (e.g. its own STATSD_PORT). */
  env?: Record<string, string>;
  /**
   * Runs the launcher's status web app on this port of 127.0.0.1 (launchers run with --no-webapp
   * otherwise). Two launchers on one machine cannot share webapp.port, so such a launcher reads
   * its own copy of nodepool.yaml that differs only in `webapp`; writeConfig keeps it in step.
   */
  webappPort?: number;
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

/** Waits until a launcher (or builder) process logged "<what> running" after byte `from` of its log. */
async function launcherRunning(logFile: string, from: number, child: ChildProcess, what = 'launcher'): Promise<void> {
  await pollUntil(
    `${what} running`,
    async () => {
      if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
      return existsSync(logFile) && readFileSync(logFile).subarray(from).includes(`"${what} running"`);
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
  opts: { bootDelayMs?: number; zooKeeperTls?: ZooKeeperTlsStores; temporalDbFile?: boolean; temporalCluster?: boolean | TemporalClusterOptions } = {},
): Promise<StackHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'nodepool-e2e-'));
  // temporalDbFile: Temporal keeps its state in <dir>/temporal.db (SQLite), so restartTemporal
  // brings back every workflow; otherwise it is in memory
  const temporalOpts: TemporalDevServerOptions = opts.temporalDbFile ? { dbFile: join(dir, 'temporal.db') } : {};
  // one failing must not leave the other running (it would keep the test process alive)
  // temporalCluster: a real cluster (tools/servers/temporal-cluster.ts) instead of the dev server
  let cluster: TemporalCluster | undefined;
  const startTemporalForStack = async (): Promise<TemporalDevServer> => {
    if (!opts.temporalCluster) return startTemporalDevServer(temporalOpts);
    cluster = await startTemporalCluster({ dir: join(dir, 'temporal-cluster'), ...(typeof opts.temporalCluster === 'object' ? opts.temporalCluster : {}) });
    return cluster;
  };
  const [zkStarted, temporalStarted] = await Promise.allSettled([startZooKeeper(opts.zooKeeperTls ? { tls: opts.zooKeeperTls } : {}), startTemporalForStack()]);
  if (zkStarted.status === 'rejected' || temporalStarted.status === 'rejected') {
    if (zkStarted.status === 'fulfilled') await zkStarted.value.stop().catch(() => undefined);
    if (temporalStarted.status === 'fulfilled') await temporalStarted.value.stop().catch(() => undefined);
    throw zkStarted.status === 'rejected' ? zkStarted.reason : (temporalStarted as PromiseRejectedResult).reason;
  }
  const zkServerRef = zkStarted.value;
  let temporalRef: TemporalDevServer | undefined = temporalStarted.value;
  const temporalAddress = temporalRef.address;
  const temporalNamespace = temporalRef.namespace;
  // every node on the simulator's private network gets a floating IP (auto-floating-ip defaults
  // to true): no floating-IP quota, so tests with many nodes are not limited by Neutron's 50
  const sim = await startSimulator({ bootDelayMs: opts.bootDelayMs ?? 0, quotas: { floatingIps: -1 } });
  const cloudsFile = join(dir, 'clouds.yaml');
  await writeCloudsYaml(cloudsFile, sim.cloudName, sim.cloudsYaml());
  const zk = await ZkSession.connect({ servers: zkServerRef.connectString });
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace: temporalNamespace });
  const configPath = join(dir, 'nodepool.yaml');
  const launcherLog = join(dir, 'launcher.log');
  let launcher: ChildProcess | undefined;
  const others = new Set<() => ChildProcess | undefined>();
  /** A daemon beside the stack's launcher, stopped with the stack; `running` once it says so. */
  const daemon = (log: string, spawn: () => ChildProcess, what: string, stopMs: number): LauncherProcess => {
    const from = logSize(log);
    let child: ChildProcess | undefined = spawn();
    others.add(() => child);
    const running = launcherRunning(log, from, child, what);
    return {
      log,
      running,
      get pid() {
        return child?.pid;
      },
      async stop() {
        if (child) await stopProcess(child, stopMs);
        child = undefined;
      },
      async kill() {
        if (child) await killProcess(child);
        child = undefined;
      },
    };
  };
  let lastConfig: Record<string, unknown> = {};
  /** Per-launcher copies of nodepool.yaml (path → web app port), rewritten by writeConfig. */
  const ownConfigs = new Map<string, number>();
  const writeYaml = (path: string, cfg: Record<string, unknown>) => {
    // write-then-rename so the launcher never reads half a file
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, stringify(cfg));
    renameSync(tmp, path);
  };
  const withWebapp = (cfg: Record<string, unknown>, port: number) => ({ ...cfg, webapp: { port, listen_address: '127.0.0.1' } });
  /** The config file a launcher reads: the shared one, or its own copy when it runs a web app. */
  const configFor = (name: string, webappPort: number | undefined): string => {
    if (webappPort === undefined) return configPath;
    const path = join(dir, `nodepool-${name}.yaml`);
    ownConfigs.set(path, webappPort);
    writeYaml(path, withWebapp(lastConfig, webappPort));
    return path;
  };
  // as installed: bin/nodepool-launcher.js's memory settings
  const installed = launcherRuntime();
  const spawnLauncher = (logFile: string, pidFile: string, extraEnv: Record<string, string> = {}, nodeArgs: string[] = [], args: string[] = [], config = configPath) =>
    // NODEPOOL_LAUNCHER_FROM=dist: the compiled launcher as installed (`npm run build` first), for benches
    spawnServer(process.execPath, [...installed.nodeArgs, ...nodeArgs, ...launcherEntry(extraEnv.NODEPOOL_LAUNCHER_ROOT), '-c', config, '-f', ...(config === configPath ? ['--no-webapp'] : []), '-p', pidFile, ...args], logFile, {
      cwd: repoRoot,
      env: {
        ...process.env,
        ...installed.env,
        NODE_OPTIONS: '',
        TEMPORAL_ADDRESS: temporalAddress,
        TEMPORAL_NAMESPACE: temporalNamespace,
        OS_CLIENT_CONFIG_FILE: cloudsFile,
        ...extraEnv,
      },
    });
  const s: StackHandle = {
    dir,
    zkServer: zkServerRef,
    get temporalCluster() {
      return cluster;
    },
    get temporal() {
      if (!temporalRef) throw new Error('Temporal is down (restartTemporal did not bring it back)');
      return temporalRef;
    },
    sim,
    zk,
    client,
    configPath,
    launcherLog,
    get launcherPid() {
      return launcher?.pid;
    },
    get launcherProcess() {
      return launcher;
    },
    writeConfig(cfg) {
      const full = { 'zookeeper-servers': [{ host: '127.0.0.1', port: zkServerRef.port }], ...cfg };
      lastConfig = full;
      writeYaml(configPath, full);
      for (const [path, port] of ownConfigs) writeYaml(path, withWebapp(full, port));
    },
    async startLauncher(extraEnv = {}, nodeArgs = [], args = [], opts = {}) {
      const from = logSize(launcherLog);
      launcher = spawnLauncher(launcherLog, join(dir, 'launcher.pid'), extraEnv, nodeArgs, args, configFor('main', opts.webappPort));
      await launcherRunning(launcherLog, from, launcher);
    },
    startOtherLauncher(name, opts = {}) {
      const log = join(dir, `launcher-${name}.log`);
      return daemon(log, () => spawnLauncher(log, join(dir, `launcher-${name}.pid`), opts.env, [], [], configFor(name, opts.webappPort)), 'launcher', 15_000);
    },
    startBuilder(opts = {}) {
      const log = join(dir, 'builder.log');
      const args = [join(repoRoot, 'workers', 'builder.ts'), '-c', configPath, '-f', '--fake', '-p', join(dir, 'builder.pid')];
      const env = { ...process.env, NODE_OPTIONS: '', TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_NAMESPACE: temporalNamespace, OS_CLIENT_CONFIG_FILE: cloudsFile, ...opts.env };
      return daemon(log, () => spawnServer(process.execPath, ['--import', 'tsx', ...args], log, { cwd: repoRoot, env }), 'builder', 40_000);
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
    async restartTemporal(downMs = 0) {
      if (!opts.temporalDbFile) throw new Error('restartTemporal needs startStack(..., { temporalDbFile: true })');
      const port = Number(temporalAddress.split(':').pop());
      await temporalRef?.stop();
      temporalRef = undefined;
      await new Promise((r) => setTimeout(r, downMs));
      temporalRef = await startTemporalDevServer({ ...temporalOpts, port, namespace: temporalNamespace });
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
      await temporalRef?.stop();
      // the logs stay in dir; the database (megabytes after a storm) goes
      if (temporalOpts.dbFile) for (const f of ['', '-wal', '-shm']) rmSync(`${temporalOpts.dbFile}${f}`, { force: true });
      await zkServerRef.remove();
    },
  };
  s.writeConfig(config(sim.cloudName));
  return s;
}

/**
 * Gives a test file the whole stack. `setup` runs at the end of the same before() hook: with
 * Node 20, separate root-level before() hooks do not wait for each other. `opts` as startStack's
 * (e.g. `temporalDbFile: true` for restartTemporal).
 */
export function useStack(
  initialConfig: (cloud: string) => Record<string, unknown>,
  setup?: (s: Stack) => Promise<void>,
  opts: Parameters<typeof startStack>[1] = {},
): () => Stack {
  let stack: StackHandle | undefined;
  before(async () => {
    stack = await startStack(initialConfig, opts);
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

/** root: another checkout's launcher (NODEPOOL_LAUNCHER_ROOT in a launcher's env: the upgrade test's previous release). */
function launcherEntry(root?: string): string[] {
  if (root) return ['--import', 'tsx', join(root, 'workers', 'launcher.ts')];
  if (process.env.NODEPOOL_LAUNCHER_FROM === 'dist') return [join(repoRoot, 'dist', 'workers', 'launcher.js')];
  return ['--import', 'tsx', join(repoRoot, 'workers', 'launcher.ts')];
}
