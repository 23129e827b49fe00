// `nodepool image-upload PROVIDER IMAGE`: upload the newest ready build of IMAGE to PROVIDER now,
// as a new upload (even when that build already has a ready upload there, or an operator deleted
// one with image-delete). Nodepool 11 has no such command: the ZooKeeper builder (3.0) dropped
// it; the last Nodepool with it (0.x, Gearman) ran the upload of the newest image in the foreground.
// Here the diskimage workflow does the upload (on the builder that holds the files), asked by the
// `upload` signal; this command checks the request, names the build, signals, and waits a few
// seconds for the upload record to appear. There is no ZooKeeper form of the request, so without
// the workflow (no builder, Temporal unreachable) nothing is uploaded and the command fails.
import { type CommandContext, type CommandModule } from '../context';
import { CliFailure, withZooKeeper } from '../zk';
import { takesImageUploads } from '../../drivers/registry';
import { providerImageFormat } from '../../activities/dib/spec-loader';
import { DEFAULT_PROVIDER_IMAGE_FORMAT } from '../../activities/dib/spec';
import { formatAge } from '../../lib/status/age';
import { readBuilds, readUploads } from '../../lib/zk/operations/images';
import { type ZkSession } from '../../lib/zk/session';

const TEMPORAL_TIMEOUT_MS = 5000;
/** How long to wait for the workflow to create the upload record. */
const START_WAIT_MS = 15_000;

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Signals diskimage/<image>; returns its status query's phase (null if the query failed). Throws CliFailure when not delivered. */
async function signalUpload(image: string, buildId: string, provider: string): Promise<{ phase: string | null }> {
  const { Client, Connection, WorkflowNotFoundError } = await import('@temporalio/client');
  const { connectionOptions, temporalSettings } = await import('../../lib/temporal/connection');
  const { builderWorkflowIds, diskimageStatusQuery, uploadSignal } = await import('../../workflows/builder-messages');
  const settings = temporalSettings();
  const workflowId = builderWorkflowIds.diskimage(image);
  let connection;
  try {
    connection = await Connection.connect({ ...connectionOptions(settings), connectTimeout: TEMPORAL_TIMEOUT_MS });
  } catch (e) {
    throw new CliFailure(`Could not connect to Temporal at ${settings.address} to ask ${workflowId} for the upload: ${firstLine(e)}; nothing was uploaded`);
  }
  try {
    const handle = new Client({ connection, namespace: settings.namespace }).workflow.getHandle(workflowId);
    try {
      await connection.withDeadline(Date.now() + TEMPORAL_TIMEOUT_MS, () => handle.signal(uploadSignal, { reason: 'nodepool image-upload', buildId, provider }));
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) throw new CliFailure(`No ${workflowId} workflow in Temporal namespace ${settings.namespace}: is nodepool-builder running with image ${image}? Nothing was uploaded`);
      throw new CliFailure(`Temporal did not take the upload request for ${workflowId}: ${firstLine(e)}; nothing was uploaded`);
    }
    try {
      const st = await connection.withDeadline(Date.now() + TEMPORAL_TIMEOUT_MS, () => handle.query(diskimageStatusQuery));
      return { phase: st.phase };
    } catch {
      return { phase: null };
    }
  } finally {
    await connection.close();
  }
}

async function waitForNewUpload(s: ZkSession, image: string, buildId: string, provider: string, before: Set<string>): Promise<{ id: string; state: string } | null> {
  const until = Date.now() + START_WAIT_MS;
  for (;;) {
    const fresh = (await readUploads(s, image, buildId, provider)).filter((u) => !before.has(u.id)).sort((a, b) => a.id.localeCompare(b.id));
    if (fresh[0]) return { id: fresh[0].id, state: fresh[0].state };
    if (Date.now() >= until) return null;
    await sleep(250);
  }
}

async function imageUpload(ctx: CommandContext, provider: string, image: string): Promise<void> {
  await withZooKeeper(ctx, async (s, config) => {
    const pc = Object.hasOwn(config.providers, provider) ? config.providers[provider] : undefined;
    if (!pc) throw new CliFailure(`Provider ${provider} does not exist`);
    if (!takesImageUploads(pc)) throw new CliFailure(`Provider ${provider} (driver ${pc.driver}) does not take image uploads`);
    if (!Object.hasOwn(config.diskimages, image)) throw new CliFailure(`Trying to upload a non disk-image-builder image: ${image}`);
    const pd = Object.hasOwn(pc.diskimages, image) ? pc.diskimages[image] : undefined;
    if (!pd) throw new CliFailure(`Image ${image} not in use by provider ${provider} (not in its diskimages)`);
    if (pd.pause) throw new CliFailure(`Image ${image} is paused on provider ${provider} (providers.diskimages.pause); nothing uploaded`);

    const ready = (await readBuilds(s, image)).filter((b) => b.state === 'ready').sort((a, b) => b.state_time - a.state_time);
    const build = ready[0];
    if (!build) throw new CliFailure(`No ready build of image ${image} to upload to provider ${provider} (nodepool dib-image-list shows its builds)`);
    const buildName = `${image}-${build.id}`;
    const format = providerImageFormat(config)(provider) ?? DEFAULT_PROVIDER_IMAGE_FORMAT;
    if (!build.formats.includes(format)) {
      throw new CliFailure(`Build ${buildName} has no ${format} image, the format provider ${provider} takes (it has ${build.formats.join(', ') || 'none'}); nothing uploaded`);
    }
    if (!build.builder_id) throw new CliFailure(`Build ${buildName} has no builder_id (made by another builder): only the builder holding its files can upload it`);
    const existing = await readUploads(s, image, build.id, provider);
    const busy = existing.find((u) => u.state === 'uploading');
    if (busy) throw new CliFailure(`Build ${buildName} is already being uploaded to provider ${provider} (upload ${busy.id}); nothing requested`);

    const readyThere = existing.filter((u) => u.state === 'ready').map((u) => u.id);
    ctx.io.stdout(
      `Uploading build ${buildName} (newest ready build of ${image}, age ${formatAge(build.state_time)}, ${format}) to provider ${provider}` +
        `${readyThere.length ? ` (again: ready upload${readyThere.length > 1 ? 's' : ''} ${readyThere.join(', ')} there)` : ''}\n`,
    );
    const { phase } = await signalUpload(image, build.id, provider);
    const started = await waitForNewUpload(s, image, build.id, provider, new Set(existing.map((u) => u.id)));
    if (started) {
      ctx.io.stdout(`Upload ${started.id} started, now ${started.state}; nodepool image-list shows it\n`);
    } else {
      ctx.io.stdout(
        phase === null
          ? `Upload requested, but diskimage/${image} did not answer (is a nodepool-builder running?); it uploads when the workflow runs again\n`
          : `Upload requested, not started within ${START_WAIT_MS / 1000} s: diskimage/${image} is ${phase} (a build or other uploads delay it); nodepool image-list shows it once started\n`,
      );
    }
  });
}

export const imageUploadCommand: CommandModule = {
  register(program, ctx) {
    program
      .command('image-upload')
      .description('upload the newest ready build of an image to a provider now')
      .argument('<provider>', 'provider name')
      .argument('<image>', 'image name')
      .action((provider: string, image: string) => imageUpload(ctx, provider, image));
  },
};
