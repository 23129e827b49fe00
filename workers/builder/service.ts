// Wires a running builder together: builder id, ZooKeeper session (component registration),
// Temporal workers on `builder` (diskimage workflows, ZooKeeper and cloud-delete activities)
// and `builder/<builder-id>` (DIB, uploads, local deletes), one diskimage workflow per image,
// the image-flag watcher, the local disk sweep, and live config reload.
import { hostname } from 'node:os';
import { type Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { type NodepoolConfig } from '../../lib/config';
import { createStats, type Stats } from '../../lib/metrics/statsd';
import { log } from '../../lib/log';
import { ComponentRegistration } from '../../lib/zk/operations/components';
import { imageNames, readBuilds } from '../../lib/zk/operations/images';
import { type ZkSession } from '../../lib/zk/session';
import { BuildLocks, createBuilderActivities, createBuilderLocalActivities, readOrCreateBuilderId, Semaphore, sweepImagesDir, type BuilderContext } from '../../activities/builder';
import { providerImageFormat } from '../../activities/dib/spec-loader';
import { NODEPOOL_VERSION } from '../../activities/launcher/pools';
import { BUILDER_QUEUE, builderQueue, builderWorkflowIds, wakeSignal } from '../../workflows/builder-messages';
import type { diskimageWorkflow } from '../../workflows';
import type { DiskimageWorkflowInput } from '../../workflows/diskimage';
import { type ConfigHolder } from '../common/config-holder';
import { connectTemporal, ensureSearchAttributes, type TemporalHandles } from '../common/temporal';
import { connectZooKeeper } from '../common/zookeeper';
import { ProviderClients } from '../launcher/providers';
import { builderDibActivities } from './dib';
import { emitBuilderGauges } from './gauges';
import { FlagWatcher } from './watcher';
import { bundleWorkflowsInChild } from '../common/workflow-bundle';
import { closeShared, DEFAULT_SHUTDOWN_TIMEOUT_SECONDS, drainWorkers, StopRun, unregister, workerGraceMs, type StopOutcome } from '../common/shutdown';

export interface BuilderOptions {
  buildWorkers: number;
  uploadWorkers: number;
  fake: boolean;
  /** Workflow tuning for new diskimage workflows (tests shorten the janitor interval). */
  workflowTuning?: Pick<DiskimageWorkflowInput, 'janitorSeconds' | 'buildRetrySeconds' | 'uploadRetrySeconds'>;
  flagPollMs?: number;
  /** Status gauge interval; Nodepool's janitor: 60 s. */
  gaugeIntervalMs?: number;
  /** What stop() may take in all (--shutdown-timeout); the workers' grace times follow from it. */
  shutdownTimeoutMs?: number;
}

/** How often this builder sweeps its images-dir for files of deleted builds. */
const SWEEP_MS = 10 * 60 * 1000;
/** Nodepool's janitor sends the status gauges every 60 s. */
const GAUGES_MS = 60 * 1000;

export class Builder {
  private readonly logger = log('builder');
  private readonly workers: Array<{ worker: Worker; done: Promise<void>; taskQueue: string }> = [];
  private zk!: ZkSession;
  private temporal!: TemporalHandles;
  private stats!: Stats;
  private readonly providers = new ProviderClients();
  private registration?: ComponentRegistration;
  private watcher?: FlagWatcher;
  private sweepTimer?: NodeJS.Timeout;
  private gaugeTimer?: NodeJS.Timeout;
  private readonly uploadSlots: Semaphore;
  private readonly buildLocks = new BuildLocks();
  builderId = '';
  readonly hostname = hostname();

  constructor(
    private readonly holder: ConfigHolder,
    private readonly opts: BuilderOptions,
  ) {
    this.uploadSlots = new Semaphore(opts.uploadWorkers);
  }

  get config(): NodepoolConfig {
    return this.holder.config;
  }

  get client(): Client {
    return this.temporal.client;
  }

  async start(): Promise<void> {
    const config = this.config;
    // Nodepool's start-up checks
    if (config.zookeeperServers.length === 0) throw new Error('Missing zookeeper-servers configuration');
    if (!config.imagesDir) throw new Error('Missing images-dir configuration');
    this.builderId = readOrCreateBuilderId(config.imagesDir);
    this.zk = await connectZooKeeper(config);
    this.temporal = await connectTemporal();
    await ensureSearchAttributes(this.temporal.connection, this.temporal.namespace);
    this.stats = createStats();
    this.providers.sync(config);
    this.registration = new ComponentRegistration(this.zk, { kind: 'builder', hostname: this.hostname, state: 'running', version: NODEPOOL_VERSION, model_api: 0 });
    await this.registration.register();
    await this.sweep();
    const ctx: BuilderContext = {
      zk: () => this.zk,
      config: () => this.config,
      builderId: this.builderId,
      hostname: this.hostname,
      provider: (name) => this.providers.get(name),
      imageFormatOf: (cfg, provider) => providerImageFormat(cfg)(provider),
      stats: this.stats,
      uploadSlots: this.uploadSlots,
      buildLocks: this.buildLocks,
    };
    await this.startWorker(
      Worker.create({
        connection: this.temporal.native,
        namespace: this.temporal.namespace,
        taskQueue: BUILDER_QUEUE,
        workflowBundle: await bundleWorkflowsInChild(),
        activities: createBuilderActivities(ctx),
        maxConcurrentActivityTaskExecutions: 50,
        shutdownGraceTime: workerGraceMs(this.shutdownTimeoutMs(), 10_000),
      }),
    );
    await this.startWorker(
      Worker.create({
        connection: this.temporal.native,
        namespace: this.temporal.namespace,
        taskQueue: builderQueue(this.builderId),
        activities: {
          ...createBuilderLocalActivities(ctx),
          ...builderDibActivities({ configPath: this.holder.path, securePath: this.holder.securePath, fake: this.opts.fake, buildWorkers: this.opts.buildWorkers, stats: this.stats, buildLocks: this.buildLocks }),
        },
        // builds and uploads wait for --build-workers / --upload-workers slots inside the activity
        maxConcurrentActivityTaskExecutions: 200,
        // Nodepool A8: stopping cut uploads off silently; here running DIB and uploads are
        // cancelled (DIB cleans up; an upload's next attempt removes its partial image), at a
        // third of --shutdown-timeout (at most 30 s) so they have time to react before the exit
        shutdownGraceTime: workerGraceMs(this.shutdownTimeoutMs(), 30_000),
      }),
    );
    await this.startWorkflows(config);
    this.watcher = new FlagWatcher(() => this.zk, this.temporal.client, this.opts.flagPollMs);
    this.watcher.start();
    this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_MS);
    this.sweepTimer.unref();
    this.gaugeTimer = setInterval(() => void this.gauges(), this.opts.gaugeIntervalMs ?? GAUGES_MS);
    this.gaugeTimer.unref();
    this.holder.on('changed', (cfg: NodepoolConfig, previous: NodepoolConfig) => void this.reconfigure(cfg, previous));
    this.holder.watch();
    this.logger.info({ builderId: this.builderId, diskimages: Object.keys(config.diskimages) }, 'builder running');
  }

  private async startWorker(create: Promise<Worker>): Promise<void> {
    const worker = await create;
    const { taskQueue } = worker.options;
    const done = worker.run().catch((err: unknown) => this.logger.error({ err, taskQueue }, 'worker stopped with an error'));
    this.workers.push({ worker, done, taskQueue });
  }

  /** Files of builds that are gone or `deleting` (also those deleted while this builder was down). */
  private async sweep(): Promise<void> {
    const dir = this.config.imagesDir;
    if (!dir) return;
    await sweepImagesDir(this.zk, dir).catch((err: unknown) => this.logger.warn({ err: (err as Error).message }, 'images-dir sweep failed'));
  }

  private async gauges(): Promise<void> {
    await emitBuilderGauges(this.stats, this.temporal.client, this.zk, this.config, this.hostname).catch((err: unknown) =>
      this.logger.warn({ err: (err as Error).message }, 'status gauges not sent'),
    );
  }

  /** diskimage/<name> for every configured image, and for images in ZooKeeper that still have builds (to remove them). */
  private async startWorkflows(config: NodepoolConfig): Promise<void> {
    const names = new Set(Object.keys(config.diskimages));
    for (const image of await imageNames(this.zk)) if (!names.has(image) && (await readBuilds(this.zk, image)).length > 0) names.add(image);
    for (const name of names) {
      await this.temporal.client.workflow.start<typeof diskimageWorkflow>('diskimageWorkflow', {
        workflowId: builderWorkflowIds.diskimage(name),
        taskQueue: BUILDER_QUEUE,
        args: [{ name, ...this.opts.workflowTuning }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
    }
  }

  private async reconfigure(cfg: NodepoolConfig, previous: NodepoolConfig): Promise<void> {
    try {
      // Nodepool A19: a changed zookeeper-servers broke its builder until restarted
      if (cfg.zookeeperHosts !== previous.zookeeperHosts || JSON.stringify(cfg.zookeeperTls) !== JSON.stringify(previous.zookeeperTls)) {
        const old = this.zk;
        this.zk = await connectZooKeeper(cfg);
        await this.registration?.unregister().catch(() => undefined);
        this.registration = new ComponentRegistration(this.zk, { kind: 'builder', hostname: this.hostname, state: 'running', version: NODEPOOL_VERSION, model_api: 0 });
        await this.registration.register();
        await old.close().catch(() => undefined);
        this.logger.info({ hosts: cfg.zookeeperHosts }, 'reconnected to the new ZooKeeper servers');
      }
      this.providers.sync(cfg);
      await this.startWorkflows(cfg);
      for (const name of new Set([...Object.keys(previous.diskimages), ...Object.keys(cfg.diskimages)])) {
        await this.temporal.client.workflow
          .getHandle(builderWorkflowIds.diskimage(name))
          .signal(wakeSignal, { reason: 'configuration changed' })
          .catch(() => undefined);
      }
    } catch (err) {
      this.logger.error({ err }, 'reconfiguration failed');
    }
  }

  private shutdownTimeoutMs(): number {
    return this.opts.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_SECONDS * 1000;
  }

  /**
   * Stops in order, every step time-limited (see Launcher.stop): no new work, Temporal workers
   * drained (builds and uploads cancelled after their grace time), the component unregistered,
   * cloud clients, statsd, the ZooKeeper session, the Temporal connections. Never throws.
   */
  async stop(run: StopRun = new StopRun(this.logger, this.shutdownTimeoutMs())): Promise<StopOutcome> {
    this.holder.stop();
    this.watcher?.stop();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.gaugeTimer) clearInterval(this.gaugeTimer);
    const drained = await drainWorkers(run, this.workers, this.logger);
    const registration = this.registration;
    if (registration) await unregister(run, 'builder registration', this.zk, () => registration.unregister());
    await closeShared(run, { providers: this.providers, stats: this.stats, zk: this.zk, temporal: this.temporal, workersDrained: drained });
    return run.outcome();
  }
}
