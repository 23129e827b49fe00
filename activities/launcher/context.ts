// What the launcher's activities are built from: one ZooKeeper session, the current (last
// good) config, our pool registrations, provider clients and statsd. The worker makes one.
import { type NodepoolConfig } from '../../lib/config';
import { type Node, type NodeRequest } from '../../lib/model';
import { type Stats } from '../../lib/metrics/statsd';
import { type ZkSession } from '../../lib/zk/session';
import { type Provider } from '../../drivers/provider';
import { type PoolRegistry } from './pools';
import { type QuotaTracker } from './quota';
import { type OwnWrites } from './own-writes';
import { type StaticSlots } from '../../drivers/static/slots-service';
import { type CloudProvider, isCloudProvider } from '../../drivers/registry';

export interface LauncherContext {
  zk(): ZkSession;
  config(): NodepoolConfig;
  pools: PoolRegistry;
  /** The cloud client of a configured provider (throws for an unknown one). */
  provider(name: string): Provider;
  quota: QuotaTracker;
  stats: Stats;
  /** All node znodes (from the watcher's cache when there is one). */
  nodes(): Promise<Node[]>;
  /** Every request znode with its ephemeral owner (from the watcher's cache when there is one). */
  requests?(): Array<{ req: NodeRequest; owner: bigint }>;
  /** Node states our node workflows wrote themselves: the watcher does not echo them back. */
  ownWrites?: OwnWrites;
  /** Static providers' slots (drivers/static/): refilled after a used node is deleted. */
  staticSlots?: StaticSlots;
}

/** A configured provider whose nodes are cloud servers, or null. */
export function cloudProvider(config: NodepoolConfig, name: string | null): CloudProvider | null {
  const p = name ? config.providers[name] : undefined;
  return isCloudProvider(p) ? p : null;
}

/** Serialises async work per key (e.g. the quota check + node creation of one pool). */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
