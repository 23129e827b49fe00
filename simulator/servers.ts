// Server records and the compute ports that come with them; shared by the Nova API and the
// admin API's leak injection so that both produce the same shape.
import crypto from 'node:crypto';
import { PROJECT_ID, USER_ID } from './defaults';
import { nowIso, uuid, type Store } from './state';
import type { SimNetwork, SimPort, SimServer } from './types';

export interface NewServer {
  name: string;
  flavorId: string;
  imageId: string;
  /** Networks to attach (a new port on each) or existing port ids to bind. */
  networks: ({ network: SimNetwork } | { port: SimPort })[];
  availabilityZone: string;
  metadata: Record<string, string>;
  keyName?: string | null;
  configDrive?: boolean;
  userData?: string | null;
  securityGroups?: string[];
  volumeIds?: string[];
  /** Overrides the server rules: the status it starts in. */
  status?: SimServer['status'];
}

export function newPort(store: Store, net: SimNetwork, fields: Partial<SimPort> = {}): SimPort {
  const ip = store.allocateIp(net);
  const now = nowIso();
  return {
    id: uuid(),
    name: '',
    network_id: net.id,
    project_id: PROJECT_ID,
    mac_address: store.newMac(),
    admin_state_up: true,
    status: 'DOWN',
    device_id: '',
    device_owner: '',
    fixed_ips: ip ? [{ subnet_id: net.subnetId, ip_address: ip }] : [],
    created_at: now,
    updated_at: now,
    ...fields,
  };
}

/** Takes the first server rule matching the name, counting it down. */
function takeRule(store: Store, name: string): { outcome: 'error' | 'stuck-build' | 'active'; faultMessage?: string } {
  const rule = store.serverRules.find((r) => !r.nameRegex || new RegExp(r.nameRegex).test(name));
  if (!rule) return { outcome: 'active' };
  rule.hits++;
  if (rule.times !== -1 && rule.hits >= (rule.times ?? 1)) store.serverRules = store.serverRules.filter((r) => r !== rule);
  return rule;
}

export function createServer(store: Store, spec: NewServer): SimServer {
  const now = Date.now();
  const id = uuid();
  const rule = spec.status ? { outcome: 'active' as const } : takeRule(store, spec.name);
  const status = spec.status ?? 'BUILD';
  const server: SimServer = {
    id,
    name: spec.name,
    status,
    taskState: status === 'BUILD' ? 'spawning' : null,
    created: nowIso(now),
    updated: nowIso(now),
    flavorId: spec.flavorId,
    imageId: spec.imageId,
    metadata: { ...spec.metadata },
    availabilityZone: spec.availabilityZone,
    keyName: spec.keyName ?? null,
    configDrive: spec.configDrive ?? false,
    userData: spec.userData ?? null,
    securityGroups: spec.securityGroups ?? ['default'],
    addresses: [],
    fault: null,
    readyAt: rule.outcome === 'stuck-build' ? null : now + store.data.bootDelayMs,
    outcome: rule.outcome === 'error' ? 'error' : 'active',
    goneAt: null,
    tenantId: PROJECT_ID,
    userId: USER_ID,
    volumeIds: spec.volumeIds ?? [],
    hostId: crypto.createHash('sha224').update(`${PROJECT_ID}compute-${id.slice(0, 2)}`).digest('hex'),
  };
  if (rule.outcome === 'error') {
    server.fault = { code: 500, message: rule.faultMessage ?? 'No valid host was found. ', created: server.created };
  }
  if (status === 'ERROR' && !server.fault) server.fault = { code: 500, message: 'Injected ERROR', created: server.created };
  const portStatus = status === 'ACTIVE' ? 'ACTIVE' : 'DOWN';
  for (const n of spec.networks) {
    let port: SimPort;
    if ('port' in n) {
      port = n.port;
      Object.assign(port, { device_id: id, device_owner: `compute:${spec.availabilityZone}`, status: portStatus });
    } else {
      port = newPort(store, n.network, { device_id: id, device_owner: `compute:${spec.availabilityZone}`, status: portStatus });
      if (port.fixed_ips.length === 0) {
        // Neutron refuses the port (IpAddressGenerationFailure); Nova aborts the build.
        server.outcome = 'error';
        server.fault = { code: 500, message: `Build of instance ${id} aborted: Failed to allocate the network(s), not rescheduling.`, created: server.created };
        break;
      }
      store.data.ports.push(port);
    }
    const ip = port.fixed_ips[0]?.ip_address;
    if (ip) server.addresses.push({ networkId: port.network_id, portId: port.id, ip, mac: port.mac_address });
  }
  store.data.servers.push(server);
  store.changed();
  return server;
}

/** Nova's async delete: the server is visible with task_state `deleting` for the delete delay. */
export function deleteServer(store: Store, s: SimServer): void {
  if (s.goneAt === null) {
    s.goneAt = Date.now() + store.data.deleteDelayMs;
    s.taskState = 'deleting';
    s.updated = nowIso();
    store.changed();
  }
}
