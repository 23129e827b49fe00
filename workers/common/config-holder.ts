// The daemons' view of nodepool.yaml: the last config that loaded, reloaded when the file (or
// the secure file) changes. A broken file is reported with every issue and the last good config
// keeps running, as in Nodepool.
import { EventEmitter } from 'node:events';
import { checkRecentConfig, ConfigError, formatIssue, loadConfig, type NodepoolConfig } from '../../lib/config';
import { log } from '../../lib/log';

export class ConfigHolder extends EventEmitter {
  private mtimes: Record<string, string> = {};
  private timer?: NodeJS.Timeout;
  private reloading = false;
  private readonly logger = log('config');
  /** The error of the last failed reload, if the file is broken right now. */
  lastError: string | null = null;

  private constructor(
    readonly path: string,
    readonly securePath: string | undefined,
    private current: NodepoolConfig,
  ) {
    super();
  }

  /** Loads the config; at start-up a broken config is fatal (there is no last good one). */
  static async load(path: string, securePath?: string): Promise<ConfigHolder> {
    const loaded = await loadConfig(path, securePath);
    const holder = new ConfigHolder(path, securePath, loaded.config);
    holder.mtimes = loaded.mtimes;
    for (const w of loaded.warnings) holder.logger.warn(formatIssue(w));
    return holder;
  }

  get config(): NodepoolConfig {
    return this.current;
  }

  /** Checks the files every `intervalMs` (Nodepool's launcher: every second). */
  watch(intervalMs = 1000): void {
    this.timer = setInterval(() => void this.reloadIfChanged(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async reloadIfChanged(): Promise<boolean> {
    if (this.reloading || checkRecentConfig(this.mtimes, this.path, this.securePath)) return false;
    this.reloading = true;
    try {
      const loaded = await loadConfig(this.path, this.securePath);
      const previous = this.current;
      this.current = loaded.config;
      this.mtimes = loaded.mtimes;
      this.lastError = null;
      this.logger.info({ path: this.path }, 'configuration reloaded');
      this.emit('changed', loaded.config, previous);
      return true;
    } catch (err) {
      const message = err instanceof ConfigError ? err.issues.map(formatIssue).join('\n') : String(err);
      if (message !== this.lastError) {
        this.logger.error({ path: this.path }, `configuration not reloaded, keeping the last good one:\n${message}`);
      }
      this.lastError = message;
      return false;
    } finally {
      this.reloading = false;
    }
  }
}
