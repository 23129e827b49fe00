// One cloud adapter per configured cloud provider, rebuilt when that provider's config
// changes (Nodepool restarts a provider manager only when its config differs).
import {
  providerConfigChanged,
  type NodepoolConfig,
  type CloudProviderConfig as ProviderCfg,
  unsupportedProviderMessage,
  unsupportedProviders,
} from '../../lib/config';
import { log } from '../../lib/log';
import { type Provider } from '../../drivers/provider';
import { cloudAdapter, isCloudProvider } from '../../drivers/registry';

export class ProviderClients {
  private readonly clients = new Map<string, { cfg: ProviderCfg; client: Provider }>();
  private readonly logger = log('providers');
  /** Providers of drivers we do not run, already reported (so a reload does not repeat it). */
  private unserved = new Set<string>();

  /** Brings the clients in line with the config; a provider whose cloud cannot be loaded is skipped. */
  sync(config: NodepoolConfig): void {
    const skipped = unsupportedProviders(config);
    for (const p of skipped) {
      if (!this.unserved.has(p.name)) this.logger.warn({ provider: p.name, driver: p.driver }, unsupportedProviderMessage(p));
    }
    this.unserved = new Set(skipped.map((p) => p.name));
    for (const [name, entry] of this.clients) {
      const cfg = config.providers[name];
      if (!isCloudProvider(cfg) || providerConfigChanged(entry.cfg, cfg)) {
        void entry.client.close();
        this.clients.delete(name);
      }
    }
    for (const cfg of Object.values(config.providers)) {
      if (!isCloudProvider(cfg) || this.clients.has(cfg.name)) continue;
      try {
        this.clients.set(cfg.name, { cfg, client: cloudAdapter(cfg) });
      } catch (err) {
        this.logger.error({ provider: cfg.name, error: (err as Error).message }, 'cannot set up provider');
      }
    }
  }

  get(name: string): Provider {
    const c = this.clients.get(name);
    if (!c) throw new Error(`provider ${name} is not configured or its cloud could not be loaded`);
    return c.client;
  }

  names(): string[] {
    return [...this.clients.keys()];
  }

  async close(): Promise<void> {
    for (const c of this.clients.values()) await c.client.close();
    this.clients.clear();
  }
}
