// Small conveniences for the daemons and the CLI.
import { type NodepoolConfig, type UnsupportedProvider } from './types';

export const DEFAULT_CONFIG_PATH = '/etc/nodepool/nodepool.yaml';

/** Providers the launcher must skip, logging "driver X not supported, provider ignored". */
export function unsupportedProviders(config: NodepoolConfig): UnsupportedProvider[] {
  return Object.values(config.providers).filter((p): p is UnsupportedProvider => !p.supported);
}

/** The launcher's log line for a provider it skips. */
export function unsupportedProviderMessage(p: UnsupportedProvider): string {
  return `driver ${p.driver} not supported, provider ${p.name} ignored`;
}
