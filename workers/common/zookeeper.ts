// A daemon's ZooKeeper session from nodepool.yaml: zookeeper-servers (chroot of the first entry,
// as the joined host string makes it), zookeeper-tls and zookeeper-timeout.
import { type NodepoolConfig } from '../../lib/config';
import { ZkSession } from '../../lib/zk/session';

export function connectZooKeeper(config: NodepoolConfig): Promise<ZkSession> {
  if (config.zookeeperServers.length === 0) throw new Error('No ZooKeeper servers specified in config.');
  const chroot = config.zookeeperServers.find((s) => s.chroot)?.chroot || undefined;
  return ZkSession.connect({
    servers: config.zookeeperServers.map((s) => ({ host: s.host, port: s.port })),
    chroot,
    tls: config.zookeeperTls ?? undefined,
    sessionTimeoutMs: config.zookeeperTimeout * 1000,
  });
}
