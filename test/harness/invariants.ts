// What must hold after a storm survived a crash or a server restart (test/launcher/crash.test.ts,
// test/launcher/temporal-restart.test.ts, test/cluster/): every request fulfilled, exactly one
// server per node, no server without a node, no lock left behind, no workflow task failed; and the
// pool such storms run on.
import assert from 'node:assert/strict';
import { type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { listNodes } from '../../activities/launcher/store';
import { REQUESTS_LOCK } from '../../lib/zk/paths';
import { isLocked } from '../../lib/zk/lock';
import { eventually, type Stack } from './stack';

/** Every node of the finished requests has exactly one server, and nothing else is in the cloud. */
export async function assertOneServerPerNode(s: Stack, nodeIds: string[]): Promise<void> {
  const servers = (await s.sim.admin.state()).servers;
  for (const id of nodeIds) {
    assert.equal(servers.filter((sv) => sv.metadata.nodepool_node_id === id).length, 1, `node ${id} has exactly one server`);
  }
  const known = new Set((await listNodes(s.zk)).map((n) => n.id));
  const strays = servers.filter((sv) => !known.has(sv.metadata.nodepool_node_id ?? ''));
  assert.deepEqual(strays.map((sv) => sv.name), [], 'no server without a node');
}

/** Neither the requests' locks nor their nodes' locks are held. */
export async function assertNoLocks(s: Stack, requestIds: string[], nodeIds: string[]): Promise<void> {
  for (const id of requestIds) assert.equal(await isLocked(s.zk, `${REQUESTS_LOCK}/${id}`), false, `request ${id} unlocked`);
  for (const id of nodeIds) assert.equal(await isLocked(s.zk, `/nodepool/nodes/${id}/lock`), false, `node ${id} unlocked`);
}

/** Waits (30 s by default) until neither the requests' locks nor their nodes' locks are held. */
export async function waitNoLocks(s: Stack, requestIds: string[], nodeIds: string[], timeoutMs = 30_000): Promise<void> {
  await eventually(
    'locks released',
    async () => {
      await assertNoLocks(s, requestIds, nodeIds);
      return true;
    },
    timeoutMs,
  );
}

/**
 * The pool the storm tests run on (crash, Temporal restart): one provider `sim`, one pool of 100
 * servers of label `small` on a cloud image, no host-key scan, no quota; the launcher started.
 */
export const stormPool = {
  config: (cloud: string) => ({
    labels: [{ name: 'small' }],
    providers: [
      {
        name: 'sim',
        cloud,
        rate: 0,
        'cloud-images': [{ name: 'noble', 'image-name': 'ubuntu-noble' }],
        pools: [{ name: 'main', 'max-servers': 100, 'host-key-checking': false, labels: [{ name: 'small', 'cloud-image': 'noble', 'flavor-name': 'm1.tiny' }] }],
      },
    ],
  }),
  async setup(s: Stack): Promise<void> {
    await s.sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
    await s.sim.admin.setQuotas({ instances: -1, cores: -1, ram: -1 });
    await s.startLauncher();
  },
};

/** Waits until every request is fulfilled (per the Zuul stand-in); resolves to their nodes. */
export async function waitFulfilled(s: Stack, ids: string[], timeoutMs = 240_000): Promise<string[]> {
  type Listing = Record<string, { state: string; nodes: string[] }>;
  await eventually(
    'all requests fulfilled',
    async () => {
      const reqs = (await s.zuul(['list-requests'])) as Listing;
      return ids.every((id) => reqs[id]?.state === 'fulfilled');
    },
    timeoutMs,
  );
  const reqs = (await s.zuul(['list-requests'])) as Listing;
  return ids.flatMap((id) => reqs[id]?.nodes ?? []);
}

export interface WorkflowScan {
  /** Ids of every workflow scanned (one entry per workflow, however many runs). */
  workflowIds: Set<string>;
  runs: number;
  /** Every failed workflow task but UnhandledCommand (see below): "<workflow id> (run <id>) event <n>: <cause> <message>". */
  failedTasks: string[];
  /** Runs that failed, timed out or were terminated: "<workflow id> (run <id>) <status>". */
  endedBadly: string[];
}

/**
 * Every run matching `query` (all by default), open or closed, its whole history read: a
 * workflow task that failed (a replay that disagreed with the code, an activity result that
 * could not be decoded…) shows as a WorkflowTaskFailed event.
 */
export async function scanWorkflows(client: Client, query?: string): Promise<WorkflowScan> {
  const scan: WorkflowScan = { workflowIds: new Set(), runs: 0, failedTasks: [], endedBadly: [] };
  for await (const wf of client.workflow.list(query ? { query } : {})) {
    scan.runs++;
    scan.workflowIds.add(wf.workflowId);
    if (['FAILED', 'TIMED_OUT', 'TERMINATED'].includes(wf.status.name)) scan.endedBadly.push(`${wf.workflowId} (run ${wf.runId}) ${wf.status.name}`);
    const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    for (const e of history.events ?? []) {
      const a = e.workflowTaskFailedEventAttributes;
      // UnhandledCommand is the server turning down a completion because events (a signal, a
      // child's end) came in while the task ran: the worker decides again with them. A race of
      // timing, not a fault of the workflow code (a lead node and its child both deleted at once).
      if (a && a.cause !== temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND) scan.failedTasks.push(`${wf.workflowId} (run ${wf.runId}) event ${String(e.eventId)}: ${String(a.cause)} ${a.failure?.message ?? ''}`);
    }
  }
  return scan;
}

/**
 * Every run matching `query` whose history has a failed workflow task, with the failure; and how
 * many runs were scanned, so a caller can check the scan saw its workflows at all.
 */
export async function failedWorkflowTasks(client: Client, query?: string): Promise<{ failed: string[]; runs: number }> {
  const { failedTasks, runs } = await scanWorkflows(client, query);
  return { failed: failedTasks, runs };
}
