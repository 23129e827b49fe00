// Nova's JSON views of servers and flavors, as a real Nova renders them at the negotiated microversion.
import { fipStatus } from './neutron';
import type { Store } from './state';
import type { SimFlavor, SimFloatingIp, SimServer } from './types';

export type Microversion = [number, number];
export const atLeast = (v: Microversion, minor: number): boolean => v[0] > 2 || (v[0] === 2 && v[1] >= minor);

const VM_STATE: Record<SimServer['status'], string> = {
  BUILD: 'building',
  ACTIVE: 'active',
  ERROR: 'error',
  SHUTOFF: 'stopped',
  DELETED: 'deleted',
};
const POWER_STATE: Record<SimServer['status'], number> = { BUILD: 0, ACTIVE: 1, ERROR: 0, SHUTOFF: 4, DELETED: 0 };

const links = (base: string, kind: string, id: string): unknown[] => [
  { rel: 'self', href: `${base}/${kind}/${id}` },
  { rel: 'bookmark', href: `${base.replace(/\/v2\.1$/, '')}/${kind}/${id}` },
];

export function flavorView(base: string, f: SimFlavor, v: Microversion): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: f.id,
    name: f.name,
    ram: f.ram,
    vcpus: f.vcpus,
    disk: f.disk,
    swap: f.swap ? f.swap : '',
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeral,
    'OS-FLV-DISABLED:disabled': false,
    'os-flavor-access:is_public': f.isPublic,
    rxtx_factor: 1.0,
    links: links(base, 'flavors', f.id),
  };
  if (atLeast(v, 55)) view.description = null;
  if (atLeast(v, 61)) view.extra_specs = {};
  if (atLeast(v, 75)) view.swap = f.swap;
  return view;
}

/** Floating IPs by the port they are on; a listing builds it once instead of a scan per server. */
export function floatingIpsByPort(store: Store): Map<string, SimFloatingIp[]> {
  const byPort = new Map<string, SimFloatingIp[]>();
  // Nova's network info cache learns of a floating IP once Neutron has wired it (ACTIVE)
  for (const f of store.data.floatingIps) if (f.port_id && fipStatus(f) === 'ACTIVE') byPort.set(f.port_id, [...(byPort.get(f.port_id) ?? []), f]);
  return byPort;
}

export function serverView(store: Store, base: string, s: SimServer, v: Microversion, fips = floatingIpsByPort(store)): Record<string, unknown> {
  const addresses: Record<string, unknown[]> = {};
  for (const a of s.addresses) {
    const net = store.network(a.networkId);
    const list = (addresses[net?.name ?? a.networkId] ??= []);
    list.push({ version: 4, addr: a.ip, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': a.mac });
    for (const f of fips.get(a.portId) ?? []) {
      list.push({ version: 4, addr: f.floating_ip_address, 'OS-EXT-IPS:type': 'floating', 'OS-EXT-IPS-MAC:mac_addr': a.mac });
    }
  }
  const flavor = store.flavor(s.flavorId);
  const view: Record<string, unknown> = {
    id: s.id,
    name: s.name,
    status: s.status,
    tenant_id: s.tenantId,
    user_id: s.userId,
    metadata: s.metadata,
    hostId: s.hostId,
    image: s.imageId ? { id: s.imageId, links: [{ rel: 'bookmark', href: `${base.replace(/\/v2\.1$/, '')}/images/${s.imageId}` }] } : '',
    flavor: atLeast(v, 47)
      ? {
          vcpus: flavor?.vcpus ?? 0,
          ram: flavor?.ram ?? 0,
          disk: flavor?.disk ?? 0,
          ephemeral: flavor?.ephemeral ?? 0,
          swap: flavor?.swap ?? 0,
          original_name: flavor?.name ?? s.flavorId,
          extra_specs: {},
        }
      : { id: s.flavorId, links: [{ rel: 'bookmark', href: `${base.replace(/\/v2\.1$/, '')}/flavors/${s.flavorId}` }] },
    created: s.created,
    updated: s.updated,
    addresses,
    accessIPv4: '',
    accessIPv6: '',
    links: links(base, 'servers', s.id),
    key_name: s.keyName,
    config_drive: s.configDrive ? 'True' : '',
    progress: s.status === 'ACTIVE' ? 100 : 0,
    'OS-DCF:diskConfig': 'MANUAL',
    'OS-EXT-AZ:availability_zone': s.availabilityZone,
    'OS-EXT-STS:vm_state': VM_STATE[s.status],
    'OS-EXT-STS:task_state': s.taskState,
    'OS-EXT-STS:power_state': POWER_STATE[s.status],
    'OS-SRV-USG:launched_at': s.status === 'BUILD' ? null : s.updated.replace('Z', '.000000'),
    'OS-SRV-USG:terminated_at': null,
    'os-extended-volumes:volumes_attached': s.volumeIds.map((id) =>
      atLeast(v, 3) ? { id, delete_on_termination: store.data.volumes.find((x) => x.id === id)?.deleteOnTermination ?? false } : { id },
    ),
    security_groups: s.securityGroups.map((name) => ({ name })),
  };
  if (s.status === 'ERROR' && s.fault) view.fault = s.fault;
  if (atLeast(v, 9)) view.locked = false;
  if (atLeast(v, 19)) view.description = null;
  if (atLeast(v, 26)) view.tags = [];
  if (atLeast(v, 63)) view.trusted_image_certificates = null;
  if (atLeast(v, 73)) view.locked_reason = null;
  return view;
}

export function serverBrief(base: string, s: SimServer): Record<string, unknown> {
  return { id: s.id, name: s.name, links: links(base, 'servers', s.id) };
}
