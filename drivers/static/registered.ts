// Reading a static provider's node znodes and taking one out of service (Nodepool 11's
// deregisterNode): shared by the config sync and, later, the liveness check on reuse.
import { type Versioned } from '../../lib/model/common';
import { type Node } from '../../lib/model/node';
import { setNodeState } from '../../lib/zk/codec-node';
import { ZkDataError } from '../../lib/zk/codec-common';
import { lockNode, nodeIds, readNode, storeNode } from '../../lib/zk/operations/nodes';
import { type ZkSession } from '../../lib/zk/session';

/**
 * Every node znode of the provider, in id order (so duplicates fill slots deterministically).
 * A znode gone between list and read, or one Nodepool could not load either, is left out.
 */
export async function readProviderNodes(s: ZkSession, providerName: string): Promise<Versioned<Node>[]> {
  const ids = (await nodeIds(s)).sort();
  const got = await Promise.all(
    ids.map((id) =>
      readNode(s, id).catch((e: unknown) => {
        if (e instanceof ZkDataError) return null;
        throw e;
      }),
    ),
  );
  return got.filter((v): v is Versioned<Node> => v !== null && v.value.provider === providerName);
}

export type DeregisterOutcome = 'deregistered' | 'locked' | 'vanished' | `state ${string}`;

/**
 * Marks a READY node DELETING so the deleter removes it and, the host or slot being gone from
 * the config, nothing re-registers it. Only without waiting for the lock: a node Zuul (or a
 * request handler) holds is left alone and goes once it has been used. The state is checked
 * again under the lock; allocated_to is not (Nodepool does not check it either).
 */
export async function deregisterNode(s: ZkSession, id: string): Promise<DeregisterOutcome> {
  const lock = await lockNode(s, id, { blocking: false });
  if (!lock) return 'locked';
  try {
    const cur = await readNode(s, id);
    if (!cur) return 'vanished';
    if (cur.value.state !== 'ready') return `state ${cur.value.state}`;
    setNodeState(cur.value, 'deleting');
    await storeNode(s, cur.value, cur.version);
    return 'deregistered';
  } finally {
    await lock.release();
  }
}
