// Cloud calls of a launch and a delete, on the provider's own task queue. Failures become
// ApplicationFailures whose type tells the node workflow what happened: Quota (abort, relaunch
// later), ServerError (the server went ERROR), Timeout (launch-timeout), Fatal (retrying will
// not help); anything else is retried by Temporal.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { log } from '../../lib/log';
import { CloudError } from '../cloud/errors';
import type { CloudServer, CreateServerRequest } from '../cloud/provider';
import { openstackProvider, type LauncherContext } from './context';
import type { ServerInfo } from './api';
import type { CreateServerInput } from './types';

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

export function createCloudActivities(ctx: LauncherContext) {
  const logger = log('cloud');

  function createRequest(input: CreateServerInput): CreateServerRequest {
    const provider = openstackProvider(ctx.config(), input.provider);
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
    async createServer(input: CreateServerInput): Promise<{ serverId: string }> {
      const provider = ctx.provider(input.provider);
      // heartbeats let Temporal notice a dead worker in seconds, not at startToClose
      const beat = setInterval(() => Context.current().heartbeat(), 5000);
      try {
        // A retry after a timeout may find the server the first try made: use it.
        const existing = (await provider.listNodepoolServers()).find(
          (s) => s.metadata.nodepool_node_id === input.nodeId && s.status !== 'DELETED' && s.taskState !== 'deleting',
        );
        if (existing) return { serverId: existing.id };
        const server = await provider.createServer(createRequest(input));
        logger.info({ nodeId: input.nodeId, serverId: server.id, provider: input.provider }, 'server created');
        return { serverId: server.id };
      } catch (err) {
        throw asFailure(err, ctx, input.provider);
      } finally {
        clearInterval(beat);
      }
    },

    async waitForServer(input: { provider: string; serverId: string; timeoutMs: number }): Promise<ServerInfo> {
      const actx = Context.current();
      const provider = ctx.provider(input.provider);
      const deadline = Date.now() + input.timeoutMs;
      let pause = 100;
      for (;;) {
        actx.heartbeat();
        let server: CloudServer | null | undefined;
        try {
          server = await provider.getServer(input.serverId);
        } catch (err) {
          const f = asFailure(err, ctx, input.provider);
          if (f instanceof ApplicationFailure && f.nonRetryable) throw f;
          server = undefined; // a transient API error: look again
        }
        if (server === null) throw ApplicationFailure.nonRetryable(`server ${input.serverId} disappeared while booting`, 'ServerError');
        if (server?.status === 'ACTIVE') return serverInfo(server);
        if (server?.status === 'ERROR') {
          const fault = server.fault?.message ?? 'unknown fault';
          // Nodepool turns a fault that mentions quota into a quota abort
          if (/quota/i.test(fault)) {
            ctx.quota.invalidate(input.provider);
            throw ApplicationFailure.nonRetryable(`server ${input.serverId} failed: ${fault}`, 'Quota');
          }
          throw ApplicationFailure.nonRetryable(`server ${input.serverId} went into ERROR: ${fault}`, 'ServerError');
        }
        if (Date.now() >= deadline) {
          throw ApplicationFailure.nonRetryable(`Timeout waiting for server ${input.serverId} to become ACTIVE (launch-timeout ${input.timeoutMs / 1000}s)`, 'Timeout');
        }
        await actx.sleep(Math.min(pause, Math.max(0, deadline - Date.now())));
        pause = Math.min(pause * 2, 2000);
      }
    },

    async deleteServer(input: { provider: string; serverId: string | null; serverName: string }): Promise<void> {
      const actx = Context.current();
      const provider = ctx.provider(input.provider);
      try {
        let id = input.serverId;
        if (!id) {
          // the create may have happened without us recording the id: look for it by node id
          const nodeId = input.serverName.replace(/^np/, '');
          id = (await provider.listNodepoolServers()).find((s) => s.metadata.nodepool_node_id === nodeId || s.name === input.serverName)?.id ?? null;
          if (!id) return;
        }
        const deadline = Date.now() + DELETE_TIMEOUT_MS;
        if (!(await provider.deleteServer(id))) return;
        let pause = 100;
        for (;;) {
          actx.heartbeat();
          const s = await provider.getServer(id);
          if (!s || s.status === 'DELETED') return;
          if (Date.now() > deadline) throw ApplicationFailure.retryable(`server ${id} still exists ${DELETE_TIMEOUT_MS / 1000}s after delete`, 'ServerDeleteTimeout');
          await actx.sleep(pause);
          pause = Math.min(pause * 2, 2000);
        }
      } catch (err) {
        throw asFailure(err, ctx, input.provider);
      }
    },
  };
}
