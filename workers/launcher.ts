// nodepool-launcher: the Temporal worker that serves Zuul's node requests.
import { daemonProgram, loadConfigOrExit, onShutdown, runMain, startLogging, writePidFile, type DaemonOptions } from './common/daemon';
import { Launcher } from './launcher/service';
import type { WebApp } from './webapp';

export async function main(argv: string[]): Promise<void> {
  const program = daemonProgram('nodepool-launcher', '/var/run/nodepool/nodepool.pid').option('--no-webapp', 'do not run the status web app');
  program.parse(argv);
  const opts = program.opts<DaemonOptions & { webapp: boolean }>();
  const logger = startLogging('nodepool-launcher', opts);
  const holder = await loadConfigOrExit(opts);
  writePidFile(opts.pidfile);
  const launcher = new Launcher(holder, {
    minReadyInterval: Number(process.env.NODEPOOL_MIN_READY_INTERVAL ?? 60),
    shutdownTimeoutMs: opts.shutdownTimeout * 1000,
  });
  let web: WebApp | undefined;
  onShutdown(logger, opts.shutdownTimeout, async (run) => {
    const app = web;
    if (app) await run.step('web app', () => app.close(), 2000);
    await launcher.stop(run);
  });
  await launcher.start();
  if (opts.webapp) {
    const { startWebApp } = await import('./webapp');
    web = await startWebApp({ session: () => launcher.session, isReady: () => launcher.ready }, holder.config.webapp);
    logger.info({ port: web.port }, 'status web app listening');
  }
}

if (require.main === module) runMain(main);
