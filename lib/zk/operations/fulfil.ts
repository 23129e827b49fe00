// Fulfilling a request in Nodepool's write order (zk-protocol.md §1.7): nodes listed in
// node_types order, state fulfilled, nodes unlocked *before* the request is written (Zuul locks
// them as soon as it sees `fulfilled`), then the request lock released.
import { type Node } from '../../model/node';
import { type NodeRequest } from '../../model/node-request';
import { setRequestState } from '../codec-request';
import { type ZkLock } from '../lock';
import { type ZkSession } from '../session';
import { isNoNode } from '../errors';
import { requestPath } from '../paths';
import { lockNode, readNode, storeNode } from './nodes';
import { storeRequest } from './requests';

export interface HeldNode {
  node: Node;
  lock: ZkLock | null;
}

/** nodes[i] answers node_types[i]: each label takes the first unused node that has it. */
export function orderNodesForRequest(request: NodeRequest, nodes: Node[]): string[] {
  const unused = [...nodes];
  return request.node_types.map((label) => {
    const i = unused.findIndex((n) => n.type.includes(label));
    if (i < 0) throw new Error(`request ${request.id}: no node for label ${label}`);
    const [n] = unused.splice(i, 1);
    return (n as Node).id;
  });
}

/**
 * Returns 'gone' when the requestor deleted the request meanwhile (Zuul cancelled it): then, as
 * NP24 poll() does, the nodes are deallocated and unlocked (they stay ready for reuse) and the
 * request lock is released.
 */
export async function fulfilRequest(s: ZkSession, request: NodeRequest, held: HeldNode[], requestLock: ZkLock | null): Promise<'fulfilled' | 'gone'> {
  for (const { node } of held) {
    if (node.state !== 'ready' || node.allocated_to !== request.id) {
      throw new Error(`node ${node.id} is ${node.state} allocated to ${node.allocated_to}; cannot fulfil ${request.id}`);
    }
  }
  if (!(await s.exists(requestPath(request.id)))) {
    await releaseForCancelledRequest(s, held, requestLock);
    return 'gone';
  }
  request.nodes = orderNodesForRequest(
    request,
    held.map((h) => h.node),
  );
  setRequestState(request, 'fulfilled');
  for (const h of held) await h.lock?.release();
  try {
    await storeRequest(s, request);
  } catch (e) {
    if (!isNoNode(e)) throw e;
    // cancelled between the check and the write: the nodes are unlocked already; free them
    for (const h of held) await deallocate(s, h.node);
    await requestLock?.release();
    return 'gone';
  }
  await requestLock?.release();
  return 'fulfilled';
}

/** The request vanished: clear allocated_to on its nodes, unlock them and the request. */
export async function releaseForCancelledRequest(s: ZkSession, held: HeldNode[], requestLock: ZkLock | null): Promise<void> {
  for (const h of held) {
    h.node.allocated_to = null;
    try {
      await storeNode(s, h.node);
    } catch (e) {
      if (!isNoNode(e)) throw e;
    }
    await h.lock?.release();
  }
  await requestLock?.release();
}

/** Clears allocated_to under a short node lock (the node is no longer ours to write freely). */
async function deallocate(s: ZkSession, node: Node): Promise<void> {
  const lock = await lockNode(s, node.id, { blocking: true, timeoutMs: 5000 });
  if (!lock) return; // Zuul got it first after all; the deleted-node worker deallocates later
  try {
    const fresh = await readNode(s, node.id);
    if (fresh && fresh.value.allocated_to === node.allocated_to) {
      fresh.value.allocated_to = null;
      await storeNode(s, fresh.value, fresh.version);
    }
  } finally {
    await lock.release();
  }
}
