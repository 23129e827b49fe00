// The launcher's handle on its static providers: syncs (at start, on config change, and
// periodically as Nodepool's cleanup does) and slot refills after a used node is deleted, one
// at a time per provider (two at once could both fill a free slot).
import { type StaticProvider } from '../../lib/config/types';
import { type Node } from '../../lib/model/node';
import { type ZkSession } from '../../lib/zk/session';
import { log } from '../../lib/log';
import { KeyedMutex } from '../../activities/launcher/context';
import { type HostScanner } from './host-check';
import { syncStaticNodes, type SyncReport } from './registrar';
import { refillSlot, type ReregisterResult } from './reregister';
import { scanHost } from './scan';

export class StaticSlots {
  private readonly mutex = new KeyedMutex();
  private readonly logger = log('static');

  constructor(
    private readonly zk: () => ZkSession,
    private readonly scan: HostScanner = scanHost,
  ) {}

  async sync(provider: StaticProvider, mode: 'start' | 'cleanup'): Promise<SyncReport> {
    const report = await this.mutex.run(provider.name, () => syncStaticNodes(this.zk(), provider, { scan: this.scan, mode }));
    const { registered, deregistered, updated, skipped } = report;
    if (registered.length || deregistered.length || updated.length || skipped.length) {
      this.logger.info({ provider: provider.name, mode, registered, deregistered, updated, skipped }, 'static nodes synced');
    }
    return report;
  }

  /** After a used static node's znode is gone: its slot READY again (a new node id). */
  async refill(provider: StaticProvider | null, node: Node): Promise<ReregisterResult> {
    const r = await this.mutex.run(node.provider ?? '', () => refillSlot(this.zk(), provider, node, { scan: this.scan }));
    this.logger.info({ nodeId: node.id, registered: r.registered, skipped: r.skipped }, 'static slot after use');
    return r;
  }
}
