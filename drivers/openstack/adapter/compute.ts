// Nova servers: create with Nodepool's name and metadata, get, list (all pages), delete (async;
// 404 = already gone), console output, availability zones. Raw calls: pkgcloud's createServer has
// no AZ, no boot from volume and ties config_drive to userdata (libs.md §1.4).
import { isCloudError, NotFoundError, RetryableCloudError } from '../../errors';
import { type CloudServer, type CreateServerRequest } from '../../provider';
import { type AddressOptions, type NovaAddresses, serverAddresses } from './addresses';
import { type OpenStackContext } from './context';
import { deleteQuietly } from './errors';
import { findFlavor } from './flavors';
import { findCloudImageCached } from './image';
import { deleteFloatingIpsByAddress, floatingAddresses, floatingNetwork } from './floating-ips';
import { externalNetworks, resolveNetwork } from './network';
import { listAll } from './paginate';
import { nodepoolMetadata, serverName } from '../../metadata';

interface NovaServer {
  id: string;
  name: string;
  status: string;
  metadata?: Record<string, string>;
  fault?: { code?: number; message?: string };
  addresses?: NovaAddresses;
  hostId?: string;
  image?: { id?: string } | string;
  flavor?: { id?: string; original_name?: string };
  created?: string;
  'OS-EXT-AZ:availability_zone'?: string;
  'OS-EXT-STS:task_state'?: string | null;
  'os-extended-volumes:volumes_attached'?: { id: string }[];
}

export function toServer(s: NovaServer, addr: AddressOptions = {}): CloudServer {
  const imageId = typeof s.image === 'object' && s.image?.id ? s.image.id : undefined;
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    taskState: s['OS-EXT-STS:task_state'] ?? null,
    metadata: s.metadata ?? {},
    fault: s.fault?.message !== undefined ? { code: s.fault.code, message: s.fault.message } : undefined,
    addresses: serverAddresses(s.addresses, addr),
    hostId: s.hostId || undefined,
    availabilityZone: s['OS-EXT-AZ:availability_zone'] || undefined,
    flavorId: s.flavor?.id,
    imageId,
    volumeIds: (s['os-extended-volumes:volumes_attached'] ?? []).map((v) => v.id),
    created: s.created,
  };
}

/** External networks decide public vs private; without Neutron, address ranges do. */
async function addressOptions(ctx: OpenStackContext): Promise<AddressOptions> {
  try {
    return { externalNetworks: await externalNetworks(ctx), preferPrivate: ctx.preferPrivate };
  } catch (e) {
    ctx.session.log.debug({ err: (e as Error).message }, 'no network list; classifying addresses by range');
    return { preferPrivate: ctx.preferPrivate };
  }
}

export async function getServer(ctx: OpenStackContext, id: string): Promise<CloudServer | null> {
  try {
    const { body } = await ctx.session.call<{ server?: NovaServer }>('compute', { path: `servers/${encodeURIComponent(id)}` });
    if (!body?.server) throw new RetryableCloudError(`GET servers/${id}: response has no "server"`);
    return toServer(body.server, await addressOptions(ctx));
  } catch (e) {
    if (e instanceof NotFoundError) return null;
    throw e;
  }
}

export async function listServers(ctx: OpenStackContext, qs: Record<string, string> = {}): Promise<CloudServer[]> {
  const servers = await listAll<NovaServer>(ctx.session, {
    service: 'compute',
    path: 'servers/detail',
    key: 'servers',
    qs,
    pageSize: ctx.pageSize,
  });
  const addr = await addressOptions(ctx);
  return servers.map((s) => toServer(s, addr));
}

/** The full list, reused when younger than maxAgeMs; callers at the same time share one fetch. */
export function listServersCached(ctx: OpenStackContext, maxAgeMs: number): Promise<CloudServer[]> {
  return ctx.serverList.get(maxAgeMs, () => listServers(ctx));
}

export async function listNodepoolServers(ctx: OpenStackContext, maxAgeMs = 0): Promise<CloudServer[]> {
  return (await listServersCached(ctx, maxAgeMs)).filter((s) => s.metadata.nodepool_provider_name === ctx.provider && s.status !== 'DELETED');
}

/**
 * Nodepool's delete: the server's floating IPs first (a floating IP outlives its server in
 * Neutron, merely detached), then the server. Only a cloud floating IPs can come from costs the GET.
 */
export async function deleteServer(ctx: OpenStackContext, id: string): Promise<boolean> {
  if (ctx.floatingIpSource && (await floatingNetwork(ctx))) {
    let doc: NovaServer | undefined;
    try {
      doc = (await ctx.session.call<{ server?: NovaServer }>('compute', { path: `servers/${encodeURIComponent(id)}` })).body?.server;
    } catch (e) {
      if (e instanceof NotFoundError) return false;
      throw e;
    }
    const fips = floatingAddresses(doc?.addresses);
    if (fips.length > 0) await deleteFloatingIpsByAddress(ctx, fips);
  }
  return deleteQuietly(() => ctx.session.call('compute', { method: 'DELETE', path: `servers/${encodeURIComponent(id)}` }));
}

async function imageRef(ctx: OpenStackContext, req: CreateServerRequest): Promise<string> {
  if ('uploadExternalId' in req.image) return req.image.uploadExternalId;
  const img = await findCloudImageCached(ctx, req.image.cloudImage);
  if (!img) throw new NotFoundError(`Unable to find active cloud image "${req.image.cloudImage}" (provider ${ctx.provider})`);
  return img.id;
}

/** Nova's create body (Nodepool's _createServer via openstacksdk create_server). */
async function createBody(ctx: OpenStackContext, req: CreateServerRequest): Promise<Record<string, unknown>> {
  const [flavor, image, networks] = await Promise.all([
    findFlavor(ctx, req.flavor),
    imageRef(ctx, req),
    Promise.all((req.networks ?? []).map((n) => resolveNetwork(ctx, n))),
  ]);
  const server: Record<string, unknown> = {
    name: serverName(req.nodeId),
    flavorRef: flavor.id,
    imageRef: image,
    metadata: nodepoolMetadata(ctx.provider, req),
  };
  if (networks.length) server.networks = networks.map((uuid) => ({ uuid }));
  if (req.availabilityZone) server.availability_zone = req.availabilityZone;
  if (req.keyName) server.key_name = req.keyName;
  if (req.securityGroups?.length) server.security_groups = req.securityGroups.map((name) => ({ name }));
  if (req.userdata !== undefined) server.user_data = Buffer.from(req.userdata, 'utf8').toString('base64');
  if (req.configDrive !== undefined) server.config_drive = req.configDrive;
  if (req.bootFromVolume) {
    // openstacksdk: the image goes into the mapping and imageRef is left empty.
    server.imageRef = '';
    server.block_device_mapping_v2 = [
      {
        boot_index: 0,
        uuid: image,
        source_type: 'image',
        destination_type: 'volume',
        volume_size: req.bootFromVolume.sizeGb,
        delete_on_termination: true,
      },
    ];
  }
  return { server };
}

export async function createServer(ctx: OpenStackContext, req: CreateServerRequest): Promise<CloudServer> {
  const body = await createBody(ctx, req);
  const name = serverName(req.nodeId);
  try {
    const res = await ctx.session.call<{ server?: NovaServer }>('compute', { method: 'POST', path: 'servers', body });
    const id = res.body?.server?.id;
    if (!id) throw new RetryableCloudError('POST servers: response has no server id');
    const meta = (body.server as { metadata: Record<string, string> }).metadata;
    return { id, name, status: 'BUILD', metadata: meta, addresses: {}, volumeIds: [] };
  } catch (e) {
    // Nova may have created the server although the answer was lost (timeout, 502 from a proxy):
    // adopt it rather than leave a second server for the same node.
    if (isCloudError(e) && e.kind === 'retryable') {
      const adopted = await findByNode(ctx, name, req.nodeId).catch(() => undefined);
      if (adopted) {
        ctx.session.log.warn({ node: req.nodeId, server: adopted.id }, 'create answer lost; adopting the server Nova made');
        return adopted;
      }
    }
    if (isCloudError(e) && e.status === 400) {
      // Stale AZ, flavor, network or image ("Image … could not be found"): forget them, as
      // Nodepool does (test_az_change_recover).
      ctx.caches.flavors.clear();
      ctx.caches.images.clear();
      ctx.caches.networks.clear();
      ctx.caches.availabilityZones.clear();
    }
    throw e;
  }
}

async function findByNode(ctx: OpenStackContext, name: string, nodeId: string): Promise<CloudServer | undefined> {
  const found = await listServers(ctx, { name: `^${name}$` });
  // Never adopt a server of an earlier attempt that is failed or being deleted.
  return found.find(
    (s) =>
      s.name === name &&
      s.metadata.nodepool_node_id === nodeId &&
      s.metadata.nodepool_provider_name === ctx.provider &&
      (s.status === 'BUILD' || s.status === 'ACTIVE') &&
      s.taskState !== 'deleting',
  );
}

export async function getConsoleLog(ctx: OpenStackContext, id: string, lines?: number): Promise<string> {
  const { body } = await ctx.session.call<{ output?: string }>('compute', {
    method: 'POST',
    path: `servers/${encodeURIComponent(id)}/action`,
    body: { 'os-getConsoleOutput': lines === undefined ? {} : { length: lines } },
  });
  return body?.output ?? '';
}

interface AzInfo {
  zoneName: string;
  zoneState?: { available?: boolean };
}

export function listAvailabilityZones(ctx: OpenStackContext): Promise<string[]> {
  return ctx.caches.availabilityZones.get(async () => {
    const { body } = await ctx.session.call<{ availabilityZoneInfo?: AzInfo[] }>('compute', { path: 'os-availability-zone' });
    if (!Array.isArray(body?.availabilityZoneInfo)) throw new RetryableCloudError('GET os-availability-zone: no "availabilityZoneInfo"');
    return body.availabilityZoneInfo.filter((z) => z.zoneState?.available !== false).map((z) => z.zoneName);
  });
}
