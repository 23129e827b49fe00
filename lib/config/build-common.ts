// Small conversions shared by the provider model builders.
import { type Limit } from './types';

/** An unset cap is unlimited (Nodepool: math.inf; here null so it survives JSON). */
export const limit = (v: number | undefined): Limit => (v === undefined ? null : v);

/** Effective pool priority: pool, else provider, else 100 (lower wins). */
export const effectivePriority = (pool: number | undefined, provider: number | undefined): number => pool ?? provider ?? 100;

/** The keys every driver shares (ProviderConfig.__init__): max-concurrency -1 = unlimited. */
export function commonProviderFields(raw: { name: string; 'max-concurrency'?: number; priority?: number }): {
  name: string;
  maxConcurrency: number;
  priority: number | null;
} {
  return { name: raw.name, maxConcurrency: raw['max-concurrency'] ?? -1, priority: raw.priority ?? null };
}
