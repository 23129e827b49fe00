// `npm run dev` / `npm run demo`: the whole stack on this machine, on embedded defaults.
//   dev:  Temporal dev server (with its Web UI), ZooKeeper and the OpenStack simulator.
//   demo: the same plus nodepool-launcher and nodepool-builder (fake diskimage-builder) with a
//         sample nodepool.yaml whose min-ready makes nodes appear; prints what is launching.
// State lives in tools/.state/<mode>/ (delete it, or pass --fresh, to start over). Ctrl-C stops all.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startZooKeeper } from './servers/zookeeper';
import { startTemporalDevServer } from './servers/temporal';
import { freePort, spawnServer, stopProcess, tcpReachable } from './servers/process';
import { repoRoot } from './servers/paths';
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

async function main(): Promise<void> {
  const demo = process.argv.includes('--demo');
  const stateDir = join(repoRoot, 'tools', '.state', demo ? 'demo' : 'dev');
  if (process.argv.includes('--fresh')) rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  const say = (s: string) => process.stdout.write(`${s}\n`);

  const zkPort = await portOr(2181);
  const temporalPort = await portOr(7233);
  const uiPort = await portOr(8233);
  const simPort = await portOr(5000);
  const webPort = await portOr(8005);
  say('starting ZooKeeper, Temporal and the OpenStack simulator...');
  const [zk, temporal] = await Promise.all([
    startZooKeeper({ port: zkPort, dataDir: join(stateDir, 'zookeeper') }),
    startTemporalDevServer({ port: temporalPort, ui: true, uiPort, dbFile: join(stateDir, 'temporal.db') }),
  ]);
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
    children.push(spawnServer(process.execPath, [bin('nodepool-launcher'), '-f', '-c', configPath, '-p', join(stateDir, 'launcher.pid')], join(stateDir, 'launcher.log'), { env }));
    children.push(
      spawnServer(process.execPath, [bin('nodepool-builder'), '-f', '--fake', '-c', configPath, '-p', join(stateDir, 'builder.pid')], join(stateDir, 'builder.log'), { env }),
    );
  }

  say('');
  say(`Temporal:          ${temporal.address} (namespace ${temporal.namespace})`);
  say(`Temporal Web UI:   ${temporal.uiUrl}`);
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
    say(`export TEMPORAL_ADDRESS=${temporal.address} OS_CLIENT_CONFIG_FILE=${cloudsFile}`);
  }
  say('Ctrl-C stops everything.');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('\nstopping...');
    await Promise.all(children.map((c) => stopProcess(c, 15_000)));
    await sim.stop();
    await temporal.stop();
    await zk.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  if (!demo) return;
  // Show nodes as they launch: a line whenever the picture changes.
  const session = await ZkSession.connect({ servers: zk.connectString });
  let last = '';
  for (;;) {
    try {
      const rows = (await nodeList(session)).rows;
      const summary = rows.map((r) => `${r.id} ${r.label.join(',')} ${r.state}`).join(' | ');
      if (summary !== last) {
        last = summary;
        say(`${new Date().toISOString().slice(11, 19)} nodes: ${rows.length ? summary : '(none yet)'}`);
      }
      for (const c of children) {
        if (c.exitCode !== null) {
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
