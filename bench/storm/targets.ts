// The launchers bench/request-storm.ts runs its storm against, each on a fresh ZooKeeper and
// OpenStack simulator, with the same pool (one label, cloud image, m1.tiny, rate 0):
//   ours:        test/harness/stack.ts startStack (Temporal dev server + nodepool-launcher child
//                process), so the bench has the simulator and can pass --cpu-prof to the launcher;
//                with --cluster the stack's Temporal is a real cluster instead
//                (tools/servers/temporal-cluster.ts: PostgreSQL + frontend, history, matching and
//                worker processes), each of whose processes the bench watches;
//   Nodepool 11: bench/backlog/targets.ts startNodepool (TLS ZooKeeper, simulator, nodepool.yaml,
//                `nodepool-launcher` from a venv). It hands out neither the simulator nor a config
//                hook, so this wraps it: the simulator's admin API is found through the clouds.yaml
//                it wrote, and --private-network rewrites its clouds.yaml and nodepool.yaml once it
//                runs and waits until Nodepool has reloaded them (a new provider manager logs
//                "Create executor").
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { type Client } from '@temporalio/client';
import { AdminClient } from '../../simulator';
import { type ZkSession } from '../../lib/zk/session';
import { startStack } from '../../test/harness/stack';
import { temporalServerVersion } from '../../tools/servers/temporal-cluster';
import { checkClusterBinaries, startNodepool } from '../backlog/targets';
import { clusterWatched, findZooKeeperPid, type ClusterPart, type Watched } from '../backlog/measure';

export const LABEL = 'storm';
export const PROVIDER = 'sim';
export const POOL = 'main';

export interface StormOptions {
  /** Requests in the storm. */
  n: number;
  /** Simulator BUILD -> ACTIVE delay. */
  bootDelayMs: number;
  /** Pool `networks: [private]` and `auto-floating-ip: false`, clouds.yaml `private: true`: servers
   *  get a private address only, and the launchers connect to it. */
  privateNetwork: boolean;
  /** V8 CPU profiles of our launcher go here (STORM_CPU_PROF); ignored for Nodepool. */
  cpuProfDir?: string;
  /** Our launcher on a Temporal cluster (tools/servers/temporal-cluster.ts) instead of the dev server. */
  cluster?: boolean;
}

/** What Temporal the launcher used: none (Nodepool), the dev server, or a cluster. */
export type TemporalKind = 'none' | 'dev server' | 'cluster';

export interface StormTarget {
  /** For headings, e.g. "ours" or "Nodepool 11 (/tmp/np11-venv)". */
  what: string;
  /** The bench's session (plain port). */
  zk: ZkSession;
  /** The simulator's admin API (state, per-route request counters). */
  sim: AdminClient;
  /** The launcher, and the Temporal server when the launcher uses one (a cluster: all its processes as one). */
  pids: { launcher?: number; temporal?: Watched; zookeeper?: number };
  temporalKind: TemporalKind;
  /** A cluster's processes one by one (frontend, history, matching, worker, PostgreSQL with its backends). */
  temporalParts?: Record<ClusterPart, Watched>;
  temporal?: Client;
  launcherLog: string;
  stop(): Promise<void>;
}

/** What --private-network adds to the pool (simulator/defaults.ts: networks `public` (external) and `private`). */
export function poolExtras(o: StormOptions): Record<string, unknown> {
  // Without auto-floating-ip: false both launchers still attach a floating IP from the external
  // network to a server that has only a private address (openstacksdk's _needs_floating_ip).
  return o.privateNetwork ? { networks: ['private'], 'auto-floating-ip': false } : {};
}

/** Sets clouds.yaml `private: true` on every cloud in `file` (openstacksdk then takes the private
 *  address as interface_ip; without it Nodepool has no address to use for a private-only server). */
function markCloudsPrivate(file: string): void {
  const doc = parse(readFileSync(file, 'utf8')) as { clouds: Record<string, Record<string, unknown>> };
  for (const cloud of Object.values(doc.clouds)) cloud.private = true;
  writeFileSync(`${file}.tmp`, stringify(doc), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** nodepool.yaml without the zookeeper settings; the same as bench/backlog/targets.ts, plus poolExtras. */
export function stormConfig(cloud: string, o: StormOptions): Record<string, unknown> {
  return {
    labels: [{ name: LABEL }],
    providers: [
      {
        name: PROVIDER,
        cloud,
        rate: 0,
        'cloud-images': [{ name: 'noble', 'image-name': 'ubuntu-noble' }],
        pools: [
          {
            name: POOL,
            'max-servers': o.n + 50,
            'host-key-checking': false,
            ...poolExtras(o),
            labels: [{ name: LABEL, 'cloud-image': 'noble', 'flavor-name': 'm1.tiny' }],
          },
        ],
      },
    ],
  };
}

/** "Temporal dev server" or "Temporal cluster v1.32.2 (...)", for headings. */
export function temporalLabel(kind: TemporalKind): string {
  if (kind === 'dev server') return 'Temporal dev server';
  if (kind === 'cluster') return `Temporal cluster ${temporalServerVersion()} (frontend, history, matching, worker + PostgreSQL)`;
  return 'no Temporal';
}

export { checkClusterBinaries };

export async function startOurs(o: StormOptions): Promise<StormTarget> {
  if (o.cluster) checkClusterBinaries();
  const stack = await startStack((cloud) => stormConfig(cloud, o), { bootDelayMs: o.bootDelayMs, temporalCluster: !!o.cluster });
  try {
    await stack.sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
    await stack.sim.admin.setQuotas({ instances: -1, cores: -1, ram: -1 });
    if (o.privateNetwork) markCloudsPrivate(join(stack.dir, 'clouds.yaml'));
    await stack.startLauncher({}, o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : []);
  } catch (e) {
    await stack.stop();
    throw e;
  }
  const cluster = stack.temporalCluster ? clusterWatched(stack.temporalCluster) : undefined;
  return {
    what: 'ours',
    zk: stack.zk,
    sim: stack.sim.admin,
    pids: { launcher: stack.launcherPid, temporal: cluster ? cluster.all : stack.temporal.pid, zookeeper: findZooKeeperPid(stack.zkServer) },
    temporalKind: cluster ? 'cluster' : 'dev server',
    ...(cluster ? { temporalParts: cluster.parts } : {}),
    temporal: stack.client,
    launcherLog: stack.launcherLog,
    stop: () => stack.stop(),
  };
}

const occurrences = (file: string, needle: string): number => (existsSync(file) ? readFileSync(file, 'utf8').split(needle).length - 1 : 0);

export async function startNodepool11(venv: string, o: StormOptions): Promise<StormTarget> {
  const t = await startNodepool(venv, { label: LABEL, provider: PROVIDER, pool: POOL, maxServers: o.n + 50, bootDelayMs: o.bootDelayMs });
  try {
    // startNodepool writes clouds.yaml and nodepool.yaml next to the launcher's log
    const dir = dirname(t.launcherLog);
    const clouds = parse(readFileSync(join(dir, 'clouds.yaml'), 'utf8')) as { clouds: Record<string, { auth: { auth_url: string } }> };
    const authUrl = Object.values(clouds.clouds)[0]?.auth.auth_url;
    if (!authUrl) throw new Error(`no auth_url in ${join(dir, 'clouds.yaml')}`);
    const sim = new AdminClient(authUrl.replace(/\/identity\/?$/, ''));
    const extras = poolExtras(o);
    if (o.privateNetwork) {
      const configPath = join(dir, 'nodepool.yaml');
      const config = parse(readFileSync(configPath, 'utf8')) as { providers: Array<{ pools: Array<Record<string, unknown>> }> };
      for (const p of config.providers) for (const pool of p.pools) Object.assign(pool, extras);
      const marker = 'Create executor with max workers';
      const before = occurrences(t.launcherLog, marker);
      markCloudsPrivate(join(dir, 'clouds.yaml'));
      writeFileSync(`${configPath}.tmp`, stringify(config));
      renameSync(`${configPath}.tmp`, configPath);
      // Nodepool re-reads its config every 10 s (watermark sleep); a changed provider gets a new manager
      const deadline = Date.now() + 60_000;
      while (occurrences(t.launcherLog, marker) <= before) {
        if (Date.now() > deadline) throw new Error(`Nodepool did not reload ${configPath} within 60 s; see ${t.launcherLog}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      // had it read the new clouds.yaml before the new nodepool.yaml, it reloads once more: let it
      await new Promise((r) => setTimeout(r, 11_000));
    }
    return {
      what: `Nodepool 11 (${venv})`,
      zk: t.zk,
      sim,
      pids: { launcher: t.pids.launcher, zookeeper: t.pids.zookeeper },
      temporalKind: 'none',
      launcherLog: t.launcherLog,
      stop: () => t.stop(),
    };
  } catch (e) {
    await t.stop();
    throw e;
  }
}
