// Nodepool's stats-leader election (nodepool-behaviour.md §2.1 StatsWorker, zk-protocol.md §5):
// every launcher with statsd contends in /nodepool/elections/stats with the kazoo Lock recipe (a
// kazoo Election is a Lock), contender data "<hostname>-<pid>", so Nodepool launchers on the same
// ZooKeeper take part in the same election. The holder alone sends the fleet-wide gauges (node
// states, addressable requests); the others wait in line. Leadership ends with the ZooKeeper
// session or with stop(), and the next contender in line takes over. While the connection is
// suspended we do not count as leader (the server may already have chosen another).
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { ZkLock } from '../../lib/zk/lock';
import { STATS_ELECTION } from '../../lib/zk/paths';
import { type ZkSession } from '../../lib/zk/session';
import { log } from '../../lib/log';

/**
 * Emits 'elected' when this launcher becomes the stats leader and 'deposed' when it stops being
 * it (session lost, or stop()).
 */
export class StatsLeader extends EventEmitter {
  private readonly logger = log('stats');
  private running = false;
  private elected = false;
  private abort?: AbortController;
  private loop?: Promise<void>;

  constructor(
    private readonly session: () => ZkSession,
    /** What kazoo's Election puts in the contender: "<hostname>-<pid>", as Nodepool's StatsWorker. */
    readonly identifier = `${hostname()}-${process.pid}`,
    private readonly retryMs = 1000,
  ) {
    super();
  }

  /** True while we hold the election lock on a connected session. */
  get isLeader(): boolean {
    return this.elected && this.session().state === 'connected';
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Leaves the election (releasing the lock if we hold it), before the session is closed. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.abort?.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const abort = (this.abort = new AbortController());
      const lock = new ZkLock(this.session(), STATS_ELECTION, this.identifier);
      try {
        // waits in line (watching our predecessor) until we are first, or stop() aborts
        if (!(await lock.acquire({ signal: abort.signal }))) continue;
        if (!this.running) {
          await lock.release();
          break;
        }
        await this.lead(lock, abort.signal);
      } catch (err) {
        this.setElected(false);
        await lock.release().catch(() => undefined);
        if (!this.running) break;
        this.logger.warn({ err }, 'stats leader election failed; contending again');
        await new Promise((r) => setTimeout(r, this.retryMs).unref());
      }
    }
  }

  /** Holds the lead until the lock is lost with the session or stop() aborts. */
  private async lead(lock: ZkLock, signal: AbortSignal): Promise<void> {
    const ended = new Promise<'lost' | 'stopped'>((resolve) => {
      lock.once('lost', () => resolve('lost'));
      if (lock.isLost) resolve('lost');
      else if (signal.aborted) resolve('stopped');
      else signal.addEventListener('abort', () => resolve('stopped'), { once: true });
    });
    this.logger.info({ contender: lock.node, identifier: this.identifier }, 'won stats reporter election');
    this.setElected(true);
    const why = await ended;
    this.setElected(false);
    this.logger.info({ why }, 'stats reporter stopped');
    if (why === 'stopped') await lock.release().catch((err: unknown) => this.logger.warn({ err }, 'could not leave the stats election'));
  }

  private setElected(v: boolean): void {
    if (this.elected === v) return;
    this.elected = v;
    this.emit(v ? 'elected' : 'deposed');
  }
}
