// Leaked servers (nodepool-behaviour.md §2.13 step 2): servers carrying this provider's
// nodepool_provider_name and a nodepool_node_id with no znode. A server is deleted only when the
// previous pass saw it leaked too, and never while its node workflow runs (that workflow owns
// its server, e.g. a slow boot or a delete in progress).
import { type Client } from '@temporalio/client';
import { type Provider } from '../../drivers/provider';
import { type CleanupAction, type CleanupTaskReport } from './types';
import { isRunning } from './workflows';

export interface LeakedServersInput {
  provider: string;
  cloud: Provider;
  /** Node znode names, read after the server listing (a server's znode is made before it). */
  nodeIds: () => Promise<string[]>;
  client: Client;
  previous: string[];
  /** Deletes and logs; false when the delete failed (it is tried again on a later pass). */
  remove: (action: CleanupAction) => Promise<boolean>;
}

export async function leakedServers(input: LeakedServersInput): Promise<{ report: CleanupTaskReport; seen: string[] }> {
  // a failed listing throws: the task is aborted for this pass and nothing looks leaked
  const servers = await input.cloud.listNodepoolServers();
  const known = new Set(await input.nodeIds());
  const previous = new Set(input.previous);
  const seen: string[] = [];
  const done: CleanupAction[] = [];
  for (const s of servers) {
    const nodeId = s.metadata.nodepool_node_id;
    if (s.metadata.nodepool_provider_name !== input.provider || !nodeId) continue;
    if (s.status === 'DELETED' || s.taskState === 'deleting' || known.has(nodeId)) continue;
    if (await isRunning(input.client, `node/${nodeId}`)) continue;
    seen.push(s.id);
    if (!previous.has(s.id)) continue;
    const action = { kind: 'server', id: s.id, reason: `leaked: no znode for node ${nodeId} on two passes (${s.name})` };
    if (await input.remove(action)) done.push(action);
  }
  return { report: { ok: true, found: seen.length, done }, seen: seen.filter((id) => !done.some((d) => d.id === id)) };
}
