// Tells each pool's `pool/<provider>/<pool>` workflow what admission saw of its queue, for the
// Web UI. Only when the picture changed, at most every MIN_GAP_MS per pool (the last picture is
// always sent), and every REFRESH_MS anyway so the workflow knows this launcher is alive. An
// idle backlog sends nothing.
import { type Client } from '@temporalio/client';
import { log } from '../../../lib/log';
import { LAUNCHER_QUEUE } from '../../../workflows/lib/activities';
import { poolQueueSignal, workflowIds, type PoolQueueStatus } from '../../../workflows/messages';
import type { poolWorkflow } from '../../../workflows/pool';

const MIN_GAP_MS = 2000;
const REFRESH_MS = 30 * 60_000;

interface PoolKey {
  provider: string;
  pool: string;
}

export class QueueStatus {
  private readonly sent = new Map<string, { at: number; fingerprint: string; key: PoolKey; status: PoolQueueStatus }>();
  private readonly pending = new Map<string, { key: PoolKey; status: PoolQueueStatus; fingerprint: string }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private refresh?: NodeJS.Timeout;
  private stopped = false;
  private readonly logger = log('admission');

  constructor(private readonly client: Client) {}

  start(): void {
    this.refresh = setInterval(() => {
      for (const [id, s] of this.sent) {
        if (Date.now() - s.at < REFRESH_MS || this.pending.has(id)) continue;
        this.pending.set(id, { key: s.key, status: { ...s.status, updatedAt: Date.now() }, fingerprint: s.fingerprint });
        void this.send(id);
      }
    }, REFRESH_MS / 2);
    this.refresh.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.refresh) clearInterval(this.refresh);
    for (const t of this.timers.values()) clearTimeout(t);
  }

  /** The latest picture of one pool; sent now or after the gap. */
  report(key: PoolKey, status: Omit<PoolQueueStatus, 'updatedAt'>): void {
    const id = workflowIds.pool(key.provider, key.pool);
    const fingerprint = JSON.stringify(status);
    const last = this.sent.get(id);
    if (last?.fingerprint === fingerprint) {
      this.pending.delete(id);
      return;
    }
    this.pending.set(id, { key, status: { ...status, updatedAt: Date.now() }, fingerprint });
    const wait = last ? last.at + MIN_GAP_MS - Date.now() : 0;
    if (wait <= 0) return void this.send(id);
    if (!this.timers.has(id)) {
      this.timers.set(
        id,
        setTimeout(() => {
          this.timers.delete(id);
          void this.send(id);
        }, wait),
      );
    }
  }

  private async send(id: string): Promise<void> {
    const p = this.pending.get(id);
    if (!p || this.stopped) return;
    this.pending.delete(id);
    this.sent.set(id, { at: Date.now(), fingerprint: p.fingerprint, key: p.key, status: p.status });
    try {
      await this.client.workflow.signalWithStart<typeof poolWorkflow, [PoolQueueStatus]>('poolWorkflow', {
        workflowId: id,
        taskQueue: LAUNCHER_QUEUE,
        args: [{ provider: p.key.provider, pool: p.key.pool }],
        signal: poolQueueSignal,
        signalArgs: [p.status],
      });
    } catch (err) {
      this.sent.delete(id);
      this.logger.warn({ workflowId: id, err }, 'could not update the pool workflow');
    }
  }
}
