// One cleanup pass for one provider (nodepool-behaviour.md §2.13): each task runs on its own,
// so one failing (a cloud listing error, ZooKeeper trouble) does not stop the others, and a
// task that could not look deletes nothing and keeps no sightings. Every deletion is logged
// with its reason and counted in Nodepool's nodepool.provider.<p>.leaked.* counters.
import { Context } from '@temporalio/activity';
import { log } from '../../lib/log';
import { listNodes } from '../launcher/store';
import { NODES } from '../../lib/zk/paths';
import { type ZkSession } from '../../lib/zk/session';
import { cloudProvider, type LauncherContext } from '../launcher/context';
import { leakedServers } from './servers';
import { leakedImages } from './images';
import { downPorts, unattachedFloatingIps } from './network';
import { stuckNodes } from './nodes';
import { lostRequests, requestLocks } from './requests';
import { emptyNodes } from './empty-nodes';
import { activityClient } from './workflows';
import { noSightings, REPORTED_ACTIONS, type CleanupAction, type CleanupActivities, type CleanupPassInput, type CleanupPassResult, type CleanupTaskName, type CleanupTaskReport } from './types';

/** Nodepool's statsd name per deleted resource kind. */
const LEAKED_COUNTER: Record<string, string> = { server: 'instances', image: 'images', port: 'ports', 'floating-ip': 'floatingips' };

/**
 * Every node znode name, undecodable and empty ones included (they still own their server). A
 * missing /nodepool/nodes means a ZooKeeper we do not know (wrong chroot, wiped): no leaks then.
 */
async function nodeIds(zk: ZkSession): Promise<string[]> {
  return zk.getChildren(NODES);
}

export function createCleanupActivities(ctx: LauncherContext): CleanupActivities {
  const logger = log('cleanup');

  async function cleanupPass(input: CleanupPassInput): Promise<CleanupPassResult> {
    const { provider } = input;
    const cfg = cloudProvider(ctx.config(), provider);
    const client = activityClient();
    const zk = ctx.zk();
    const previous = { ...noSightings(), ...input.previous };
    const next = noSightings();
    const result: CleanupPassResult = { provider, configured: cfg !== null, nodes: -1, tasks: {}, next };
    const beat = setInterval(() => Context.current().heartbeat(), 5000);
    const note = (a: CleanupAction) => logger.info({ provider, kind: a.kind, id: a.id, reason: a.reason }, `cleanup: ${a.kind} ${a.id}: ${a.reason}`);

    /** Deletes one cloud resource; a failure is logged and retried on a later pass. */
    const remover = (del: (id: string) => Promise<boolean>) => async (a: CleanupAction): Promise<boolean> => {
      let deleted: boolean;
      try {
        deleted = await del(a.id);
      } catch (err) {
        logger.warn({ provider, kind: a.kind, id: a.id, err }, `cleanup: could not delete ${a.kind} ${a.id}`);
        return false;
      }
      note(a);
      // already gone (someone else deleted it) is done, but not a leak we cleaned
      if (deleted) ctx.stats.increment(`nodepool.provider.${provider}.leaked.${LEAKED_COUNTER[a.kind] ?? a.kind}`);
      return true;
    };

    async function task(name: CleanupTaskName, run: () => Promise<CleanupTaskReport>, skip?: string): Promise<void> {
      if (skip) {
        result.tasks[name] = { ok: true, skipped: skip, found: 0, done: [] };
        return;
      }
      try {
        const report = await run();
        if (report.done.length > REPORTED_ACTIONS) {
          report.more = report.done.length - REPORTED_ACTIONS;
          report.done = report.done.slice(0, REPORTED_ACTIONS);
        }
        result.tasks[name] = report;
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        logger.warn({ provider, task: name, error }, `cleanup task ${name} failed; nothing deleted by it this pass`);
        result.tasks[name] = { ok: false, error, found: 0, done: [] };
      }
    }

    try {
      const noCloud = cfg ? undefined : 'provider not configured';
      const cloud = () => ctx.provider(provider);
      const ourNodes = async () => (await listNodes(zk)).filter((n) => n.provider === provider);
      await task('servers', async () => {
        const r = await leakedServers({ provider, cloud: cloud(), nodeIds: () => nodeIds(zk), client, previous: previous.servers, remove: remover((id) => cloud().deleteServer(id)) });
        next.servers = r.seen;
        return r.report;
      }, noCloud);
      await task('images', async () => {
        const r = await leakedImages({ provider, cloud: cloud(), zk, previous: previous.images, remove: remover((id) => cloud().deleteImage(id)) });
        next.images = r.seen;
        return r.report;
      }, noCloud);
      await task('floatingIps', async () => {
        const r = await unattachedFloatingIps({ cloud: cloud(), previous: previous.floatingIps, remove: remover((id) => cloud().deleteFloatingIp(id)) });
        next.floatingIps = r.seen;
        return r.report;
      }, noCloud ?? (cfg?.cleanFloatingIps ? undefined : 'clean-floating-ips is off'));
      await task('ports', async () => {
        const r = await downPorts({ cloud: cloud(), previous: previous.downPorts, intervalMs: (cfg?.portCleanupInterval ?? 600) * 1000, now: Date.now(), remove: remover((id) => cloud().deletePort(id)) });
        next.downPorts = r.seen;
        return r.report;
      }, noCloud);
      await task('nodes', async () => {
        const nodes = await ourNodes();
        result.nodes = nodes.length;
        const r = await stuckNodes({ zk, client, provider, configured: cfg !== null, nodes, drainStates: previous.drainStates, nowS: Date.now() / 1000, log: note });
        next.drainStates = r.drainStates;
        return r.report;
      });
      await task('emptyNodes', () => emptyNodes(zk, note));
      // the launcher's request cache names the pending requests; without one, every request is read
      const pending = ctx.requests ? async () => ctx.requests?.().filter((r) => r.req.state === 'pending').map((r) => r.req.id) ?? [] : undefined;
      await task('requests', () => lostRequests(zk, client, note, pending));
      await task('requestLocks', () => requestLocks(zk, note));
    } finally {
      clearInterval(beat);
    }
    return result;
  }

  return { cleanupPass };
}
