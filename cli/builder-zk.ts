// What the builder's CLI commands share: telling a diskimage workflow about a change the command
// just made in ZooKeeper. ZooKeeper stays the record (Nodepool's and Zuul's readers see it at
// once, and the builder's flag watcher notices it too); the signal only makes the workflow act
// now. Temporal being unreachable is reported, not fatal.
import { type CommandContext } from './context';

const TEMPORAL_TIMEOUT_MS = 5000;

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';

export type DiskimageSignal = { kind: 'rebuild'; reason: string } | { kind: 'wake'; reason: string; deletedUpload?: { buildId: string; provider: string } };

/** Signals diskimage/<image>; false (with a note on stderr) if it could not be delivered. */
export async function signalDiskimage(ctx: CommandContext, image: string, sig: DiskimageSignal): Promise<boolean> {
  const { Client, Connection, WorkflowNotFoundError } = await import('@temporalio/client');
  const { connectionOptions, temporalSettings } = await import('../lib/temporal/connection');
  const { builderWorkflowIds, rebuildSignal, wakeSignal } = await import('../workflows/builder-messages');
  const settings = temporalSettings();
  let connection;
  try {
    connection = await Connection.connect({ ...connectionOptions(settings), connectTimeout: TEMPORAL_TIMEOUT_MS });
  } catch (e) {
    ctx.io.stderr(`Could not connect to Temporal at ${settings.address} (the builder will notice the change itself): ${firstLine(e)}\n`);
    return false;
  }
  try {
    const handle = new Client({ connection, namespace: settings.namespace }).workflow.getHandle(builderWorkflowIds.diskimage(image));
    await connection.withDeadline(Date.now() + TEMPORAL_TIMEOUT_MS, () =>
      sig.kind === 'rebuild' ? handle.signal(rebuildSignal, { reason: sig.reason }) : handle.signal(wakeSignal, { reason: sig.reason, deletedUpload: sig.deletedUpload }),
    );
    return true;
  } catch (e) {
    // no workflow: no builder runs this image (yet); the ZooKeeper change waits for one
    if (!(e instanceof WorkflowNotFoundError)) ctx.io.stderr(`Temporal did not take the signal for diskimage/${image}: ${firstLine(e)}\n`);
    return false;
  } finally {
    await connection.close();
  }
}
