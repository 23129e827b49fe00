// Declining a request (zk-protocol.md §1.6): add our launcher (pool) id to declined_by; the
// request fails only when every *registered* pool has declined it, otherwise it goes back to
// `requested` for the others. Held nodes are deallocated and unlocked, the request stored and
// unlocked — NP24 _declineRequest + _declinedHandlerCleanup.
import { type NodeRequest } from '../../model/node-request';
import { setRequestState } from '../codec-request';
import { isNoNode } from '../errors';
import { type ZkLock } from '../lock';
import { type ZkSession } from '../session';
import { type HeldNode } from './fulfil';
import { storeNode } from './nodes';
import { registeredPoolIds } from './components';
import { storeRequest } from './requests';
import { log } from '../../log';

/** Sets declined_by and the state; returns the new state. */
export function markDeclined(request: NodeRequest, launcherId: string, registered: Iterable<string>): 'failed' | 'requested' {
  if (!request.declined_by.includes(launcherId)) request.declined_by.push(launcherId);
  const declined = new Set(request.declined_by);
  const all = [...registered].every((id) => declined.has(id));
  setRequestState(request, all ? 'failed' : 'requested');
  return request.state as 'failed' | 'requested';
}

export interface DeclineOptions {
  /** Registered pool ids; read from ZooKeeper (NP24 components and NP19 launchers) when absent. */
  registered?: string[];
  /** Nodes held for the request. */
  nodes?: HeldNode[];
  /** false for the decline after a failed launch (poll()): NP24 leaves allocated_to set. */
  clearAllocation?: boolean;
}

export async function declineRequest(
  s: ZkSession,
  request: NodeRequest,
  launcherId: string,
  requestLock: ZkLock | null,
  opts: DeclineOptions = {},
): Promise<'failed' | 'requested'> {
  const registered = opts.registered ?? (await registeredPoolIds(s));
  const state = markDeclined(request, launcherId, registered);
  for (const h of opts.nodes ?? []) {
    if (opts.clearAllocation ?? true) {
      h.node.allocated_to = null;
      try {
        await storeNode(s, h.node);
      } catch (e) {
        log('zk').warn({ err: e, node: h.node.id }, 'could not clear node allocation');
      }
    }
    await h.lock?.release();
  }
  try {
    await storeRequest(s, request);
  } catch (e) {
    if (!isNoNode(e)) throw e;
    log('zk').info({ request: request.id }, 'request disappeared while declining');
  }
  await requestLock?.release();
  return state;
}
