// What the web app needs from the launcher, and how it listens.
import { type ZkSession } from '../../lib/zk/session';

export interface WebAppSource {
  /** The launcher's ZooKeeper session (the web app reads through it; it may be replaced). */
  session(): ZkSession;
  /** True once the launcher has finished its first pass (/ready). */
  isReady(): boolean;
}

export interface WebAppConfig {
  /** 0 picks a free port. */
  port: number;
  listenAddress: string;
}

export interface WebApp {
  /** The port actually listened on. */
  port: number;
  close(): Promise<void>;
}
