// The launcher's handle on its static providers: syncs (at start, on config change, and
// periodically as Nodepool's cleanup does) and slot refills after a used node is deleted, one
// at a time per provider (two at once could both fill a free slot) — in this process and across
// every launcher on the same config (a ZooKeeper lock of ours per provider), since each of them
// syncs its static providers.
import { type StaticProvider } from '../../lib/config/types';
import { type Node } from '../../lib/model/node';
import { type ZkSession } from '../../lib/zk/session';
import { ZkLock } from '../../lib/zk/lock';
import { log } from '../../lib/log';
import { KeyedMutex } from '../../activities/launcher/context';
import { type HostScanner } from './host-check';
import { syncStaticNodes, type SyncReport } from './registrar';
import { refillSlot, type ReregisterResult } from './reregister';
import { scanHost } from './scan';

/** Lock parents of the per-provider static sync locks (ours: Nodepool has no such lock). */
export const STATIC_SYNC_ROOT = '/temporal-nodepool/static-sync';
/** Longest wait for another launcher's sync of the same provider (host scans take a while). */
const SYNC_LOCK_TIMEOUT_MS = 300_000;

export class StaticSlots {
  private readonly mutex = new KeyedMutex();
  private readonly logger = log('static');

  constructor(
    private readonly zk: () => ZkSession,
    private readonly scan: HostScanner = scanHost,
  ) {}

  async sync(provider: StaticProvider, mode: 'start' | 'cleanup'): Promise<SyncReport> {
    const report = await this.exclusive(provider.name, () => syncStaticNodes(this.zk(), provider, { scan: this.scan, mode }));
    const { registered, deregistered, updated, skipped } = report;
    if (registered.length || deregistered.length || updated.length || skipped.length) {
      this.logger.info({ provider: provider.name, mode, registered, deregistered, updated, skipped }, 'static nodes synced');
    }
    return report;
  }

  /** After a used static node's znode is gone: its slot READY again (a new node id). */
  async refill(provider: StaticProvider | null, node: Node): Promise<ReregisterResult> {
    const r = await this.exclusive(node.provider ?? '', () => refillSlot(this.zk(), provider, node, { scan: this.scan }));
    this.logger.info({ nodeId: node.id, registered: r.registered, skipped: r.skipped }, 'static slot after use');
    return r;
  }

  /** Runs `fn` alone for this provider: in this process, then among all launchers. */
  private exclusive<T>(provider: string, fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(provider, async () => {
      const lock = new ZkLock(this.zk(), `${STATIC_SYNC_ROOT}/${encodeURIComponent(provider)}`);
      if (!(await lock.acquire({ timeoutMs: SYNC_LOCK_TIMEOUT_MS }))) throw new Error(`static provider ${provider}: another launcher's sync held the lock for ${SYNC_LOCK_TIMEOUT_MS / 1000} s`);
      try {
        return await fn();
      } finally {
        await lock.release().catch((err: unknown) => this.logger.warn({ err, provider }, 'static sync lock not released'));
      }
    });
  }
}
