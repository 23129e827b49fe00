// `npm run dev` / `npm run demo`: the whole stack on this machine, on embedded defaults.
//   dev:  Temporal dev server (with its Web UI), ZooKeeper and the OpenStack simulator.
//   demo: the same plus nodepool-launcher and nodepool-builder (fake diskimage-builder) with a
//         sample nodepool.yaml whose min-ready makes nodes appear; prints what is launching.
//   --cluster (either mode, `npm run dev -- --cluster`): Temporal on a real cluster instead of
//         the dev server (tools/servers/temporal-cluster.ts: PostgreSQL and the frontend,
//         history, matching and worker services as separate processes, the version in
//         tools/temporal-server.version, built by tools/setup-temporal-cluster) with Temporal's
//         UI server beside it (tools/servers/temporal-ui.ts, when built); its database is thrown
//         away on exit, so its state starts afresh every time.
// State lives in tools/.state/<mode>/ (delete it, or pass --fresh, to start over; with --cluster
// tools/.state/<mode>-cluster/, always fresh). Ctrl-C stops all, in order; a second Ctrl-C kills.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { startZooKeeper } from './servers/zookeeper';
import { startTemporalDevServer, type TemporalDevServer } from './servers/temporal';
import { startTemporalCluster, temporalClusterBinaries, temporalServerVersion, type TemporalCluster } from './servers/temporal-cluster';
import { startTemporalUi, temporalUiBinary, temporalUiVersion, type TemporalUi } from './servers/temporal-ui';
import { freePort, spawnServer, stopProcess, tcpReachable } from './servers/process';
import { launcherRuntime } from './servers/launcher-runtime';
import { repoRoot, temporalBin } from './servers/paths';
import { startSimulator } from '../simulator';
import { writeCloudsYaml } from '../simulator/clouds-yaml';
import { ZkSession } from '../lib/zk/session';
import { nodeList } from '../lib/status/nodes';

async function portOr(preferred: number): Promise<number> {
  return (await tcpReachable('127.0.0.1', preferred, 300)) ? freePort() : preferred;
}

function demoConfig(zkPort: number, cloud: string, webPort: number, stateDir: string): Record<string, unknown> {
  return {
    'zookeeper-servers': [{ host: '127.0.0.1', port: zkPort }],
    webapp: { port: webPort, listen_address: '127.0.0.1' },
    'images-dir': join(stateDir, 'images'),
    'build-log-dir': join(stateDir, 'build-logs'),
    labels: [
      { name: 'debian-bookworm', 'min-ready': 2 },
      { name: 'ubuntu-noble', 'min-ready': 1 },
    ],
    diskimages: [{ name: 'debian-bookworm', elements: ['debian-minimal', 'nodepool-minimal'], release: 'bookworm', 'rebuild-age': 86400 }],
    providers: [
      {
        name: 'demo-cloud',
        cloud,
        'region-name': 'RegionOne',
        rate: 0.05,
        'boot-timeout': 60,
        diskimages: [{ name: 'debian-bookworm' }],
        'cloud-images': [{ name: 'ubuntu-noble', 'image-name': 'ubuntu-noble' }],
        pools: [
          {
            name: 'main',
            'max-servers': 8,
            'host-key-checking': false,
            networks: ['private'],
            labels: [
              { name: 'debian-bookworm', diskimage: 'debian-bookworm', 'flavor-name': 'm1.small' },
              { name: 'ubuntu-noble', 'cloud-image': 'ubuntu-noble', 'min-ram': 2048 },
            ],
          },
        ],
      },
    ],
  };
}

/** The `temporal` CLI (tools/venv), for the hint printed with --cluster; undefined when it is not installed. */
function temporalCli(): string | undefined {
  try {
    return relative(process.cwd(), temporalBin()) || temporalBin();
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const demo = process.argv.includes('--demo');
  const cluster = process.argv.includes('--cluster');
  const say = (s: string) => process.stdout.write(`${s}\n`);
  if (cluster) {
    const bins = temporalClusterBinaries();
    if ('missing' in bins) {
      process.stderr.write(
        `--cluster needs the Temporal server ${temporalServerVersion()} built for this machine: ${bins.missing}.\n` +
          'Build it once (5–10 minutes on 2 cores, cached in ~/.cache/temporal-nodepool/) with:\n' +
          '  bash tools/setup-temporal-cluster\n' +
          '(tools/setup does it too, unless NODEPOOL_TEMPORAL_CLUSTER=0), or leave --cluster out to use the dev server.\n',
      );
      process.exit(1);
    }
  }
  const mode = `${demo ? 'demo' : 'dev'}${cluster ? '-cluster' : ''}`;
  const stateDir = join(repoRoot, 'tools', '.state', mode);
  // the cluster's PostgreSQL lives in a temporary folder that goes on exit: ZooKeeper's nodes and
  // the simulator's servers from an earlier run would name workflows that no longer exist
  if (cluster || process.argv.includes('--fresh')) rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });

  const zkPort = await portOr(2181);
  const temporalPort = await portOr(7233);
  const uiPort = await portOr(8233);
  const simPort = await portOr(5000);
  const webPort = await portOr(8005);
  say(`starting ZooKeeper, ${cluster ? `a Temporal cluster (${temporalServerVersion()}: PostgreSQL, frontend, history, matching, worker)` : 'Temporal'} and the OpenStack simulator...`);
  const clusterDir = join(stateDir, 'temporal-cluster');
  let temporalCluster: TemporalCluster | undefined;
  let clusterUi: TemporalUi | undefined;
  const uiBinary = cluster ? temporalUiBinary() : undefined;
  const startTemporal = async (): Promise<TemporalDevServer> => {
    if (!cluster) return startTemporalDevServer({ port: temporalPort, ui: true, uiPort, dbFile: join(stateDir, 'temporal.db') });
    temporalCluster = await startTemporalCluster({ dir: clusterDir });
    if (uiBinary && !('missing' in uiBinary)) clusterUi = await startTemporalUi({ address: temporalCluster.address, namespace: temporalCluster.namespace, dir: clusterDir, port: uiPort });
    return temporalCluster;
  };
  const [zk, temporal] = await Promise.all([startZooKeeper({ port: zkPort, dataDir: join(stateDir, 'zookeeper') }), startTemporal()]);
  const sim = await startSimulator({ port: simPort, stateFile: join(stateDir, 'simulator.json'), bootDelayMs: 3000 });
  const cloudsFile = join(stateDir, 'clouds.yaml');
  await writeCloudsYaml(cloudsFile, sim.cloudName, sim.cloudsYaml());
  if (!(await sim.admin.state()).images.some((i) => i.name === 'ubuntu-noble')) {
    await sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
  }

  const children: ReturnType<typeof spawnServer>[] = [];
  const configPath = join(stateDir, 'nodepool.yaml');
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    OS_CLIENT_CONFIG_FILE: cloudsFile,
  };
  if (demo) {
    writeFileSync(configPath, stringify(demoConfig(zk.port, sim.cloudName, webPort, stateDir)));
    const bin = (name: string) => join(repoRoot, 'bin', `${name}.js`);
    // through node, as the builder is, but with the installed launcher's memory settings
    const launcher = launcherRuntime();
    children.push(
      spawnServer(process.execPath, [...launcher.nodeArgs, bin('nodepool-launcher'), '-f', '-c', configPath, '-p', join(stateDir, 'launcher.pid')], join(stateDir, 'launcher.log'), {
        env: { ...env, ...launcher.env },
      }),
    );
    children.push(
      spawnServer(process.execPath, [bin('nodepool-builder'), '-f', '--fake', '-c', configPath, '-p', join(stateDir, 'builder.pid')], join(stateDir, 'builder.log'), { env }),
    );
  }

  say('');
  say(`Temporal:          ${temporal.address} (namespace ${temporal.namespace})`);
  if (temporalCluster) {
    const c = temporalCluster;
    const ports = (['frontend', 'history', 'matching', 'worker'] as const).map((s) => `${s} ${c.ports[s].grpc}`).join(', ');
    say(`Temporal cluster:  ${temporalServerVersion()}, up in ${(c.timings.totalMs / 1000).toFixed(1)} s; gRPC ports ${ports}`);
    say(`PostgreSQL:        127.0.0.1:${c.ports.postgres} (user temporal, databases temporal and temporal_visibility; gone on exit)`);
    say(`Temporal logs:     ${relative(process.cwd(), clusterDir) || clusterDir}/{frontend,history,matching,worker,postgres}.log`);
    const cli = temporalCli();
    if (clusterUi) say(`Temporal Web UI:   ${clusterUi.url} (ui-server ${temporalUiVersion()})`);
    else say(`Temporal Web UI:   none (${uiBinary && 'missing' in uiBinary ? uiBinary.missing : 'not started'})${cli ? `; ${cli} workflow list --address ${temporal.address}` : ''}`);
  } else {
    say(`Temporal Web UI:   ${temporal.uiUrl}`);
  }
  say(`ZooKeeper:         ${zk.connectString}`);
  say(`OpenStack:         ${sim.authUrl} (cloud "${sim.cloudName}" in ${cloudsFile})`);
  if (demo) {
    say(`status web app:    http://127.0.0.1:${webPort}/node-list`);
    say(`logs:              ${stateDir}/{launcher,builder}.log`);
    say('');
    say('In another shell:');
    say(`  npx nodepool -c ${configPath} list`);
    say(`  npx nodepool -c ${configPath} dib-image-list`);
    say(`  TEMPORAL_ADDRESS=${temporal.address} npx nodepool -c ${configPath} delete <node id>`);
  } else {
    say('');
    say(`export TEMPORAL_ADDRESS=${temporal.address} TEMPORAL_NAMESPACE=${temporal.namespace} OS_CLIENT_CONFIG_FILE=${cloudsFile}`);
  }
  say(`Ctrl-C stops everything${cluster ? ' (the cluster\'s services drain first: a few seconds)' : ''}.`);

  let stopping = 0;
  let stopped: Promise<void> | undefined;
  /** The demo's own ZooKeeper session (it prints the nodes). */
  let session: ZkSession | undefined = undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      stopping = Date.now();
      say('\nstopping...');
      await Promise.all(children.map((c) => stopProcess(c, 15_000)));
      await session?.close().catch(() => undefined);
      await sim.stop();
      await clusterUi?.stop();
      await temporal.stop();
      await zk.stop();
      process.exit(0);
    })());
  const onSignal = () => {
    // Ctrl-C under `npm run` can arrive twice at once (from the terminal, and forwarded by npm):
    // only a later one means "now"; then the exit hook of tools/servers/process.ts kills them all
    if (stopping && Date.now() - stopping >= 1000) {
      say('stopping at once');
      process.exit(130);
    }
    void stop();
  };
  // tools/servers/process.ts kills every server it started with SIGKILL on the first signal; here
  // they are stopped in order instead (the cluster's services hand their shards over, PostgreSQL
  // shuts down and its temporary data folder is removed), and its exit hook stays as the backstop
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, onSignal);
  }

  if (!demo) return;
  // Show nodes as they launch: a line whenever the picture changes.
  session = await ZkSession.connect({ servers: zk.connectString });
  let last = '';
  while (!stopping) {
    try {
      const rows = (await nodeList(session)).rows;
      const summary = rows.map((r) => `${r.id} ${r.label.join(',')} ${r.state}`).join(' | ');
      if (summary !== last) {
        last = summary;
        say(`${new Date().toISOString().slice(11, 19)} nodes: ${rows.length ? summary : '(none yet)'}`);
      }
      for (const c of children) {
        // (a daemon that exits because we are stopping is no news)
        if (c.exitCode !== null && !stopping) {
          const log = readFileSync(c === children[0] ? join(stateDir, 'launcher.log') : join(stateDir, 'builder.log'), 'utf8');
          say(`a daemon exited (code ${c.exitCode}); last log lines:\n${log.split('\n').slice(-20).join('\n')}`);
          await stop();
        }
      }
    } catch {
      // ZooKeeper busy or restarting: try again
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

if (!existsSync(join(repoRoot, 'node_modules'))) {
  process.stderr.write('run tools/setup first\n');
  process.exit(1);
}
main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
