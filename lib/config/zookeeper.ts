// ZooKeeper connection settings. Default port: Nodepool [2019] and the docs say 2181, the [2024]
// code says 2281 (the conventional TLS port, and [2024] requires TLS). We pick by TLS: with
// `zookeeper-tls` (a [2024]-style config) a server without a port gets 2281, without TLS (a
// [2019]-style config) it gets 2181. So both eras' configs keep connecting where they did.
import { isIPv6 } from 'node:net';
import { type RawZooKeeperServer, type RawZooKeeperTls } from './schema';
import { type ZooKeeperServer, type ZooKeeperTls } from './types';

export const ZK_PLAIN_PORT = 2181;
export const ZK_TLS_PORT = 2281;

export function buildZooKeeperServers(raw: readonly RawZooKeeperServer[], tls: ZooKeeperTls | null): ZooKeeperServer[] {
  const port = tls ? ZK_TLS_PORT : ZK_PLAIN_PORT;
  return raw.map((s) => ({ host: s.host, port: s.port ?? port, chroot: s.chroot ?? '' }));
}

/** `host:port/chroot,...` as kazoo wants it (config.py buildZooKeeperHosts); IPv6 literals bracketed. */
export function zooKeeperHosts(servers: readonly ZooKeeperServer[]): string {
  return servers.map((s) => `${isIPv6(s.host) ? `[${s.host}]` : s.host}:${s.port}${s.chroot}`).join(',');
}

export function buildZooKeeperTls(raw: RawZooKeeperTls | undefined): ZooKeeperTls | null {
  return raw ? { cert: raw.cert, key: raw.key, ca: raw.ca } : null;
}
