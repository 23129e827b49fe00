// Nodepool's set_node_ip (nodepool/nodeutils.py) for static hosts: the first address
// getaddrinfo(hostname, port) returns decides public_ipv4 or public_ipv6. A name that does not
// resolve fails the registration (Nodepool logs the exception and skips that slot).
import { lookup } from 'node:dns/promises';

/** The first resolved address, or null when Nodepool would not set any (a "fake" host name). */
export type PublicIp = { family: 4 | 6; address: string } | null;

/** Injected in tests; throws when the name does not resolve. */
export type HostResolver = (hostname: string, port: number) => Promise<PublicIp>;

/**
 * getaddrinfo's own order (no re-sorting, no family filter), as Python's socket.getaddrinfo
 * with AF_UNSPEC and no flags. Nodepool skips names containing "fake" (its test clouds'
 * hosts); we do the same so such a config yields the same znode.
 */
export const resolvePublicIp: HostResolver = async (hostname) => {
  if (hostname.includes('fake')) return null;
  const got = await lookup(hostname, { order: 'verbatim' });
  if (got.family !== 4 && got.family !== 6) throw new Error(`Unable to find public IP of server ${hostname}`);
  return { family: got.family, address: got.address };
};
