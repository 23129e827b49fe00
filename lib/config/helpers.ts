// Small conveniences for the daemons and the CLI.
import { type NodepoolConfig, type UnsupportedProvider } from './types';

export const DEFAULT_CONFIG_PATH = '/etc/nodepool/nodepool.yaml';

/** Providers the launcher must skip (and say so once, with unsupportedProviderMessage). */
export function unsupportedProviders(config: NodepoolConfig): UnsupportedProvider[] {
  return Object.values(config.providers).filter((p): p is UnsupportedProvider => !p.supported);
}

/** The launcher's log line for a provider it skips: it serves none of it, registers none of its pools. */
export function unsupportedProviderMessage(p: UnsupportedProvider): string {
  const pools = Array.isArray(p.raw.pools) ? p.raw.pools.map((pool: { name?: unknown }) => String(pool.name)) : [];
  const what = pools.length ? `its pools (${pools.join(', ')}) are not registered` : 'it has no pools';
  return `driver ${p.driver} not supported: provider ${p.name} is not served and ${what}`;
}
