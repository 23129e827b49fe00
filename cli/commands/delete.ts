// `nodepool delete ID [--now]`. The node's workflow (node/<id>) owns deletion here, so the CLI
// signals it (deleteNode). When there is no such workflow (a node from before, or from a Python
// launcher) or Temporal cannot be reached, it does what Nodepool does: lock the node (5 s), set
// `deleting`, unlock, and the launcher deletes it. --now then waits for the znode to go instead
// of running a provider manager in the CLI. Either way the node's `list` row is printed last.
import { printNodes } from './list';
import { type CommandModule } from '../context';
import { findNode, setNodeStateLocked, withZooKeeper } from '../zk';
import { type Node } from '../../lib/model/node';
import { type ZkSession } from '../../lib/zk/session';

const TEMPORAL_TIMEOUT_MS = 5000;
/** How long --now waits for the launcher to remove the node. */
const DELETE_NOW_TIMEOUT_MS = 60_000;
/** Without --now: how long to wait for the workflow to mark the node, so the row shows it. */
const MARK_WAIT_MS = 5000;
const REASON = 'nodepool delete';

type SignalResult = { kind: 'signalled' } | { kind: 'no-workflow' } | { kind: 'unreachable'; message: string };

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';

/** Signal node/<id>; loaded lazily so other commands do not pay for the gRPC client. */
async function signalNodeWorkflow(id: string): Promise<SignalResult> {
  const { Client, Connection, WorkflowNotFoundError } = await import('@temporalio/client');
  const { connectionOptions, temporalSettings } = await import('../../lib/temporal/connection');
  const { deleteNodeSignal, workflowIds } = await import('../../workflows/messages');
  const settings = temporalSettings();
  let connection;
  try {
    connection = await Connection.connect({ ...connectionOptions(settings), connectTimeout: TEMPORAL_TIMEOUT_MS });
  } catch (e) {
    return { kind: 'unreachable', message: `Could not connect to Temporal at ${settings.address}: ${message(e)}` };
  }
  try {
    const client = new Client({ connection, namespace: settings.namespace });
    const handle = client.workflow.getHandle(workflowIds.node(id));
    await connection.withDeadline(Date.now() + TEMPORAL_TIMEOUT_MS, () => handle.signal(deleteNodeSignal, { reason: REASON }));
    return { kind: 'signalled' };
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return { kind: 'no-workflow' };
    return { kind: 'unreachable', message: `Temporal at ${settings.address} (namespace ${settings.namespace}) did not take the signal: ${message(e)}` };
  } finally {
    await connection.close();
  }
}

/** Polls the node until `done` holds for it (null = gone) or the time is up; returns the last read. */
async function waitForNode(s: ZkSession, id: string, done: (n: Node | null) => boolean, timeoutMs: number): Promise<{ done: boolean; node: Node | null }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const node = await findNode(s, id);
    if (done(node)) return { done: true, node };
    if (Date.now() >= deadline) return { done: false, node };
    await new Promise((r) => setTimeout(r, 250));
  }
}

export const deleteCommand: CommandModule = {
  register(program, ctx) {
    program
      .command('delete')
      .description('place a node in the DELETE state')
      .argument('<id>', 'node id')
      .option('--now', 'delete the node in the foreground', false)
      .action(async (id: string, opts: { now: boolean }) => {
        await withZooKeeper(ctx, async (s) => {
          if (!(await findNode(s, id))) {
            ctx.io.stdout(`Node id ${id} not found\n`);
            return;
          }
          const sent = await signalNodeWorkflow(id);
          if (sent.kind !== 'signalled') {
            if (sent.kind === 'unreachable') ctx.io.stderr(`${sent.message}; marking node ${id} deleting in ZooKeeper instead\n`);
            if (!(await setNodeStateLocked(s, id, 'deleting'))) {
              ctx.io.stdout(`Node id ${id} not found\n`);
              return;
            }
          }
          if (opts.now) {
            const waited = await waitForNode(s, id, (n) => n === null, DELETE_NOW_TIMEOUT_MS);
            if (waited.done) ctx.io.stdout(`Node ${id} deleted\n`);
            else {
              ctx.io.stderr(`Node ${id} still exists after ${DELETE_NOW_TIMEOUT_MS / 1000} s (state: ${waited.node?.state ?? 'unknown'}); is a launcher running?\n`);
              ctx.setExitCode(1);
            }
          } else if (sent.kind === 'signalled') {
            await waitForNode(s, id, (n) => n === null || n.state === 'deleting' || n.state === 'deleted', MARK_WAIT_MS);
          }
          await printNodes(ctx, s, { nodeId: id });
        });
      });
  },
};
