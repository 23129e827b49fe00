// Neutron: networks (by name or id), ports (DOWN-port cleanup) and floating IPs (list, delete,
// delete unattached; a launch's floating IP: floating-ips.ts). pkgcloud's network client adds the /v2.0 prefix to every path.
import { FatalCloudError, NotFoundError } from '../../errors';
import { type FloatingIp, type Port } from '../../provider';
import { type NeutronNetwork, type OpenStackContext } from './context';
import { deleteQuietly } from './errors';
import { externalIpv4Networks } from './floating-ips';
import { listAll } from './paginate';

interface NeutronPort {
  id: string;
  status: string;
  device_owner?: string | null;
  device_id?: string | null;
  network_id: string;
  created_at?: string;
  fixed_ips?: { ip_address?: string }[];
}

interface NeutronFloatingIp {
  id: string;
  floating_ip_address: string;
  port_id: string | null;
  fixed_ip_address: string | null;
  status: string;
  floating_network_id: string;
}

export function listNetworks(ctx: OpenStackContext): Promise<NeutronNetwork[]> {
  return ctx.caches.networks.get(() =>
    listAll<NeutronNetwork>(ctx.session, { service: 'network', path: 'networks', key: 'networks', pageSize: ctx.pageSize }),
  );
}

/** Network id for a pool/label `networks` entry (a name or an id). */
export async function resolveNetwork(ctx: OpenStackContext, nameOrId: string): Promise<string> {
  const nets = await listNetworks(ctx);
  const byId = nets.find((n) => n.id === nameOrId);
  if (byId) return byId.id;
  const byName = nets.filter((n) => n.name === nameOrId);
  if (byName.length > 1) throw new FatalCloudError(`network name "${nameOrId}" is ambiguous (${byName.length} networks); use its id`);
  if (!byName[0]) throw new NotFoundError(`Unable to find network "${nameOrId}" (provider ${ctx.provider})`);
  return byName[0].id;
}

/** Names and ids of external IPv4 networks (for public/private address classification). */
export async function externalNetworks(ctx: OpenStackContext): Promise<Set<string>> {
  return externalIpv4Networks(ctx, await listNetworks(ctx));
}

function toPort(p: NeutronPort): Port {
  return {
    id: p.id,
    status: p.status,
    deviceOwner: p.device_owner ?? '',
    deviceId: p.device_id ?? '',
    networkId: p.network_id,
    createdAt: p.created_at,
  };
}

export async function listPorts(ctx: OpenStackContext, filter: { status?: string; deviceId?: string } = {}): Promise<Port[]> {
  const qs: Record<string, string> = {};
  if (filter.status) qs.status = filter.status;
  if (filter.deviceId) qs.device_id = filter.deviceId;
  const ports = await listAll<NeutronPort>(ctx.session, { service: 'network', path: 'ports', key: 'ports', qs, pageSize: ctx.pageSize });
  return ports.map(toPort);
}

export function deletePort(ctx: OpenStackContext, id: string): Promise<boolean> {
  return deleteQuietly(() => ctx.session.call('network', { method: 'DELETE', path: `ports/${id}` }));
}

function toFloatingIp(f: NeutronFloatingIp): FloatingIp {
  return {
    id: f.id,
    address: f.floating_ip_address,
    portId: f.port_id,
    fixedAddress: f.fixed_ip_address,
    status: f.status,
    networkId: f.floating_network_id,
  };
}

export async function listFloatingIps(ctx: OpenStackContext): Promise<FloatingIp[]> {
  const fips = await listAll<NeutronFloatingIp>(ctx.session, {
    service: 'network',
    path: 'floatingips',
    key: 'floatingips',
    pageSize: ctx.pageSize,
  });
  return fips.map(toFloatingIp);
}

export function deleteFloatingIp(ctx: OpenStackContext, id: string): Promise<boolean> {
  return deleteQuietly(() => ctx.session.call('network', { method: 'DELETE', path: `floatingips/${id}` }));
}

/** openstacksdk delete_unattached_floating_ips: every floating IP without a port. */
export async function deleteUnattachedFloatingIps(ctx: OpenStackContext): Promise<number> {
  let n = 0;
  for (const f of await listFloatingIps(ctx)) {
    if (f.portId) continue;
    if (await deleteFloatingIp(ctx, f.id)) n++;
  }
  return n;
}
