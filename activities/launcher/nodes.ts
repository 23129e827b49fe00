// Node writes during a launch and a delete, as Nodepool makes them (zk-protocol.md §2): the
// node fields from the image and the instance, `ready` with host keys, `deleting`, and the
// final `deleted` + recursive znode delete (which also drops the lock).
import { ApplicationFailure } from '@temporalio/common';
import { setNodeState } from '../../lib/zk/codec-node';
import { nodePath } from '../../lib/zk/paths';
import { type Node, type NodeState, NODE_STATES } from '../../lib/model';
import { normalise } from '../../lib/metrics/statsd';
import { readNode, updateNode } from './store';
import { keepFulfilled } from './requests';
import { newestReadyUpload } from './images';
import { cloudProvider, type LauncherContext } from './context';
import { deallocateNode } from '../../lib/zk/operations/nodes';
import { holdsLock, takeBackFreeLock } from './locks';
import { log } from '../../lib/log';
import type { LaunchPlan, NodeStateEvent, ReleaseLockInput } from './api';
import type { CreateServerInput } from './types';
import { isStaticProvider } from '../../drivers/registry';

function configError(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'ConfigError');
}

export function createNodeActivities(ctx: LauncherContext) {
  /** The provider, pool and label config of a node, or a ConfigError naming what is missing. */
  function nodeConfig(n: Node) {
    const provider = cloudProvider(ctx.config(), n.provider);
    if (!provider) throw configError(`node ${n.id}: provider ${n.provider} is not configured`);
    const pool = n.pool ? provider.pools[n.pool] : undefined;
    if (!pool) throw configError(`node ${n.id}: pool ${n.pool} is not configured in provider ${provider.name}`);
    const labelName = n.type[0] ?? '';
    const label = pool.labels[labelName];
    if (!label) throw configError(`node ${n.id}: label ${labelName} is not in pool ${provider.name}-${pool.name}`);
    return { provider, pool, label };
  }

  /** nodepool.launch.<result> and its provider/az/requestor variants, timer and counter. */
  function launchStats(n: Node | null, result: string, durationMs: number, requestorOverride: string | null): void {
    const names = [`nodepool.launch.${result}`];
    if (n?.provider) {
      names.push(`nodepool.launch.provider.${n.provider}.${result}`);
      if (n.az) names.push(`nodepool.launch.provider.${n.provider}.${n.az}.${result}`);
    }
    const requestor = requestorOverride ?? n?.requestor;
    if (requestor) names.push(`nodepool.launch.requestor.${normalise(requestor)}.${result}`);
    for (const name of names) {
      ctx.stats.timing(name, durationMs);
      ctx.stats.increment(name);
    }
  }

  return {
    async readNodeEvent({ nodeId }: { nodeId: string }): Promise<NodeStateEvent> {
      const n = await readNode(ctx.zk(), nodeId);
      if (!n) return { exists: false, state: null, allocatedTo: null, stateTime: null };
      return { exists: true, state: n.value.state, allocatedTo: n.value.allocated_to, stateTime: n.value.state_time };
    },

    async startLaunch({ nodeId }: { nodeId: string }): Promise<LaunchPlan | null> {
      const n = await updateNode(ctx.zk(), nodeId, (node) => setNodeState(node, 'building'));
      if (!n) return null;
      const { provider, pool, label } = nodeConfig(n);
      const image = label.diskimage ? provider.diskimages[label.diskimage] : label.cloudImage ? provider.cloudImages[label.cloudImage] : undefined;
      return {
        nodeId,
        provider: provider.name,
        pool: pool.name,
        label: label.name,
        serverName: `np${nodeId}`,
        launchRetries: Math.max(1, provider.launchRetries),
        launchTimeoutMs: provider.launchTimeout * 1000,
        bootTimeoutMs: provider.bootTimeout * 1000,
        hostKeyChecking: label.hostKeyChecking,
        connectionType: image?.connectionType ?? 'ssh',
        connectionPort: image?.connectionPort ?? 22,
        consoleLog: label.consoleLog,
      };
    },

    async prepareAttempt({ nodeId }: { nodeId: string; attempt: number }): Promise<CreateServerInput> {
      const cur = await readNode(ctx.zk(), nodeId);
      if (!cur) throw ApplicationFailure.nonRetryable(`node ${nodeId} is gone`, 'NodeGone');
      const { provider, pool, label } = nodeConfig(cur.value);
      let imageExternalId: string | null = null;
      let imageName: string;
      let imageId: string;
      let fields: Pick<Node, 'username' | 'python_path' | 'shell_type' | 'connection_type' | 'connection_port'>;
      if (label.diskimage) {
        const di = provider.diskimages[label.diskimage];
        const upload = await newestReadyUpload(ctx.zk(), label.diskimage, provider.name);
        if (!di || !upload) {
          throw ApplicationFailure.nonRetryable(`Unable to find current cloud image ${label.diskimage} in ${provider.name}`, 'NoImage');
        }
        imageExternalId = upload.upload.external_id;
        imageName = label.diskimage;
        imageId = upload.path;
        fields = { username: di.username, python_path: di.pythonPath, shell_type: di.shellType, connection_type: di.connectionType, connection_port: di.connectionPort };
      } else {
        const ci = label.cloudImage ? provider.cloudImages[label.cloudImage] : undefined;
        if (!ci) throw configError(`label ${label.name}: cloud-image ${label.cloudImage} is not configured in ${provider.name}`);
        imageName = ci.name;
        imageId = ci.name;
        fields = { username: ci.username, python_path: ci.pythonPath, shell_type: ci.shellType, connection_type: ci.connectionType, connection_port: ci.connectionPort };
      }
      const resources = await ctx.quota.labelNeeds(ctx.provider(provider.name), provider.name, pool, label.name);
      const n = await updateNode(ctx.zk(), nodeId, (node) => {
        Object.assign(node, fields);
        node.image_id = imageId;
        node.resources = resources;
        if (provider.hostnameFormat) {
          // [2019] hostname-format: {label.name}-{provider.name}-{node.id}
          node.hostname = provider.hostnameFormat
            .replace(/\{label\.name\}/g, label.name)
            .replace(/\{provider\.name\}/g, provider.name)
            .replace(/\{node\.id\}/g, nodeId);
        }
      });
      if (!n) throw ApplicationFailure.nonRetryable(`node ${nodeId} is gone`, 'NodeGone');
      return {
        provider: provider.name,
        pool: pool.name,
        label: label.name,
        nodeId,
        serverName: `np${nodeId}`,
        az: n.az,
        imageExternalId,
        imageName,
        requestId: n.allocated_to,
        tenantName: n.tenant_name,
      };
    },

    /**
     * READY with its host keys, and the launch's `ready` timers and counters; only while our
     * contender holds the node lock: a re-run after a crash (the first run made it ready, the
     * request was fulfilled and Zuul has the node now) must not set an in-use node back.
     * `takeBack` (a launch whose lock has no holder, LAUNCH_LOCKS_UNHELD): a `building` node whose
     * lock is free (the launcher that took it died) is locked again with our token first.
     */
    async markReady({ nodeId, hostKeys, durationMs, lock, takeBack }: { nodeId: string; hostKeys: string[]; durationMs: number; lock: ReleaseLockInput; takeBack?: boolean }): Promise<boolean> {
      const zk = ctx.zk();
      if (!(await holdsLock(zk, lock))) {
        // A re-run after the node was handed over (the lock already released): nothing to write.
        // But a node still `building` means its lock is not ours again yet after a crash: our
        // holder's retry is on its way, or (takeBack) we take the free lock here. Until then
        // wait, or the request would be fulfilled with a node that never became READY.
        const building = async () => (await readNode(zk, nodeId))?.value.state === 'building';
        if (!(await building())) return false;
        const taken = takeBack ? await takeBackFreeLock(zk, lock, building) : 'busy';
        if (taken === 'busy') throw ApplicationFailure.retryable(`node ${nodeId} is building but its lock is not held by this launch yet`, 'NodeLockNotHeld');
        if (taken === 'changed') return false;
        log('launcher').info({ nodeId }, 'node lock taken back after its session ended');
      }
      const n = await updateNode(zk, nodeId, (node) => {
        node.host_keys = hostKeys;
        setNodeState(node, 'ready');
      });
      if (n) launchStats(n, 'ready', durationMs, null);
      return n !== null;
    },

    async setNodeState({ nodeId, state }: { nodeId: string; state: string }): Promise<boolean> {
      if (!(NODE_STATES as readonly string[]).includes(state)) throw ApplicationFailure.nonRetryable(`unknown node state ${state}`, 'ConfigError');
      const written = (await updateNode(ctx.zk(), nodeId, (n) => setNodeState(n, state as NodeState))) !== null;
      if (written) ctx.ownWrites?.note(nodeId, state);
      return written;
    },

    /** A READY node goes free (its request was declined or withdrawn): see deallocateNode. */
    async deallocateNode({ nodeId, lock }: { nodeId: string; lock?: ReleaseLockInput }): Promise<void> {
      const zk = ctx.zk();
      await deallocateNode(zk, nodeId, { ours: lock ? await holdsLock(zk, lock) : false, keep: keepFulfilled(zk) });
    },

    async prepareDelete({ nodeId }: { nodeId: string }): Promise<{ provider: string | null; serverId: string | null } | null> {
      const n = await updateNode(ctx.zk(), nodeId, (node) => {
        if (node.state !== 'deleting') setNodeState(node, 'deleting');
        else return false;
      });
      if (n) ctx.ownWrites?.note(nodeId, 'deleting');
      const node = n ?? (await readNode(ctx.zk(), nodeId))?.value;
      if (!node) return null;
      const provider = cloudProvider(ctx.config(), node.provider);
      return { provider: provider?.name ?? null, serverId: typeof node.external_id === 'string' ? node.external_id : null };
    },

    async removeNode({ nodeId }: { nodeId: string }): Promise<void> {
      // `deleted` first: a marker against races, as Nodepool writes it
      const node = await updateNode(ctx.zk(), nodeId, (n) => setNodeState(n, 'deleted'));
      await ctx.zk().deleteRecursive(nodePath(nodeId));
      // a static host is never deleted: its slot is registered READY again (a new node id)
      const provider = node?.provider ? ctx.config().providers[node.provider] : undefined;
      if (node && isStaticProvider(provider)) await ctx.staticSlots?.refill(provider, node);
    },

    async nodeTimers({ nodeId }: { nodeId: string }): Promise<{ maxReadyAgeMs: number; holdLimitMs: number; stateTime: number | null }> {
      const cur = await readNode(ctx.zk(), nodeId);
      if (!cur) return { maxReadyAgeMs: 0, holdLimitMs: 0, stateTime: null };
      const n = cur.value;
      const config = ctx.config();
      const label = config.labels[n.type[0] ?? ''];
      const limits = [n.hold_expiration && n.hold_expiration > 0 ? n.hold_expiration : Infinity, config.maxHoldAge ?? Infinity];
      const hold = Math.min(...limits);
      return {
        maxReadyAgeMs: (label?.maxReadyAge ?? 0) * 1000,
        holdLimitMs: Number.isFinite(hold) ? hold * 1000 : 0,
        stateTime: n.state_time,
      };
    },

    async reportLaunch(input: { nodeId: string; result: string; durationMs: number; requestor: string | null }): Promise<void> {
      const n = (await readNode(ctx.zk(), input.nodeId))?.value ?? null;
      launchStats(n, input.result, input.durationMs, input.requestor);
    },
  };
}
