// Watches /nodepool/nodes and reports state changes, so the node workflow can be told when Zuul
// marks its node `used` (or `hold`), and deletions done by others are noticed.
import { type Node, type NodeState } from '../../model/node';
import { decodeNode } from '../codec-node';
import { NODES } from '../paths';
import { type ZkSession } from '../session';
import { ChildrenCache, type CacheEvent } from './children-cache';

export type NodeEvent = CacheEvent<Node>;

export interface NodeStateChange {
  id: string;
  /** null when the node is new to us. */
  from: NodeState | null;
  /** null when the znode was deleted. */
  to: NodeState | null;
  node: Node;
}

export class NodeWatcher extends ChildrenCache<Node> {
  constructor(session: ZkSession) {
    super(session, NODES, decodeNode);
    this.on('event', (ev: NodeEvent) => {
      if (ev.type === 'added') this.emit('state', { id: ev.id, from: null, to: ev.value.state, node: ev.value } satisfies NodeStateChange);
      else if (ev.type === 'deleted') this.emit('state', { id: ev.id, from: ev.previous.state, to: null, node: ev.previous } satisfies NodeStateChange);
      else if (ev.value.state !== ev.previous.state) this.emit('state', { id: ev.id, from: ev.previous.state, to: ev.value.state, node: ev.value } satisfies NodeStateChange);
    });
  }

  onStateChange(fn: (change: NodeStateChange) => void): this {
    return this.on('state', fn);
  }

  inState(...states: NodeState[]): Node[] {
    return this.values().filter((n) => states.includes(n.state));
  }
}
