// public_v4 / private_v4 / public_v6 / interface_ip from Nova's `addresses`, as openstacksdk's
// add_server_interfaces does it: floating IPs and fixed IPs on router:external networks are
// public; fixed IPv4 on other networks is private; without network info, RFC 1918 decides.
// Nodepool then falls back from private_v4 to public_v4.
import { type ServerAddresses } from '../../provider';

export interface NovaAddress {
  version?: number;
  addr?: string;
  'OS-EXT-IPS:type'?: string;
}

export type NovaAddresses = Record<string, NovaAddress[] | undefined>;

export interface AddressOptions {
  /** Names and ids of router:external networks, when known (from Neutron). */
  externalNetworks?: ReadonlySet<string>;
  /** clouds.yaml `private: true`: connect to the private address. */
  preferPrivate?: boolean;
  /** Use a global IPv6 address for interface_ip when there is one (openstacksdk: local IPv6 and !force_ipv4). */
  preferIpv6?: boolean;
}

const PRIVATE_V4 = [/^10\./, /^172\.(1[6-9]|2\d|3[01])\./, /^192\.168\./, /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./, /^127\./, /^169\.254\./];

export function isPrivateV4(ip: string): boolean {
  return PRIVATE_V4.some((r) => r.test(ip));
}

function isGlobalV6(ip: string): boolean {
  const l = ip.toLowerCase();
  return !l.startsWith('fe80:') && !l.startsWith('fc') && !l.startsWith('fd') && l !== '::1';
}

export function serverAddresses(addresses: NovaAddresses | undefined, opts: AddressOptions = {}): ServerAddresses {
  let floatingV4: string | undefined;
  let externalFixedV4: string | undefined;
  let privateV4: string | undefined;
  let unknownPublicV4: string | undefined;
  let publicV6: string | undefined;
  for (const [net, list] of Object.entries(addresses ?? {})) {
    const external = opts.externalNetworks ? opts.externalNetworks.has(net) : undefined;
    for (const a of list ?? []) {
      if (!a.addr) continue;
      const type = a['OS-EXT-IPS:type'];
      if (a.version === 6) {
        if (!publicV6 && isGlobalV6(a.addr)) publicV6 = a.addr;
        continue;
      }
      if (type === 'floating') floatingV4 ??= a.addr;
      else if (external) externalFixedV4 ??= a.addr;
      else if (external === false || isPrivateV4(a.addr)) privateV4 ??= a.addr;
      else unknownPublicV4 ??= a.addr;
    }
  }
  const publicV4 = floatingV4 ?? externalFixedV4 ?? unknownPublicV4;
  const interfaceIp = opts.preferPrivate ? (privateV4 ?? publicV4) : opts.preferIpv6 && publicV6 ? publicV6 : (publicV4 ?? publicV6);
  return {
    publicV4,
    privateV4: privateV4 ?? publicV4,
    publicV6,
    interfaceIp,
  };
}
