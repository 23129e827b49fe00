// What must hold after a storm survived a crash or a server restart (test/launcher/crash.test.ts,
// test/launcher/temporal-restart.test.ts): every request fulfilled, exactly one server per node,
// no server without a node, no lock left behind, no workflow task failed.
import assert from 'node:assert/strict';
import { type Client } from '@temporalio/client';
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

/**
 * Every run matching `query` whose history has a failed workflow task (a replay that disagreed
 * with the code shows here as a non-determinism failure), with the failure; and how many runs
 * were scanned, so a caller can check the scan saw its workflows at all.
 */
export async function failedWorkflowTasks(client: Client, query?: string): Promise<{ failed: string[]; runs: number }> {
  const failed: string[] = [];
  let runs = 0;
  for await (const wf of client.workflow.list(query ? { query } : {})) {
    runs++;
    const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    for (const e of history.events ?? []) {
      const a = e.workflowTaskFailedEventAttributes;
      if (a) failed.push(`${wf.workflowId} (run ${wf.runId}) event ${String(e.eventId)}: ${String(a.cause)} ${a.failure?.message ?? ''}`);
    }
  }
  return { failed, runs };
}
