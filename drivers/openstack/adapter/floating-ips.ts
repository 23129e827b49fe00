// Floating IPs as Nodepool 11's OpenStack adapter gets them through openstacksdk: which networks
// play which role (_set_interesting_networks), whether a server needs one (_needs_floating_ip),
// which port it goes on (_nat_destination_port), create-and-wait (create_floating_ip with
// wait=True), then Nodepool's own wait until the server's addresses show it; and on delete the
// server's floating IPs go first (Nodepool's OpenStackDeleteStateMachine).
import { RetryableCloudError, FatalCloudError, NotFoundError, ServerWaitTimeoutError } from '../../errors';
import { type CloudServer } from '../../provider';
import { type NeutronNetwork, type OpenStackContext } from './context';
import { deleteQuietly } from './errors';
import { listNetworks } from './network';
import { listAll } from './paginate';

interface NeutronPortDoc {
  id: string;
  network_id: string;
  created_at?: string;
  fixed_ips?: { ip_address?: string }[];
}

interface NeutronSubnet {
  network_id: string;
  gateway_ip?: string | null;
}

interface NeutronFip {
  id: string;
  floating_ip_address: string;
  port_id: string | null;
  status: string;
}

const isIpv4 = (ip: string | undefined): ip is string => !!ip && /^\d{1,3}(\.\d{1,3}){3}$/.test(ip);
const named = (n: NeutronNetwork, names: readonly string[]) => names.includes(n.name) || names.includes(n.id);

/** openstacksdk's external IPv4 networks: configured `routes_ipv4_externally`, or router:external
 *  / provider networks the config does not call internal. Names and ids, for address classes. */
export function externalIpv4Networks(ctx: OpenStackContext, nets: readonly NeutronNetwork[]): Set<string> {
  const external = ctx.cloudNetworks.filter((n) => n.routesIpv4Externally).map((n) => n.name);
  const internal = ctx.cloudNetworks.filter((n) => !n.routesIpv4Externally).map((n) => n.name);
  const out = nets.filter((n) => named(n, external) || ((n['router:external'] || n['provider:physical_network']) && !named(n, internal)));
  return new Set(out.flatMap((n) => [n.id, n.name]));
}

/** The network floating IPs come from: the configured `nat_source`, else the first router:external. */
export async function floatingNetwork(ctx: OpenStackContext): Promise<NeutronNetwork | undefined> {
  const nets = await listNetworks(ctx);
  const source = ctx.cloudNetworks.find((n) => n.natSource)?.name;
  if (source) {
    const found = nets.filter((n) => named(n, [source]));
    if (found.length !== 1) throw new FatalCloudError(`clouds.yaml nat_source network "${source}" matches ${found.length} networks (provider ${ctx.provider})`);
    return found[0];
  }
  return nets.find((n) => n['router:external']);
}

/** The configured `nat_destination`, else (openstacksdk) the last network with a gateway subnet. */
async function natDestination(ctx: OpenStackContext): Promise<NeutronNetwork | undefined> {
  const nets = await listNetworks(ctx);
  const configured = ctx.cloudNetworks.find((n) => n.natDestination)?.name;
  if (configured) return nets.find((n) => named(n, [configured]));
  const subnets = await listAll<NeutronSubnet>(ctx.session, { service: 'network', path: 'subnets', key: 'subnets', pageSize: ctx.pageSize });
  const withGateway = new Set(subnets.filter((s) => s.gateway_ip).map((s) => s.network_id));
  return nets.filter((n) => withGateway.has(n.id)).pop();
}

/** The server's port a floating IP goes on, and its fixed IPv4 (openstacksdk _nat_destination_port). */
async function natDestinationPort(ctx: OpenStackContext, serverId: string): Promise<{ portId: string; fixedIp: string } | null> {
  let ports = await listAll<NeutronPortDoc>(ctx.session, { service: 'network', path: 'ports', key: 'ports', qs: { device_id: serverId }, pageSize: ctx.pageSize });
  if (ports.length === 0) return null;
  if (ports.length > 1) {
    const dest = await natDestination(ctx);
    if (!dest) throw new FatalCloudError(`server ${serverId} has several ports and no network is a NAT destination; set nat_destination in clouds.yaml`);
    ports = ports.filter((p) => p.network_id === dest.id);
    if (ports.length === 0) throw new FatalCloudError(`no port of server ${serverId} is on the NAT destination network ${dest.name}`);
  }
  // the newest port with an IPv4 address
  for (const p of [...ports].sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? ''))) {
    const ip = (p.fixed_ips ?? []).map((f) => f.ip_address).find(isIpv4);
    if (ip) return { portId: p.id, fixedIp: ip };
  }
  throw new FatalCloudError(`unable to find a free fixed IPv4 address for server ${serverId}`);
}

/** openstacksdk _needs_floating_ip (Nodepool calls it with nat_destination None). */
export async function needsFloatingIp(ctx: OpenStackContext, server: CloudServer): Promise<boolean> {
  if (!ctx.floatingIpSource) return false;
  if (server.addresses.publicV4) return false; // a public or floating address already
  if (!server.addresses.privateV4) return false; // no fixed address to NAT to
  if (ctx.preferPrivate) return false;
  if (!(await floatingNetwork(ctx))) return false;
  return (await natDestinationPort(ctx, server.id)) !== null;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason as Error)), { once: true });
  });
}

async function getFip(ctx: OpenStackContext, id: string): Promise<NeutronFip | null> {
  try {
    const { body } = await ctx.session.call<{ floatingip?: NeutronFip }>('network', { method: 'GET', path: `floatingips/${id}` });
    return body?.floatingip ?? null;
  } catch (e) {
    if (e instanceof NotFoundError) return null;
    throw e;
  }
}

export interface AttachOptions {
  /** openstacksdk's create_floating_ip default: 60 s for ACTIVE, the same again for the server to show it. */
  timeoutMs?: number;
  signal?: AbortSignal;
  pollMs?: number;
}

/**
 * Creates a floating IP on the server's NAT-destination port, waits until Neutron says ACTIVE
 * (deleting it if that never comes) and until the server's addresses show it, as Nodepool's
 * create state machine does. Returns the server with its floating address as publicV4.
 */
export async function attachFloatingIp(ctx: OpenStackContext, server: CloudServer, opts: AttachOptions = {}): Promise<CloudServer> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const net = await floatingNetwork(ctx);
  if (!net) throw new NotFoundError(`unable to find an external network (provider ${ctx.provider})`);
  const port = await natDestinationPort(ctx, server.id);
  if (!port) throw new NotFoundError(`server ${server.id} has no port to attach a floating IP to`);
  const { body } = await ctx.session.call<{ floatingip?: NeutronFip }>('network', {
    method: 'POST',
    path: 'floatingips',
    body: { floatingip: { floating_network_id: net.id, port_id: port.portId, fixed_ip_address: port.fixedIp } },
  });
  const created = body?.floatingip;
  if (!created) throw new FatalCloudError('POST floatingips: response has no "floatingip"');
  const deadline = Date.now() + timeoutMs;
  let fip: NeutronFip | null = created;
  try {
    while (fip?.status !== 'ACTIVE') {
      if (Date.now() >= deadline) throw new RetryableCloudError(`Timeout waiting for the floating IP ${created.floating_ip_address} to be ACTIVE`);
      await sleep(opts.pollMs ?? 500, opts.signal);
      fip = await getFip(ctx, created.id);
      if (!fip) throw new RetryableCloudError(`floating IP ${created.floating_ip_address} disappeared before it became ACTIVE`);
    }
    if (fip.port_id !== port.portId) throw new FatalCloudError(`floating IP ${fip.floating_ip_address} is on port ${fip.port_id}, not ${port.portId}`);
  } catch (e) {
    // never leak it (openstacksdk deletes a floating IP that did not become ACTIVE)
    await deleteQuietly(() => ctx.session.call('network', { method: 'DELETE', path: `floatingips/${created.id}` })).catch(() => undefined);
    throw e;
  }
  const address = fip.floating_ip_address;
  try {
    const shown = await ctx.serverStatus.waitFor(server.id, (s) => s === null || s.addresses.publicV4 === address, {
      timeoutMs: Math.max(1000, timeoutMs),
      signal: opts.signal,
    });
    if (!shown) throw new RetryableCloudError(`server ${server.id} disappeared while its floating IP was attached`);
    return shown;
  } catch (e) {
    if (e instanceof ServerWaitTimeoutError) throw new RetryableCloudError(`server ${server.id} does not show floating IP ${address} in its addresses`);
    throw e;
  }
}

/** Floating addresses in a Nova server document's `addresses`. */
export function floatingAddresses(addresses: Record<string, { addr?: string; 'OS-EXT-IPS:type'?: string }[] | undefined> | undefined): string[] {
  return Object.values(addresses ?? {}).flatMap((list) => (list ?? []).filter((a) => a['OS-EXT-IPS:type'] === 'floating' && a.addr).map((a) => a.addr as string));
}

/** Deletes these floating IPs (by address) and waits until they are gone or DOWN. */
export async function deleteFloatingIpsByAddress(ctx: OpenStackContext, addresses: readonly string[], timeoutMs = 60_000): Promise<void> {
  const ids: string[] = [];
  for (const addr of addresses) {
    const found = await listAll<NeutronFip>(ctx.session, { service: 'network', path: 'floatingips', key: 'floatingips', qs: { floating_ip_address: addr }, pageSize: ctx.pageSize });
    for (const f of found) {
      await deleteQuietly(() => ctx.session.call('network', { method: 'DELETE', path: `floatingips/${f.id}` }));
      ids.push(f.id);
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (const id of ids) {
    for (;;) {
      const f = await getFip(ctx, id);
      if (!f || f.status === 'DOWN') break;
      if (Date.now() >= deadline) throw new RetryableCloudError(`floating IP ${f.floating_ip_address} still exists after delete`);
      await sleep(500);
    }
  }
}
