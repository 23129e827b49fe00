// Starts a real Temporal cluster on free loopback ports: PostgreSQL with its own data directory,
// the temporal and temporal_visibility databases made by temporal-sql-tool from the server
// module's own schema, and the Temporal server as four separate processes (frontend, history,
// matching, worker), each with its own gRPC and membership ports, finding each other through
// PostgreSQL as in production. The binaries come from tools/setup-temporal-cluster (built from the
// Go module proxy, cached per machine); the API follows startTemporalDevServer's, so the test
// stack can run on either. Each service, and PostgreSQL, can be stopped, killed and started again
// on the same ports.
import { type ChildProcess, execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { freePort, killProcess, spawnServer, stopProcess, tcpReachable, waitFor } from './process';
import { procKiB, withChildren } from './proc';
import { repoRoot } from './paths';
import { type TemporalDevServer } from './temporal';
import { recordHistories } from '../replay/record';
import { allSearchAttributes, NodepoolState } from '../../lib/temporal/search-attributes';

const execFileP = promisify(execFile);

export type ClusterService = 'frontend' | 'history' | 'matching' | 'worker';
export const clusterServices: readonly ClusterService[] = ['history', 'matching', 'frontend', 'worker'];

// ---------------------------------------------------------------------------------------------
// Where things are

/** The Temporal server release the cluster runs (tools/temporal-server.version; tools/setup builds it). */
export function temporalServerVersion(): string {
  return readFileSync(join(repoRoot, 'tools', 'temporal-server.version'), 'utf8').trim();
}

/**
 * The per-machine cache tools/setup-temporal-cluster fills: outside the work tree (a new clone
 * must not rebuild for five minutes), one folder per server version.
 */
export function temporalClusterCacheDir(version = temporalServerVersion()): string {
  return join(temporalCacheBase(), `temporal-server-${version}`);
}

/** Where tools/setup-temporal-cluster caches what it builds (NODEPOOL_CACHE_DIR, or under XDG_CACHE_HOME). */
export function temporalCacheBase(): string {
  return process.env.NODEPOOL_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'temporal-nodepool');
}

export interface TemporalClusterBinaries {
  server: string;
  sqlTool: string;
  /** schema/postgresql/v12 of the server module (temporal/ and visibility/ below it). */
  schemaDir: string;
  /** PostgreSQL's bin directory (postgres, initdb, pg_isready). */
  pgBinDir: string;
}

/** PostgreSQL's bin directory: PG_BIN_DIR, else Debian's newest /usr/lib/postgresql/N/bin, else beside initdb on PATH. */
function findPgBinDir(): string | undefined {
  if (process.env.PG_BIN_DIR) return resolve(process.env.PG_BIN_DIR);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v) && existsSync(join(debian, v, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(debian, versions[0], 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'postgres')) && existsSync(join(dir, 'initdb'))) return dir;
  }
  return undefined;
}

/**
 * The binaries a cluster needs, or why they are not there (tests skip with that reason).
 * TEMPORAL_SERVER_BIN, TEMPORAL_SQL_TOOL_BIN and TEMPORAL_SCHEMA_DIR override the cache.
 */
export function temporalClusterBinaries(): TemporalClusterBinaries | { missing: string } {
  const cache = temporalClusterCacheDir();
  const server = process.env.TEMPORAL_SERVER_BIN ? resolve(process.env.TEMPORAL_SERVER_BIN) : join(cache, 'bin', 'temporal-server');
  const sqlTool = process.env.TEMPORAL_SQL_TOOL_BIN ? resolve(process.env.TEMPORAL_SQL_TOOL_BIN) : join(cache, 'bin', 'temporal-sql-tool');
  const schemaDir = process.env.TEMPORAL_SCHEMA_DIR ? resolve(process.env.TEMPORAL_SCHEMA_DIR) : join(cache, 'schema', 'postgresql', 'v12');
  const setup = 'run tools/setup-temporal-cluster (tools/setup does) to build it';
  if (!existsSync(server)) return { missing: `Temporal server not found at ${server} (${setup})` };
  if (!existsSync(sqlTool)) return { missing: `temporal-sql-tool not found at ${sqlTool} (${setup})` };
  if (!existsSync(join(schemaDir, 'temporal', 'versioned'))) return { missing: `Temporal's PostgreSQL schema not found in ${schemaDir} (${setup})` };
  const pgBinDir = findPgBinDir();
  if (!pgBinDir) return { missing: 'PostgreSQL not found (tools/setup-temporal-cluster installs Debian\'s postgresql)' };
  return { server, sqlTool, schemaDir, pgBinDir };
}

// ---------------------------------------------------------------------------------------------
// The cluster

export interface TemporalClusterOptions {
  namespace?: string;
  /** Where the config and logs go; a fresh temporary folder by default (removed on stop), kept when given. PostgreSQL's data is in a temporary folder of its own, removed on stop. */
  dir?: string;
  numHistoryShards?: number;
  /** The services' log level (their JSON logs go to <dir>/<service>.log). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Extra dynamic config, key → value (constraints-free). */
  dynamicConfig?: Record<string, unknown>;
}

interface ServicePorts {
  grpc: number;
  membership: number;
  http?: number;
}

export interface ClusterTimings {
  /** initdb + PostgreSQL answering. */
  postgresMs: number;
  /** temporal-sql-tool: both databases created and migrated. */
  schemaMs: number;
  /** The four services started until every gRPC port answers. */
  servicesMs: number;
  /** Namespace, search attributes, and a workflow started and ended through history. */
  readyMs: number;
  totalMs: number;
}

export interface MemoryUse {
  /** Resident set size, KiB (PostgreSQL's summed over the postmaster and its backends: shared memory counts more than once). */
  rssKiB: number;
  /** Proportional set size, KiB (shared pages split between the processes that map them). */
  pssKiB: number;
  processes: number;
}

export interface TemporalCluster extends TemporalDevServer {
  /** The frontend's gRPC address: what clients and workers connect to. */
  address: string;
  /** The frontend's pid (as TemporalDevServer.pid). */
  pid?: number;
  /** Every service's pid now (a new one after a restart); undefined while it is stopped. */
  readonly pids: Readonly<Record<ClusterService | 'postgres', number | undefined>>;
  ports: Readonly<Record<ClusterService, ServicePorts>> & { postgres: number };
  dir: string;
  configFile: string;
  /** Each service's log (logFile is the frontend's). */
  logFiles: Readonly<Record<ClusterService | 'postgres', string>>;
  timings: ClusterTimings;
  stopService(service: ClusterService, opts?: { kill?: boolean }): Promise<void>;
  startService(service: ClusterService): Promise<void>;
  /** Stops one service (SIGTERM, or SIGKILL with kill), waits downMs, starts it on the same ports. */
  restartService(service: ClusterService, opts?: { kill?: boolean; downMs?: number }): Promise<void>;
  stopPostgres(opts?: { kill?: boolean }): Promise<void>;
  startPostgres(): Promise<void>;
  /** Stops PostgreSQL (fast shutdown, or SIGKILL with kill), waits downMs, starts it on the same port and data. */
  restartPostgres(opts?: { kill?: boolean; downMs?: number }): Promise<void>;
  /** Memory of each service, and of PostgreSQL with its backends. */
  memory(): Record<ClusterService | 'postgres', MemoryUse | undefined>;
}

/** The account PostgreSQL runs as when we are root (it refuses to run as root). */
function postgresAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const name = process.env.NODEPOOL_PG_USER || 'postgres';
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) throw new Error(`running as root, and there is no '${name}' account to run PostgreSQL as (set NODEPOOL_PG_USER to one)`);
  return { uid: Number(uid), gid: Number(gid) };
}

function memoryOf(pids: number[]): MemoryUse | undefined {
  let rssKiB = 0;
  let pssKiB = 0;
  let processes = 0;
  for (const pid of pids) {
    const rss = procKiB(pid, 'status', 'VmRSS');
    if (rss === undefined) continue; // gone meanwhile
    rssKiB += rss;
    pssKiB += procKiB(pid, 'smaps_rollup', 'Pss') ?? 0;
    processes++;
  }
  return processes ? { rssKiB, pssKiB, processes } : undefined;
}

/**
 * A free port for a service's membership (ringpop) listener. It must be below 32768: the
 * cluster_membership table keeps it in a SMALLINT, and a service on a higher one dies with
 * "unable to initialize membership heartbeats" (the kernel's own free ports are all above).
 * Below the ephemeral range, too, no outgoing connection can take it between our check and the
 * service's bind.
 */
async function freeMembershipPort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.unref();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free port between 20000 and 32000');
}
/** Membership ports handed out by this process (two clusters in one process must not share one). */
const taken = new Set<number>();

/**
 * A free port can be taken by someone else's socket before a server binds it: when a start
 * fails saying so, start the whole cluster again on other ports.
 */
export async function startTemporalCluster(opts: TemporalClusterOptions = {}): Promise<TemporalCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= 3) throw err instanceof PortTakenError ? err.cause : err;
    }
  }
}

class PortTakenError extends Error {}

const readLog = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');

async function startOnce(opts: TemporalClusterOptions): Promise<TemporalCluster> {
  const bins = temporalClusterBinaries();
  if ('missing' in bins) throw new Error(bins.missing);
  const t0 = Date.now();
  const namespace = opts.namespace ?? 'default';
  const ownDir = !opts.dir;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'nodepool-temporal-cluster-'));
  mkdirSync(dir, { recursive: true });
  const pgAccount = postgresAccount();
  // PostgreSQL's data in a folder of its own under the temp dir: when we are root it runs as
  // another account, which must be able to reach it (the caller's dir may be root's alone)
  const pgRoot = mkdtempSync(join(tmpdir(), 'nodepool-pg-'));
  if (pgAccount) chmodSync(pgRoot, 0o755);
  const pgData = join(pgRoot, 'data');
  const services: ClusterService[] = [...clusterServices];
  const ports = { postgres: await freePort() } as TemporalCluster['ports'];
  for (const s of services) {
    (ports as Record<ClusterService, ServicePorts>)[s] = { grpc: await freePort(), membership: await freeMembershipPort(), ...(s === 'frontend' ? { http: await freePort() } : {}) };
  }
  const logFiles = Object.fromEntries([...services, 'postgres'].map((s) => [s, join(dir, `${s}.log`)])) as Record<ClusterService | 'postgres', string>;
  const children: Partial<Record<ClusterService | 'postgres', ChildProcess>> = {};
  const address = `127.0.0.1:${ports.frontend.grpc}`;
  const cleanupOnFailure = async () => {
    for (const s of services) if (children[s]) await killProcess(children[s]).catch(() => undefined);
    if (children.postgres) await killProcess(children.postgres).catch(() => undefined);
  };
  const portTaken = () => [...services, 'postgres' as const].some((s) => /address already in use|could not bind/i.test(readLog(logFiles[s])));

  // --- PostgreSQL
  const pgUser = 'temporal';
  const pgPassword = 'temporal';
  const spawnAsPg = pgAccount ? { uid: pgAccount.uid, gid: pgAccount.gid } : {};
  const initdb = async () => {
    mkdirSync(pgData, { mode: 0o700 });
    if (pgAccount) chownSync(pgData, pgAccount.uid, pgAccount.gid);
    // trust on loopback: a throwaway cluster for tests and development, nobody else's port
    await execFileP(join(bins.pgBinDir, 'initdb'), ['-D', pgData, '-U', pgUser, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], { ...spawnAsPg, cwd: pgData, env: { ...process.env, LC_ALL: 'C' } });
  };
  const startPostgres = async () => {
    const args = ['-D', pgData, '-p', String(ports.postgres), '-c', 'listen_addresses=127.0.0.1', '-k', pgData];
    // four services with up to 20 connections each, plus the SQL tool and a debugging psql
    args.push('-c', 'max_connections=200');
    // fsync off: a crash of the machine loses the data, a crash (or kill -9) of PostgreSQL does
    // not (commits still reach the OS before they return); the tests restart PostgreSQL, never the machine
    args.push('-c', 'fsync=off', '-c', 'full_page_writes=off');
    args.push('-c', 'log_min_messages=warning', '-c', 'log_min_error_statement=panic');
    const child = spawnServer(join(bins.pgBinDir, 'postgres'), args, logFiles.postgres, { ...spawnAsPg, cwd: pgData });
    children.postgres = child;
    await waitFor(
      `PostgreSQL on 127.0.0.1:${ports.postgres} (log: ${logFiles.postgres})`,
      async () => {
        if (!(await tcpReachable('127.0.0.1', ports.postgres))) return false;
        return execFileP(join(bins.pgBinDir, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(ports.postgres), '-U', pgUser, '-d', 'postgres']).then(
          () => true,
          () => false,
        );
      },
      60_000,
      child,
    );
  };
  const stopPostgres = async ({ kill = false } = {}) => {
    const child = children.postgres;
    if (!child) return;
    children.postgres = undefined;
    if (kill || child.exitCode !== null || !child.pid) {
      // the backends setsid() out of the postmaster's process group, and a new postmaster will not
      // start while one of them still holds the old shared memory: wait them out, or kill them
      const backends = child.pid ? withChildren(child.pid).slice(1) : [];
      await killProcess(child);
      const alive = () => backends.filter((pid) => existsSync(`/proc/${pid}`));
      await waitFor('PostgreSQL backends gone', async () => alive().length === 0, 5000).catch(() => {
        for (const pid of alive()) process.kill(pid, 'SIGKILL');
      });
      return;
    }
    // SIGTERM is PostgreSQL's "smart" shutdown, which waits for every client to leave (the
    // services never do): SIGINT to the postmaster alone is its fast shutdown
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(child.pid, 'SIGINT');
    const timer = setTimeout(() => void killProcess(child), 30_000);
    await gone;
    clearTimeout(timer);
  };

  // --- the schema
  const sqlTool = (db: string, ...args: string[]) =>
    execFileP(bins.sqlTool, ['--ep', '127.0.0.1', '-p', String(ports.postgres), '-u', pgUser, '--pw', pgPassword, '--pl', 'postgres12', '--db', db, ...args], { maxBuffer: 16 * 1024 * 1024 });
  const setupDatabase = async (db: string, schema: 'temporal' | 'visibility') => {
    await sqlTool(db, 'create-database');
    await sqlTool(db, 'setup-schema', '-v', '0.0');
    await sqlTool(db, 'update-schema', '-d', join(bins.schemaDir, schema, 'versioned'));
  };

  // --- the server's config
  const configFile = join(dir, 'temporal.yaml');
  const dynamicConfigFile = join(dir, 'dynamicconfig.yaml');
  const datastore = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `127.0.0.1:${ports.postgres}`,
      connectProtocol: 'tcp',
      user: pgUser,
      password: pgPassword,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const config = {
    log: { stdout: true, level: opts.logLevel ?? 'warn', format: 'json' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: opts.numHistoryShards ?? 4,
      datastores: { 'postgres-default': datastore('temporal', 20), 'postgres-visibility': datastore('temporal_visibility', 10) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: Object.fromEntries(
      services.map((s) => [s, { rpc: { grpcPort: ports[s].grpc, membershipPort: ports[s].membership, bindOnLocalHost: true, ...(ports[s].http ? { httpPort: ports[s].http } : {}) } }]),
    ),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: address, httpAddress: `127.0.0.1:${ports.frontend.http}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
  // as the dev server has them (tools/servers/temporal.ts), and the limits its defaults give
  const dynamicConfig: Record<string, unknown> = {
    'system.enableActivityEagerExecution': true,
    'system.enableEagerWorkflowStart': true,
    'frontend.enableUpdateWorkflowExecution': true,
    'limit.maxIDLength': 255,
    ...opts.dynamicConfig,
  };
  writeFileSync(configFile, stringify(config));
  writeFileSync(dynamicConfigFile, stringify(Object.fromEntries(Object.entries(dynamicConfig).map(([k, value]) => [k, [{ value, constraints: {} }]]))));

  // --- the services
  const startService = async (s: ClusterService) => {
    if (children[s] && children[s].exitCode === null && children[s].signalCode === null) return;
    const child = spawnServer(bins.server, ['--config-file', configFile, '--allow-no-auth', 'start', '--service', s], logFiles[s], { cwd: dir });
    children[s] = child;
    await waitFor(`Temporal ${s} on 127.0.0.1:${ports[s].grpc} (log: ${logFiles[s]})`, () => tcpReachable('127.0.0.1', ports[s].grpc), 90_000, child);
  };
  const stopService = async (s: ClusterService, { kill = false } = {}) => {
    const child = children[s];
    children[s] = undefined;
    if (!child) return;
    // a graceful stop hands history's shards over and drains the frontend; 20 s is plenty
    await (kill ? killProcess(child) : stopProcess(child, 20_000));
  };

  const timings: ClusterTimings = { postgresMs: 0, schemaMs: 0, servicesMs: 0, readyMs: 0, totalMs: 0 };
  try {
    let t = Date.now();
    await initdb();
    await startPostgres();
    timings.postgresMs = Date.now() - t;
    t = Date.now();
    await Promise.all([setupDatabase('temporal', 'temporal'), setupDatabase('temporal_visibility', 'visibility')]);
    timings.schemaMs = Date.now() - t;
    t = Date.now();
    // the first service to start writes the cluster's metadata record: services starting at
    // once on a fresh database race for it, and the losers exit ("Failed to apply cluster metadata")
    await startService('history');
    await Promise.all(services.filter((s) => s !== 'history').map((s) => startService(s)));
    timings.servicesMs = Date.now() - t;
    t = Date.now();
    await prepareNamespace(address, namespace, () => {
      for (const s of services) if (children[s] && children[s].exitCode !== null) throw new Error(`Temporal ${s} exited (log: ${logFiles[s]}):\n${readLog(logFiles[s]).slice(-3000)}`);
    });
    timings.readyMs = Date.now() - t;
    timings.totalMs = Date.now() - t0;
  } catch (err) {
    await cleanupOnFailure();
    const taken = portTaken();
    rmSync(pgRoot, { recursive: true, force: true });
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    if (taken) throw new PortTakenError('port taken', { cause: err });
    throw err;
  }

  const pidOf = (s: ClusterService | 'postgres') => {
    const c = children[s];
    return c && c.exitCode === null && c.signalCode === null ? c.pid : undefined;
  };
  const stopAll = async (kill: boolean) => {
    // frontend first (no new work), history last but before its database
    for (const s of ['frontend', 'worker', 'matching', 'history'] as const) await stopService(s, { kill });
    await stopPostgres({ kill });
  };
  const cluster: TemporalCluster = {
    address,
    namespace,
    get pid() {
      return pidOf('frontend');
    },
    get pids() {
      return Object.fromEntries([...services, 'postgres' as const].map((s) => [s, pidOf(s)])) as Record<ClusterService | 'postgres', number | undefined>;
    },
    ports,
    dir,
    configFile,
    logFile: logFiles.frontend,
    logFiles,
    timings,
    stopService,
    startService,
    async restartService(s, { kill = false, downMs = 0 } = {}) {
      await stopService(s, { kill });
      await new Promise((r) => setTimeout(r, downMs));
      await startService(s);
    },
    stopPostgres,
    startPostgres: async () => {
      if (!pidOf('postgres')) await startPostgres();
    },
    async restartPostgres({ kill = false, downMs = 0 } = {}) {
      await stopPostgres({ kill });
      await new Promise((r) => setTimeout(r, downMs));
      await startPostgres();
    },
    memory() {
      const out = {} as Record<ClusterService | 'postgres', MemoryUse | undefined>;
      for (const s of services) {
        const pid = pidOf(s);
        out[s] = pid ? memoryOf([pid]) : undefined;
      }
      const pg = pidOf('postgres');
      out.postgres = pg ? memoryOf(withChildren(pg)) : undefined;
      return out;
    },
    stop: async () => {
      // a recording run (tools/replay/README.md) keeps every history this server saw
      const recordTo = process.env.NODEPOOL_RECORD_HISTORIES;
      if (recordTo) await recordHistories(address, namespace, recordTo).catch((e: unknown) => console.error(`recording histories: ${String(e)}`));
      await stopAll(false);
      // the logs stay in the caller's folder; the database (tens of megabytes) goes
      rmSync(pgRoot, { recursive: true, force: true });
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
    kill: () => stopAll(true),
  };
  return cluster;
}

/**
 * A fresh cluster has no namespace: registers it, then our search attributes (as the dev server's
 * --search-attribute flags do, and the launcher does again on its own), then proves the cluster
 * works end to end by starting a workflow (through history) and ending it.
 */
async function prepareNamespace(address: string, namespace: string, checkAlive: () => void): Promise<void> {
  const conn = await Connection.connect({ address, connectTimeout: 5000 });
  let lastError: unknown;
  try {
    const step = async (what: string, fn: () => Promise<boolean>, timeoutMs = 60_000) =>
      waitFor(
        what,
        async () => {
          checkAlive();
          return fn().catch((err: unknown) => {
            lastError = err;
            return false;
          });
        },
        timeoutMs,
      ).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}; last error: ${String(lastError)}`);
      });
    await step(`Temporal frontend on ${address}`, async () => {
      await conn.workflowService.getSystemInfo({});
      return true;
    });
    await step(`namespace ${namespace} registered`, async () => {
      try {
        await conn.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
      } catch (err) {
        // ALREADY_EXISTS: a retry after an answer that got lost
        if ((err as { code?: number }).code !== 6) throw err;
      }
      return true;
    });
    await step(`namespace ${namespace} visible`, async () => {
      await conn.workflowService.describeNamespace({ namespace });
      return true;
    });
    const searchAttributes: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
    for (const k of allSearchAttributes) searchAttributes[k.name] = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    await step('search attributes registered', async () => {
      const have = await conn.operatorService.listSearchAttributes({ namespace });
      const missing = Object.keys(searchAttributes).filter((k) => !(k in (have.customAttributes ?? {})));
      if (missing.length === 0) return true;
      await conn.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((k) => [k, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])) });
      return false;
    });
    // a workflow start goes frontend → history (its shard owner) → matching: all three answer
    const client = new Client({ connection: conn, namespace });
    const workflowId = `cluster-ready-probe-${Date.now()}`;
    await step('a workflow started through history', async () => {
      const handle = await client.workflow.start('clusterReadyProbe', {
        taskQueue: 'cluster-ready-probe',
        workflowId,
        workflowIdConflictPolicy: 'USE_EXISTING',
        typedSearchAttributes: [{ key: NodepoolState, value: 'probe' }],
      });
      await handle.terminate('cluster ready');
      return true;
    });
    await conn.workflowService.deleteWorkflowExecution({ namespace, workflowExecution: { workflowId } }).catch(() => undefined);
  } finally {
    await conn.close();
  }
}
