// The builder stack for end-to-end tests: a real ZooKeeper, a real Temporal dev server, the
// OpenStack simulator (two clouds.yaml entries: qcow2 and raw), and nodepool-builder --fake as a
// real child process, so it can be killed -9 and started again.
import { after, before } from 'node:test';
import { type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Client, Connection } from '@temporalio/client';
import { startSimulator, type Simulator } from '../../simulator';
import { writeCloudsYaml } from '../../simulator/clouds-yaml';
import { ZkSession } from '../../lib/zk/session';
import { spawnServer, stopProcess, killProcess } from '../../tools/servers/process';
import { repoRoot } from '../../tools/servers/paths';
import { startZooKeeper, type ZooKeeperServer } from '../../tools/servers/zookeeper';
import { startTemporalDevServer, type TemporalDevServer } from '../../tools/servers/temporal';
import { startTemporalCluster, type TemporalCluster, type TemporalClusterOptions } from '../../tools/servers/temporal-cluster';

export interface BuilderStack {
  dir: string;
  imagesDir: string;
  logDir: string;
  sim: Simulator;
  zk: ZkSession;
  client: Client;
  /** The servers (tests of unreachable ones stop and start them). */
  zkServer: ZooKeeperServer;
  temporal: TemporalDevServer;
  /** The Temporal cluster (PostgreSQL + one process per service) when started with `temporalCluster`. */
  temporalCluster: TemporalCluster | undefined;
  configPath: string;
  cloudsFile: string;
  env: Record<string, string>;
  builderLog: string;
  /** Writes nodepool.yaml (zookeeper-servers, images-dir, build-log-dir filled in). */
  writeConfig(config: Record<string, unknown>): void;
  /** `opts.fake: false` runs the real disk-image-create (or the diskimage's dib-cmd); `opts.args`: more flags. */
  startBuilder(extraEnv?: Record<string, string>, opts?: { fake?: boolean; args?: string[] }): void;
  /** The builder's child process (its exit code, or a signal of one's own). */
  readonly builderProcess: ChildProcess | undefined;
  stopBuilder(): Promise<void>;
  killBuilder(): Promise<void>;
  /** statsd lines the builder sent (a UDP listener in the test). */
  metrics: string[];
}

export const CLOUD_QCOW2 = 'sim';
export const CLOUD_RAW = 'sim-raw';

/** temporalCluster: a real Temporal cluster (tools/servers/temporal-cluster.ts) instead of the dev server. */
export function useBuilderStack(initialConfig: () => Record<string, unknown>, opts: { temporalCluster?: boolean | TemporalClusterOptions } = {}): () => BuilderStack {
  let zkServer: ZooKeeperServer | undefined;
  let temporal: TemporalDevServer | undefined;
  let cluster: TemporalCluster | undefined;
  let stack: BuilderStack | undefined;
  let builder: ChildProcess | undefined;
  let connection: Connection | undefined;
  let statsd: Socket | undefined;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodepool-builder-e2e-'));
    const startTemporal = async (): Promise<TemporalDevServer> => {
      if (!opts.temporalCluster) return startTemporalDevServer();
      // its logs stay in dir/temporal-cluster
      cluster = await startTemporalCluster({ dir: join(dir, 'temporal-cluster'), ...(typeof opts.temporalCluster === 'object' ? opts.temporalCluster : {}) });
      return cluster;
    };
    // one failing must not leave the other running (it would keep the test process alive)
    const [zkStarted, temporalStarted] = await Promise.allSettled([startZooKeeper(), startTemporal()]);
    if (zkStarted.status === 'fulfilled') zkServer = zkStarted.value;
    if (temporalStarted.status === 'fulfilled') temporal = temporalStarted.value;
    if (zkStarted.status === 'rejected') throw zkStarted.reason;
    if (temporalStarted.status === 'rejected') throw temporalStarted.reason;
    const zks = zkStarted.value;
    const tmp = temporalStarted.value;
    const imagesDir = join(dir, 'images');
    const logDir = join(dir, 'logs');
    mkdirSync(imagesDir);
    const sim = await startSimulator({ bootDelayMs: 0 });
    const cloudsFile = join(dir, 'clouds.yaml');
    await writeCloudsYaml(cloudsFile, CLOUD_QCOW2, sim.cloudsYaml());
    await writeCloudsYaml(cloudsFile, CLOUD_RAW, { ...sim.cloudsYaml(), image_format: 'raw' });
    const zk = await ZkSession.connect({ servers: zks.connectString });
    connection = await Connection.connect({ address: tmp.address });
    const client = new Client({ connection, namespace: tmp.namespace });
    const configPath = join(dir, 'nodepool.yaml');
    const builderLog = join(dir, 'builder.log');
    const metrics: string[] = [];
    statsd = createSocket('udp4');
    statsd.on('message', (m) => metrics.push(...m.toString().split('\n').filter(Boolean)));
    await new Promise<void>((r) => statsd?.bind(0, '127.0.0.1', r));
    const env: Record<string, string> = {
      TEMPORAL_ADDRESS: tmp.address,
      TEMPORAL_NAMESPACE: tmp.namespace,
      OS_CLIENT_CONFIG_FILE: cloudsFile,
      NODEPOOL_BUILDER_JANITOR_SECONDS: '2',
      NODEPOOL_BUILDER_UPLOAD_RETRY_SECONDS: '1',
      NODEPOOL_BUILDER_BUILD_RETRY_SECONDS: '2',
      NODEPOOL_BUILDER_POLL_MS: '300',
      NODEPOOL_BUILDER_GAUGE_MS: '1000',
      STATSD_HOST: '127.0.0.1',
      STATSD_PORT: String(statsd.address().port),
    };
    const s: BuilderStack = {
      dir,
      imagesDir,
      logDir,
      sim,
      zk,
      client,
      zkServer: zks,
      temporal: tmp,
      temporalCluster: cluster,
      configPath,
      cloudsFile,
      env,
      builderLog,
      metrics,
      writeConfig(config) {
        const full = {
          'zookeeper-servers': [{ host: '127.0.0.1', port: zks.port }],
          'images-dir': imagesDir,
          'build-log-dir': logDir,
          ...config,
        };
        writeFileSync(`${configPath}.tmp`, stringify(full));
        renameSync(`${configPath}.tmp`, configPath);
      },
      startBuilder(extraEnv = {}, opts = {}) {
        const fake = opts.fake === false ? [] : ['--fake'];
        builder = spawnServer(
          process.execPath,
          ['--import', 'tsx', join(extraEnv.NODEPOOL_BUILDER_ROOT ?? repoRoot, 'workers', 'builder.ts'), '-c', configPath, '-f', ...fake, '-p', join(dir, 'builder.pid'), ...(opts.args ?? [])],
          builderLog,
          { cwd: repoRoot, env: { ...process.env, NODE_OPTIONS: '', ...env, ...extraEnv } },
        );
      },
      get builderProcess() {
        return builder;
      },
      async stopBuilder() {
        if (builder) await stopProcess(builder, 40_000);
        builder = undefined;
      },
      async killBuilder() {
        if (builder) await killProcess(builder);
        builder = undefined;
      },
    };
    s.writeConfig(initialConfig());
    stack = s;
  });

  after(async () => {
    if (builder) await stopProcess(builder, 15_000);
    await stack?.zk.close();
    await connection?.close();
    await stack?.sim.stop();
    await temporal?.stop();
    await zkServer?.remove();
    statsd?.close();
  });

  return () => {
    if (!stack) throw new Error('builder stack not started');
    return stack;
  };
}

export { eventually } from '../harness/stack';
