// Cloud calls of a launch and a delete, on the provider's own task queue. Failures become
// ApplicationFailures whose type tells the node workflow what happened: Quota (abort, relaunch
// later), ServerError (the server went ERROR), Timeout (launch-timeout), Fatal (retrying will
// not help); anything else is retried by Temporal.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { log } from '../../lib/log';
import { CloudError, ServerWaitTimeoutError } from '../../drivers/errors';
import type { CloudServer, CreateServerRequest, Provider as CloudProvider } from '../../drivers/provider';
import { type Node } from '../../lib/model';
import { updateNode } from './store';
import { cloudProvider, type LauncherContext } from './context';
import type { ServerInfo } from './api';
import type { CreateServerInput, LaunchServerInput } from './types';

const DELETE_TIMEOUT_MS = 600_000;

/** Nodepool's dynamic-instance-properties: Python format strings over the request. */
function formatDynamic(template: string, request: Record<string, unknown>): string {
  return template.replace(/\{request\.([a-z_]+)\}/g, (_m, field: string) => {
    const v = request[field];
    return v === null || v === undefined ? 'None' : String(v);
  });
}

function asFailure(err: unknown, ctx: LauncherContext, provider: string): unknown {
  if (!(err instanceof CloudError)) return err;
  if (err.kind === 'quota') {
    ctx.quota.invalidate(provider);
    return ApplicationFailure.nonRetryable(err.message, 'Quota');
  }
  if (err.kind === 'fatal' || err.kind === 'notFound') return ApplicationFailure.nonRetryable(err.message, 'Fatal');
  return ApplicationFailure.retryable(err.message, 'CloudRetryable');
}

export function serverInfo(s: CloudServer): ServerInfo {
  return {
    id: s.id,
    status: s.status,
    // the address to connect to; a server with only a fixed address is reached on it
    interfaceIp: s.addresses.interfaceIp ?? s.addresses.publicV4 ?? s.addresses.publicV6 ?? s.addresses.privateV4 ?? null,
    publicIpv4: s.addresses.publicV4 ?? null,
    publicIpv6: s.addresses.publicV6 ?? null,
    privateIpv4: s.addresses.privateV4 ?? null,
    hostId: s.hostId ?? null,
    az: s.availabilityZone ?? null,
    faultMessage: s.fault?.message ?? null,
  };
}

/** A failure naming the server it concerns (the workflow deletes that server before retrying). */
function withServer(f: ApplicationFailure, serverId: string): ApplicationFailure {
  return ApplicationFailure.create({ message: f.message, type: f.type ?? undefined, nonRetryable: f.nonRetryable ?? false, details: [{ serverId }] });
}

export function createCloudActivities(ctx: LauncherContext) {
  const logger = log('cloud');

  /** Writes launch details on the node; a node deleted meanwhile ends the attempt. */
  async function recordOnNode(nodeId: string, serverId: string, change: (n: Node) => void): Promise<void> {
    const n = await updateNode(ctx.zk(), nodeId, change);
    if (!n) throw ApplicationFailure.nonRetryable(`node ${nodeId} is gone (server ${serverId})`, 'NodeGone');
  }

  /**
   * Waits for ACTIVE or ERROR within launch-timeout. The status comes from the provider's shared
   * server listing (one `GET servers/detail` per interval for every launch and delete waiting on
   * this provider), not from a GET per server; the activity heartbeats meanwhile (launchServer's
   * interval) and a cancelled activity stops waiting.
   */
  async function waitActive(actx: Context, provider: CloudProvider, providerName: string, serverId: string, timeoutMs: number): Promise<CloudServer> {
    actx.heartbeat();
    let server: CloudServer | null;
    try {
      server = await provider.waitForServer(serverId, (s) => s === null || s.status === 'ACTIVE' || s.status === 'ERROR', {
        timeoutMs,
        signal: actx.cancellationSignal,
      });
    } catch (err) {
      if (err instanceof ServerWaitTimeoutError) {
        throw ApplicationFailure.nonRetryable(`Timeout waiting for server ${serverId} to become ACTIVE (launch-timeout ${timeoutMs / 1000}s)`, 'Timeout');
      }
      throw err;
    }
    if (server === null) throw ApplicationFailure.nonRetryable(`server ${serverId} disappeared while booting`, 'ServerError');
    if (server.status === 'ACTIVE') return server;
    const fault = server.fault?.message ?? 'unknown fault';
    // Nodepool turns a fault that mentions quota into a quota abort
    if (/quota/i.test(fault)) {
      ctx.quota.invalidate(providerName);
      throw ApplicationFailure.nonRetryable(`server ${serverId} failed: ${fault}`, 'Quota');
    }
    throw ApplicationFailure.nonRetryable(`server ${serverId} went into ERROR: ${fault}`, 'ServerError');
  }

  /**
   * Pool `auto-floating-ip` (default true), as Nodepool's create state machine: an ACTIVE server
   * that needs one (no public address, the cloud has an external network) gets a floating IP,
   * and the launch waits until the server shows it. Within what is left of launch-timeout
   * (openstacksdk's 60 s at most); a failure fails this attempt and names the server.
   */
  async function withFloatingIp(actx: Context, provider: CloudProvider, input: LaunchServerInput, server: CloudServer, leftMs: number): Promise<CloudServer> {
    const pool = cloudProvider(ctx.config(), input.provider)?.pools[input.pool];
    if (!pool?.autoFloatingIp || !(await provider.needsFloatingIp(server))) return server;
    if (leftMs <= 0) throw ApplicationFailure.nonRetryable(`Timeout waiting for server ${server.id} to become ACTIVE (launch-timeout ${input.timeoutMs / 1000}s)`, 'Timeout');
    const attached = await provider.attachFloatingIp(server, { timeoutMs: Math.min(60_000, leftMs), signal: actx.cancellationSignal });
    logger.info({ nodeId: input.nodeId, serverId: server.id, address: attached.addresses.publicV4 }, 'floating IP attached');
    return attached;
  }

  function createRequest(input: CreateServerInput): CreateServerRequest {
    const provider = cloudProvider(ctx.config(), input.provider);
    const pool = provider?.pools[input.pool];
    const label = pool?.labels[input.label];
    if (!provider || !pool || !label) {
      throw ApplicationFailure.nonRetryable(`${input.provider}/${input.pool}/${input.label} is no longer configured`, 'Fatal');
    }
    const request = { id: input.requestId, tenant_name: input.tenantName };
    const props: Record<string, string> = {};
    for (const [k, v] of Object.entries(label.instanceProperties)) props[k] = String(v);
    for (const [k, v] of Object.entries(label.dynamicInstanceProperties)) props[k] = formatDynamic(String(v), request);
    const configDrive = label.diskimage ? provider.diskimages[label.diskimage]?.configDrive : label.cloudImage ? provider.cloudImages[label.cloudImage]?.configDrive : null;
    return {
      nodeId: input.nodeId,
      poolName: pool.name,
      label: label.name,
      imageName: input.imageName,
      image: input.imageExternalId ? { uploadExternalId: input.imageExternalId } : { cloudImage: provider.cloudImages[label.cloudImage ?? '']?.externalName ?? input.imageName },
      flavor: { flavorName: label.flavorName ?? undefined, minRam: label.minRam || undefined },
      networks: label.networks.length ? label.networks : pool.networks,
      availabilityZone: input.az ?? undefined,
      keyName: label.keyName ?? undefined,
      userdata: label.userdata ?? undefined,
      configDrive: configDrive ?? undefined,
      bootFromVolume: label.bootFromVolume ? { sizeGb: label.volumeSize } : undefined,
      securityGroups: pool.securityGroups.length ? pool.securityGroups : undefined,
      instanceProperties: props,
    };
  }

  return {
    /**
     * One launch attempt's cloud part: create the server (or find the one an earlier try of this
     * activity made), record its id on the node, wait for ACTIVE within launch-timeout, record
     * its addresses. A failure after the create names the server (details[0].serverId), so the
     * workflow deletes exactly it before the next attempt.
     */
    async launchServer(input: LaunchServerInput): Promise<ServerInfo> {
      const actx = Context.current();
      const provider = ctx.provider(input.provider);
      // heartbeats let Temporal notice a dead worker in seconds, not at startToClose
      const beat = setInterval(() => actx.heartbeat(), 5000);
      let serverId: string | null = null;
      try {
        // Only a retry can find a server of ours; a first try does not list the whole cloud.
        const existing =
          actx.info.attempt > 1
            ? (await provider.listNodepoolServers()).find(
                (s) => s.metadata.nodepool_node_id === input.nodeId && s.status !== 'DELETED' && s.taskState !== 'deleting',
              )
            : undefined;
        serverId = existing?.id ?? (await provider.createServer(createRequest(input))).id;
        if (!existing) logger.info({ nodeId: input.nodeId, serverId, provider: input.provider }, 'server created');
        await recordOnNode(input.nodeId, serverId, (n) => {
          n.external_id = serverId;
        });
        const started = Date.now();
        const active = await waitActive(actx, provider, input.provider, serverId, input.timeoutMs);
        const server = serverInfo(await withFloatingIp(actx, provider, input, active, input.timeoutMs - (Date.now() - started)));
        await recordOnNode(input.nodeId, serverId, (n) => {
          n.external_id = server.id;
          // openstacksdk gives '' for an address a server does not have, and Nodepool 11 writes that
          n.interface_ip = server.interfaceIp ?? '';
          n.public_ipv4 = server.publicIpv4 ?? '';
          n.public_ipv6 = server.publicIpv6 ?? '';
          // Nodepool falls back to the public address
          n.private_ipv4 = server.privateIpv4 ?? server.publicIpv4 ?? '';
          n.host_id = server.hostId;
          if (server.az) n.az = server.az;
        });
        return server;
      } catch (err) {
        const f = asFailure(err, ctx, input.provider);
        if (serverId && f instanceof ApplicationFailure) throw withServer(f, serverId);
        throw f;
      } finally {
        clearInterval(beat);
      }
    },

    async deleteServer(input: { provider: string; serverId: string | null; serverName: string }): Promise<void> {
      const actx = Context.current();
      const provider = ctx.provider(input.provider);
      let beat: NodeJS.Timeout | undefined;
      try {
        let id = input.serverId;
        if (!id) {
          // the create may have happened without us recording the id: look for it by node id
          const nodeId = input.serverName.replace(/^np/, '');
          id = (await provider.listNodepoolServers()).find((s) => s.metadata.nodepool_node_id === nodeId || s.name === input.serverName)?.id ?? null;
          if (!id) return;
        }
        if (!(await provider.deleteServer(id))) return;
        // gone: absent from the provider's shared listing (one that started after the delete was
        // asked for) or listed as DELETED
        actx.heartbeat();
        beat = setInterval(() => actx.heartbeat(), 5000);
        await provider.waitForServer(id, (s) => s === null || s.status === 'DELETED', { timeoutMs: DELETE_TIMEOUT_MS, signal: actx.cancellationSignal });
      } catch (err) {
        if (err instanceof ServerWaitTimeoutError) {
          throw ApplicationFailure.retryable(`server ${err.serverId} still exists ${DELETE_TIMEOUT_MS / 1000}s after delete`, 'ServerDeleteTimeout');
        }
        throw asFailure(err, ctx, input.provider);
      } finally {
        clearInterval(beat);
      }
    },
  };
}
