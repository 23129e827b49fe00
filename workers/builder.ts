// nodepool-builder: builds diskimages with diskimage-builder and uploads them, as Temporal
// workflows (one per diskimage) and this process's activities.
import { daemonProgram, loadConfigOrExit, onShutdown, runMain, startLogging, writePidFile, type DaemonOptions } from './common/daemon';
import { Builder } from './builder/service';

interface BuilderFlags extends DaemonOptions {
  buildWorkers: number;
  uploadWorkers: number;
  fake: boolean;
}

const positive = (v: string): number => {
  const n = Number.parseInt(v, 10);
  if (!Number.isFinite(n) || n < 1) throw new Error(`not a positive integer: ${v}`);
  return n;
};

const envNumber = (name: string): number | undefined => (process.env[name] ? Number(process.env[name]) : undefined);

export async function main(argv: string[]): Promise<void> {
  const program = daemonProgram('nodepool-builder', '/var/run/nodepool/nodepool-builder.pid')
    .option('--build-workers <n>', 'number of concurrent builds', positive, 1)
    .option('--upload-workers <n>', 'number of concurrent uploads', positive, 4)
    .option('--fake', 'use the fake disk-image-create for every diskimage', false);
  program.parse(argv);
  const opts = program.opts<BuilderFlags>();
  const logger = startLogging('nodepool-builder', opts);
  const holder = await loadConfigOrExit(opts);
  writePidFile(opts.pidfile);
  const builder = new Builder(holder, {
    buildWorkers: opts.buildWorkers,
    uploadWorkers: opts.uploadWorkers,
    fake: opts.fake,
    shutdownTimeoutMs: opts.shutdownTimeout * 1000,
    flagPollMs: envNumber('NODEPOOL_BUILDER_POLL_MS'),
    gaugeIntervalMs: envNumber('NODEPOOL_BUILDER_GAUGE_MS'),
    workflowTuning: {
      janitorSeconds: envNumber('NODEPOOL_BUILDER_JANITOR_SECONDS'),
      buildRetrySeconds: envNumber('NODEPOOL_BUILDER_BUILD_RETRY_SECONDS'),
      uploadRetrySeconds: envNumber('NODEPOOL_BUILDER_UPLOAD_RETRY_SECONDS'),
    },
  });
  onShutdown(logger, opts.shutdownTimeout, (run) => builder.stop(run));
  await builder.start();
}

if (require.main === module) runMain(main);
