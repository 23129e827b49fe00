// Small test helpers for the zk tests.
import { type ZooKeeperServer } from '../../tools/servers/zookeeper';
import { execFileSync } from 'node:child_process';
import { eventually, sleep } from '../harness/eventually';

/**
 * Waits for useZooKeeper's before() hook: Node 20 runs root-level before() hooks concurrently,
 * so a later hook cannot assume the server is up yet.
 */
export async function serverReady(zk: () => ZooKeeperServer, timeoutMs = 90_000): Promise<ZooKeeperServer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return zk();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(100);
    }
  }
}

export { eventually, sleep };

/** The java process of a test ZooKeeper (found by its data dir), for SIGSTOP/SIGCONT. */
export function zookeeperPid(server: ZooKeeperServer): number {
  const out = execFileSync('pgrep', ['-f', `java.*${server.dataDir}/zoo.cfg`]).toString().trim().split('\n')[0];
  const pid = Number(out);
  if (!pid) throw new Error(`no ZooKeeper process for ${server.dataDir}`);
  return pid;
}
