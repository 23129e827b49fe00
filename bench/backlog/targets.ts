// The launchers bench/backlog.ts can measure, each on a fresh ZooKeeper and OpenStack simulator:
//   ours:        test/harness/stack.ts (Temporal dev server + nodepool-launcher child process);
//                with `cluster`, a real Temporal cluster instead of the dev server
//                (tools/servers/temporal-cluster.ts: PostgreSQL + frontend, history, matching and
//                worker processes), each of its processes watched on its own;
//   Nodepool 11: `nodepool-launcher` from a Python venv (pip install nodepool==11.0.0 cachetools).
//                Nodepool only talks to ZooKeeper over TLS, so that ZooKeeper also listens on a
//                TLS port (test/harness/tls.ts certificates); the bench itself uses the plain one.
import { type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type Client } from '@temporalio/client';
import { startStack } from '../../test/harness/stack';
import { makeTestTls, type TestTls } from '../../test/harness/tls';
import { startSimulator, type Simulator } from '../../simulator';
import { writeCloudsYaml } from '../../simulator/clouds-yaml';
import { ZkSession } from '../../lib/zk/session';
import { isNoNode } from '../../lib/zk/errors';
import { componentKindPath } from '../../lib/zk/paths';
import { startZooKeeper, type ZooKeeperServer } from '../../tools/servers/zookeeper';
import { freePort, spawnServer, stopProcess } from '../../tools/servers/process';
import { temporalClusterBinaries, temporalServerVersion } from '../../tools/servers/temporal-cluster';
import { clusterWatched, findZooKeeperPid, type ClusterPart, type Watched } from './measure';

export interface TargetOptions {
  label: string;
  provider: string;
  pool: string;
  maxServers: number;
  bootDelayMs: number;
  /** Ours on a Temporal cluster instead of the dev server. */
  cluster?: boolean;
}

export interface Target {
  /** For the description line, e.g. "our launcher". */
  what: string;
  /** The bench's session for reading (plain port). */
  zk: ZkSession;
  zkServer: ZooKeeperServer;
  /** The processes whose CPU time counts (`temporal`: the dev server, or the whole cluster as one). */
  pids: { launcher?: number; temporal?: Watched; zookeeper?: number };
  /** A Temporal cluster's processes one by one (frontend, history, matching, worker, PostgreSQL with its backends). */
  temporalParts?: Record<ClusterPart, Watched>;
  /** Temporal, when the launcher uses it. */
  temporal?: Client;
  launcherLog: string;
  stop(): Promise<void>;
}

/** nodepool.yaml without the zookeeper settings (the same for both launchers). */
function launcherConfig(cloud: string, o: TargetOptions): Record<string, unknown> {
  return {
    labels: [{ name: o.label }],
    providers: [
      {
        name: o.provider,
        cloud,
        rate: 0,
        'cloud-images': [{ name: 'noble', 'image-name': 'ubuntu-noble' }],
        pools: [{ name: o.pool, 'max-servers': o.maxServers, 'host-key-checking': false, labels: [{ name: o.label, 'cloud-image': 'noble', 'flavor-name': 'm1.tiny' }] }],
      },
    ],
  };
}

async function prepareCloud(sim: Simulator): Promise<void> {
  await sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
  await sim.admin.setQuotas({ instances: -1, cores: -1, ram: -1 });
}

/** Resolves once the launcher has registered a pool component (it is ready for requests). */
async function waitForPool(zk: ZkSession, child: () => ChildProcess | undefined, log: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      if ((await zk.getChildren(componentKindPath('pool'))).length > 0) return;
    } catch (e) {
      if (!isNoNode(e)) throw e;
    }
    const c = child();
    if (c && c.exitCode !== null) throw new Error(`the launcher exited (${c.exitCode}); see ${log}`);
    if (Date.now() > deadline) throw new Error(`the launcher registered no pool within 120 s; see ${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Throws, saying how to build it, when the cluster's binaries are missing (before anything is started). */
export function checkClusterBinaries(): void {
  const bins = temporalClusterBinaries();
  if ('missing' in bins) throw new Error(`the Temporal cluster cannot be started: ${bins.missing}; it takes 5–10 minutes, once per machine`);
}

export async function startOurLauncher(o: TargetOptions): Promise<Target> {
  if (o.cluster) checkClusterBinaries();
  const stack = await startStack((cloud) => launcherConfig(cloud, o), { bootDelayMs: o.bootDelayMs, temporalCluster: !!o.cluster });
  try {
    await prepareCloud(stack.sim);
    await stack.startLauncher();
    await waitForPool(stack.zk, () => undefined, stack.launcherLog);
  } catch (e) {
    await stack.stop();
    throw e;
  }
  const cluster = stack.temporalCluster ? clusterWatched(stack.temporalCluster) : undefined;
  return {
    what: cluster ? `our launcher on a Temporal cluster ${temporalServerVersion()} (frontend, history, matching, worker + PostgreSQL)` : 'our launcher on the Temporal dev server',
    zk: stack.zk,
    zkServer: stack.zkServer,
    pids: { launcher: stack.launcherPid, temporal: cluster ? cluster.all : stack.temporal.pid, zookeeper: findZooKeeperPid(stack.zkServer) },
    ...(cluster ? { temporalParts: cluster.parts } : {}),
    temporal: stack.client,
    launcherLog: stack.launcherLog,
    stop: () => stack.stop(),
  };
}

/** Where a venv keeps Nodepool's launcher; throws with how to install it when it is missing. */
export function nodepoolLauncherBin(venv: string): string {
  const bin = join(venv, 'bin', 'nodepool-launcher');
  if (!existsSync(bin)) throw new Error(`${bin} not found (python3 -m venv ${venv} && ${venv}/bin/pip install nodepool==11.0.0 cachetools)`);
  return bin;
}

export interface NodepoolLauncherOptions {
  venv: string;
  /** Its nodepool.yaml, launcher.log and launcher.pid go here. */
  dir: string;
  /** A ZooKeeper started with TLS (securePort); the certificates of `tls` (test/harness/tls.ts). */
  zkServer: ZooKeeperServer;
  tls: TestTls;
  cloudsFile: string;
  /** nodepool.yaml without the zookeeper and webapp settings. */
  config: Record<string, unknown>;
  /** File name of its config in `dir` (default nodepool.yaml) and log (default launcher.log). */
  configName?: string;
  logName?: string;
}

/**
 * Writes a nodepool.yaml for Nodepool's launcher (TLS ZooKeeper, a free webapp port, `config`) and
 * starts `nodepool-launcher -f` on it. The caller stops the child (stopProcess).
 */
export async function spawnNodepoolLauncher(o: NodepoolLauncherOptions): Promise<{ child: ChildProcess; configPath: string; launcherLog: string }> {
  const bin = nodepoolLauncherBin(o.venv);
  if (!o.zkServer.securePort) throw new Error('Nodepool needs a ZooKeeper with a TLS port (startZooKeeper({ tls }))');
  const configPath = join(o.dir, o.configName ?? 'nodepool.yaml');
  writeFileSync(
    configPath,
    stringify({
      'zookeeper-servers': [{ host: '127.0.0.1', port: o.zkServer.securePort }],
      'zookeeper-tls': { ca: o.tls.ca, cert: o.tls.cert, key: o.tls.key },
      webapp: { port: await freePort(), listen_address: '127.0.0.1' },
      ...o.config,
    }),
  );
  const logName = o.logName ?? 'launcher.log';
  const launcherLog = join(o.dir, logName);
  const child = spawnServer(bin, ['-c', configPath, '-f', '-p', join(o.dir, logName.replace(/\.log$/, '.pid'))], launcherLog, {
    cwd: o.dir,
    env: { ...process.env, OS_CLIENT_CONFIG_FILE: o.cloudsFile, PYTHONUNBUFFERED: '1' },
  });
  return { child, configPath, launcherLog };
}

export async function startNodepool(venv: string, o: TargetOptions): Promise<Target> {
  nodepoolLauncherBin(venv);
  const tls = makeTestTls();
  const cleanups: Array<() => Promise<void> | void> = [() => tls.remove()];
  const stop = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  };
  try {
    const zkServer = await startZooKeeper({ tls: tls.stores });
    cleanups.push(() => zkServer.remove());
    const sim = await startSimulator({ bootDelayMs: o.bootDelayMs });
    cleanups.push(() => sim.stop());
    await prepareCloud(sim);
    const dir = mkdtempSync(join(tmpdir(), 'backlog-nodepool-'));
    const cloudsFile = join(dir, 'clouds.yaml');
    await writeCloudsYaml(cloudsFile, sim.cloudName, sim.cloudsYaml());
    const zk = await ZkSession.connect({ servers: zkServer.connectString });
    cleanups.push(() => zk.close());
    const { child, launcherLog } = await spawnNodepoolLauncher({ venv, dir, zkServer, tls, cloudsFile, config: launcherConfig(sim.cloudName, o) });
    cleanups.push(() => stopProcess(child, 15_000));
    await waitForPool(zk, () => child, launcherLog);
    return {
      what: `Nodepool ${venv}`,
      zk,
      zkServer,
      pids: { launcher: child.pid, zookeeper: findZooKeeperPid(zkServer) },
      launcherLog,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
