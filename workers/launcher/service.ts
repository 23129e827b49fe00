// Wires a running launcher together: ZooKeeper session, Temporal workers (the `launcher` queue
// and one `provider/<name>` queue per provider, rate-limited by Nodepool's `rate`), pool
// registration, the ZooKeeper watchers, admission (how pools take requests from the queue),
// min-ready, and live config reload.
import { hostname } from 'node:os';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { type NodepoolConfig, providerConfigChanged, type StaticProvider } from '../../lib/config';
import { createStats, type Stats } from '../../lib/metrics/statsd';
import { log } from '../../lib/log';
import { type ZkSession } from '../../lib/zk/session';
import { createLauncherActivities, createProviderActivities, type LauncherContext } from '../../activities/launcher';
import { PoolRegistry } from '../../activities/launcher/pools';
import { QuotaTracker } from '../../activities/launcher/quota';
import { LAUNCHER_QUEUE, providerQueue } from '../../workflows/lib/activities';
import { workflowIds } from '../../workflows/messages';
import type { cleanupWorkflow, minReadyWorkflow } from '../../workflows';
import { cleanupConfigureSignal, cleanupWorkflowId } from '../../workflows/cleanup-messages';
import { type ConfigHolder } from '../common/config-holder';
import { connectTemporal, ensureSearchAttributes, type TemporalHandles } from '../common/temporal';
import { connectZooKeeper } from '../common/zookeeper';
import { ProviderClients } from './providers';
import { LauncherWatchers } from './watchers';
import { RegistryCache } from './registry';
import { Admission } from './admission/admission';
import { NodeGauges } from './gauges';
import { StatsLeader } from './stats-leader';
import { minReadyPokeSignal } from '../../workflows/min-ready';
import { bundleWorkflowsInChild } from '../common/workflow-bundle';
import { OwnWrites } from '../../activities/launcher/own-writes';
import { type CloudProvider, hasCleanup, isCloudProvider, isStaticProvider } from '../../drivers/registry';
import { StaticSlots } from '../../drivers/static/slots-service';
import { closeShared, DEFAULT_SHUTDOWN_TIMEOUT_SECONDS, drainWorkers, stepLimitMs, StopRun, unregister, workerGraceMs, type StopOutcome } from '../common/shutdown';

export interface LauncherOptions {
  /** Seconds between min-ready passes when nothing changed (passes run on changes). */
  minReadyInterval?: number;
  /** Seconds between cleanup passes (Nodepool: 60); NODEPOOL_CLEANUP_INTERVAL by default. */
  cleanupInterval?: number;
  /** What stop() may take in all (--shutdown-timeout); the workers' grace time follows from it. */
  shutdownTimeoutMs?: number;
}

export class Launcher {
  private readonly logger = log('launcher');
  private readonly workers = new Map<string, { worker: Worker; done: Promise<void>; rate: number }>();
  private zk!: ZkSession;
  private temporal!: TemporalHandles;
  private stats!: Stats;
  private readonly providers = new ProviderClients();
  private pools!: PoolRegistry;
  private watchers!: LauncherWatchers;
  private registry!: RegistryCache;
  private admission!: Admission;
  /** Only with statsd configured, as Nodepool's StatsWorker. */
  private statsLeader?: StatsLeader;
  private ctx!: LauncherContext;
  private minReadyPokedAt = 0;
  private minReadyTimer?: NodeJS.Timeout;
  private staticSlots?: StaticSlots;
  private staticTimer?: NodeJS.Timeout;
  /** Each static provider's config as last synced ('start' again when it changes). */
  private readonly staticSynced = new Map<string, StaticProvider>();
  /** Set once the first pass is done: the web app's /ready answers 200 from then on. */
  ready = false;

  constructor(
    private readonly holder: ConfigHolder,
    private readonly opts: LauncherOptions = {},
  ) {}

  get config(): NodepoolConfig {
    return this.holder.config;
  }

  get session(): ZkSession {
    return this.zk;
  }

  get poolRegistry(): PoolRegistry {
    return this.pools;
  }

  async start(): Promise<void> {
    const config = this.config;
    this.zk = await connectZooKeeper(config);
    this.temporal = await connectTemporal();
    await ensureSearchAttributes(this.temporal.connection, this.temporal.namespace);
    this.stats = createStats();
    this.providers.sync(config);
    const host = hostname();
    this.pools = new PoolRegistry(() => this.zk, host.split('.')[0] ?? host, host);
    await this.pools.sync(config);
    this.zk.onNewSession(() => this.pools.reRegister(this.config));
    // Request workflows are started through the workers' own connection, so the server can hand
    // the first workflow task straight back to this process (eager start): one hop fewer.
    const eagerClient = new Client({ connection: this.temporal.native, namespace: this.temporal.namespace });
    const ownWrites = new OwnWrites();
    // the fleet-wide gauges are the elected stats leader's alone (max_servers is every launcher's)
    const gauges = new NodeGauges(this.stats, {
      isLeader: () => this.statsLeader?.isLeader ?? false,
      pools: () => this.registry?.statsPools() ?? [],
      requests: () => this.watchers.requests().map((r) => r.req),
    });
    this.watchers = new LauncherWatchers(this.zk, eagerClient, () => this.config, gauges, ownWrites);
    this.registry = new RegistryCache(this.zk, () => new Set(this.pools.ours().map((p) => p.id)));
    this.ctx = {
      zk: () => this.zk,
      config: () => this.config,
      pools: this.pools,
      provider: (name) => this.providers.get(name),
      quota: new QuotaTracker(),
      stats: this.stats,
      nodes: async () => this.watchers.nodes(),
      requests: () => this.watchers.requests(),
      ownWrites,
      staticSlots: (this.staticSlots = new StaticSlots(() => this.zk)),
    };
    this.admission = new Admission({ ctx: this.ctx, client: eagerClient, watchers: this.watchers, registry: this.registry, hostname: host.split('.')[0] ?? host });
    await this.startWorker(LAUNCHER_QUEUE, 0);
    await this.syncProviderWorkers(config);
    // every change that could let a waiting request in wakes admission; nothing polls
    this.watchers.on('requests', () => this.admission.poke());
    this.watchers.on('nodes', () => this.admission.poke());
    this.watchers.on('min-ready', () => this.pokeMinReady());
    this.registry.on('changed', () => this.admission.poke());
    await Promise.all([this.watchers.start(), this.registry.start()]);
    if (process.env.STATSD_HOST) {
      this.statsLeader = new StatsLeader(() => this.zk);
      this.statsLeader.on('elected', () => this.watchers.refreshGauges());
      this.statsLeader.start();
    }
    await this.admission.start();
    await this.temporal.client.workflow.start<typeof minReadyWorkflow>('minReadyWorkflow', {
      workflowId: workflowIds.minReady(),
      taskQueue: LAUNCHER_QUEUE,
      args: [{ intervalSeconds: this.opts.minReadyInterval }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    await this.startCleanups(config);
    void this.syncStatic(config, 'start');
    // Nodepool's cleanup pass also re-checks static hosts (a host that answers again gets its slots)
    this.staticTimer = setInterval(() => void this.syncStatic(this.config, 'cleanup'), this.cleanupIntervalSeconds() * 1000);
    this.staticTimer.unref();
    this.holder.on('changed', (cfg: NodepoolConfig) => void this.reconfigure(cfg));
    this.holder.watch();
    this.ready = true;
    this.logger.info({ providers: this.providers.names(), pools: this.pools.ours().map((p) => p.id) }, 'launcher running');
  }

  private async reconfigure(cfg: NodepoolConfig): Promise<void> {
    try {
      this.providers.sync(cfg);
      await this.pools.sync(cfg);
      await this.syncProviderWorkers(cfg);
      await this.startCleanups(cfg);
      void this.syncStatic(cfg, 'start');
      this.admission.poke();
      this.pokeMinReady();
    } catch (err) {
      this.logger.error({ err }, 'reconfiguration failed');
    }
  }

  /**
   * Static providers' READY slots: 'start' for a provider new or changed since the last sync
   * (Nodepool starts a new provider then), 'cleanup' for the periodic pass.
   */
  private async syncStatic(cfg: NodepoolConfig, mode: 'start' | 'cleanup'): Promise<void> {
    for (const p of Object.values(cfg.providers)) {
      if (!isStaticProvider(p)) continue;
      const last = this.staticSynced.get(p.name);
      if (mode === 'start' && last && !providerConfigChanged(last, p)) continue;
      this.staticSynced.set(p.name, p);
      try {
        await this.staticSlots?.sync(p, last ? mode : 'start');
      } catch (err) {
        this.logger.warn({ err, provider: p.name }, 'static nodes not synced');
      }
    }
  }

  private cleanupIntervalSeconds(): number {
    return this.opts.cleanupInterval ?? Number(process.env.NODEPOOL_CLEANUP_INTERVAL ?? 60);
  }

  /** Wakes the min-ready workflow, at most once a second (a burst of changes makes one pass). */
  private pokeMinReady(): void {
    if (this.minReadyTimer) return;
    const wait = Math.max(0, this.minReadyPokedAt + 1000 - Date.now());
    this.minReadyTimer = setTimeout(() => {
      this.minReadyTimer = undefined;
      this.minReadyPokedAt = Date.now();
      this.temporal.client.workflow
        .getHandle(workflowIds.minReady())
        .signal(minReadyPokeSignal)
        .catch((err: unknown) => this.logger.warn({ err }, 'could not wake min-ready'));
    }, wait);
    this.minReadyTimer.unref();
  }

  private async syncProviderWorkers(cfg: NodepoolConfig): Promise<void> {
    const wanted = new Map<string, CloudProvider>();
    for (const p of Object.values(cfg.providers)) if (isCloudProvider(p)) wanted.set(providerQueue(p.name), p);
    for (const [queue, w] of this.workers) {
      if (queue === LAUNCHER_QUEUE) continue;
      const p = wanted.get(queue);
      if (!p || p.rate !== w.rate) {
        w.worker.shutdown();
        await w.done;
        this.workers.delete(queue);
      }
    }
    for (const [queue, p] of wanted) if (!this.workers.has(queue)) await this.startWorker(queue, p.rate);
  }

  /** One cleanup/<provider> per OpenStack provider; a removed provider's drains and ends by itself. */
  private async startCleanups(cfg: NodepoolConfig): Promise<void> {
    const intervalSeconds = this.cleanupIntervalSeconds();
    for (const p of Object.values(cfg.providers)) {
      if (!hasCleanup(p)) continue;
      // starts it, or tells a running one (e.g. from before a restart) the interval wanted now
      await this.temporal.client.workflow.signalWithStart<typeof cleanupWorkflow, [{ intervalSeconds?: number }]>('cleanupWorkflow', {
        workflowId: cleanupWorkflowId(p.name),
        taskQueue: LAUNCHER_QUEUE,
        args: [{ provider: p.name, intervalSeconds }],
        signal: cleanupConfigureSignal,
        signalArgs: [{ intervalSeconds }],
      });
    }
  }

  private async startWorker(taskQueue: string, rate: number): Promise<void> {
    const isLauncher = taskQueue === LAUNCHER_QUEUE;
    const worker = await Worker.create({
      connection: this.temporal.native,
      namespace: this.temporal.namespace,
      taskQueue,
      ...(isLauncher
        ? {
            workflowBundle: await bundleWorkflowsInChild(),
            activities: createLauncherActivities(this.ctx),
            // every held lock is a running activity
            maxConcurrentActivityTaskExecutions: 5000,
            maxConcurrentWorkflowTaskExecutions: 50,
            // a READY node's workflow waits for days: keep only the busy ones in memory (an
            // evicted one replays its short history at its next event)
            maxCachedWorkflows: workflowCacheSize(),
          }
        : {
            activities: createProviderActivities(this.ctx),
            maxConcurrentActivityTaskExecutions: 500,
            // Nodepool's `rate` (seconds between API calls) as a server-side limit on this queue
            ...(rate > 0 ? { maxTaskQueueActivitiesPerSecond: 1 / rate } : {}),
          }),
      // running activities are cancelled after this (a cancelled attempt is retried at once by
      // whoever polls next, e.g. this launcher started again), leaving the rest of the stop
      // budget for them to react and for ZooKeeper and the connections
      shutdownGraceTime: workerGraceMs(this.shutdownTimeoutMs(), 10_000),
    });
    const done = worker.run().catch((err: unknown) => this.logger.error({ err, taskQueue }, 'worker stopped with an error'));
    this.workers.set(taskQueue, { worker, done, rate });
  }

  private shutdownTimeoutMs(): number {
    return this.opts.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_SECONDS * 1000;
  }

  /**
   * Stops in order, every step time-limited (a ZooKeeper that is gone, a Temporal server that does
   * not answer or a cloud call that hangs cannot hold it up past `run`'s deadline): no new work,
   * Temporal workers drained, registrations removed, cloud clients, statsd, the ZooKeeper session
   * (its ephemeral znodes and locks go at once), the Temporal connections. Never throws.
   */
  async stop(run: StopRun = new StopRun(this.logger, this.shutdownTimeoutMs())): Promise<StopOutcome> {
    this.ready = false;
    this.holder.stop();
    if (this.minReadyTimer) clearTimeout(this.minReadyTimer);
    if (this.staticTimer) clearInterval(this.staticTimer);
    // (admission waits at most 5 s for workflow starts in flight)
    const admission = this.admission;
    if (admission) await run.step('admission', () => admission.stop(), stepLimitMs(run, 5000, 0.2));
    const leader = this.statsLeader;
    if (leader) await run.step('stats leader election', () => leader.stop(), stepLimitMs(run, 2000, 0.2));
    this.watchers?.stop();
    this.registry?.stop();
    const drained = await drainWorkers(
      run,
      [...this.workers.entries()].map(([taskQueue, w]) => ({ taskQueue, ...w })),
      this.logger,
    );
    const pools = this.pools;
    if (pools) await unregister(run, 'pool registrations', this.zk, () => pools.close());
    await closeShared(run, { providers: this.providers, stats: this.stats, zk: this.zk, temporal: this.temporal, workersDrained: drained });
    return run.outcome();
  }
}

/** Workflows kept in the worker's cache (NODEPOOL_WORKFLOW_CACHE; default 200). */
function workflowCacheSize(): number {
  const v = Number(process.env.NODEPOOL_WORKFLOW_CACHE ?? 200);
  return Number.isInteger(v) && v >= 2 ? v : 200;
}
