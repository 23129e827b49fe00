// Small test helpers for the zk tests.
import { type ZooKeeperServer } from '../../tools/servers/zookeeper';
import { execFileSync } from 'node:child_process';

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

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until check() is truthy. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(50);
  }
}

/** The java process of a test ZooKeeper (found by its data dir), for SIGSTOP/SIGCONT. */
export function zookeeperPid(server: ZooKeeperServer): number {
  const out = execFileSync('pgrep', ['-f', `java.*${server.dataDir}/zoo.cfg`]).toString().trim().split('\n')[0];
  const pid = Number(out);
  if (!pid) throw new Error(`no ZooKeeper process for ${server.dataDir}`);
  return pid;
}
