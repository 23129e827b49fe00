// Fulfilling a request in Nodepool's write order (zk-protocol.md §1.7): nodes listed in
// node_types order, state fulfilled, nodes unlocked *before* the request is written (Zuul locks
// them as soon as it sees `fulfilled`), then the request lock released.
import { type Node } from '../../model/node';
import { type NodeRequest } from '../../model/node-request';
import { setRequestState } from '../codec-request';
import { type ZkLock } from '../lock';
import { type ZkSession } from '../session';
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

export async function fulfilRequest(s: ZkSession, request: NodeRequest, held: HeldNode[], requestLock: ZkLock | null): Promise<void> {
  for (const { node } of held) {
    if (node.state !== 'ready' || node.allocated_to !== request.id) {
      throw new Error(`node ${node.id} is ${node.state} allocated to ${node.allocated_to}; cannot fulfil ${request.id}`);
    }
  }
  request.nodes = orderNodesForRequest(
    request,
    held.map((h) => h.node),
  );
  setRequestState(request, 'fulfilled');
  for (const h of held) await h.lock?.release();
  await storeRequest(s, request);
  await requestLock?.release();
}
