// What the builder's activities get from the worker that runs them: one ZooKeeper session, the
// current config, cloud clients, statsd, and this builder's identity and concurrency limits.
import { type Provider } from '../../drivers/provider';
import { type NodepoolConfig } from '../../lib/config';
import { type Stats } from '../../lib/metrics/statsd';
import { type ZkSession } from '../../lib/zk/session';
import { type BuildLocks } from './locks';
import { type Semaphore } from './semaphore';

export interface BuilderContext {
  zk(): ZkSession;
  config(): NodepoolConfig;
  /** uuid4 from <images-dir>/builder_id.txt. */
  builderId: string;
  /** FQDN, written into build records as `builder`. */
  hostname: string;
  provider(name: string): Provider;
  /** A provider's image format (its cloud's clouds.yaml image_format); undefined → qcow2. */
  imageFormatOf(config: NodepoolConfig, provider: string): string | undefined;
  stats: Stats;
  /** `--upload-workers`. */
  uploadSlots: Semaphore;
  /** Image build locks this builder holds for the builds it claimed. */
  buildLocks: BuildLocks;
}
