// Change detection for live reload: Nodepool restarts a provider's manager when its config object
// differs by deep attribute equality (ConfigValue.__eq__). The model is plain data, so a
// structural comparison gives the same answer.
import { type NodepoolConfig, type ProviderConfig } from './types';

export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && deepEqual((a as Record<string, unknown>)[k], rb[k]));
}

/** True when the provider must be restarted (or started/stopped) after a reload. */
export function providerConfigChanged(before: ProviderConfig | undefined, after: ProviderConfig | undefined): boolean {
  return !deepEqual(before, after);
}

export interface ProviderDiff {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
}

/** Which providers a reload adds, removes, changes or keeps (names in config order). */
export function diffProviders(before: NodepoolConfig | undefined, after: NodepoolConfig): ProviderDiff {
  const old = before?.providers ?? {};
  const diff: ProviderDiff = { added: [], removed: [], changed: [], unchanged: [] };
  for (const [name, p] of Object.entries(after.providers)) {
    if (!(name in old)) diff.added.push(name);
    else if (providerConfigChanged(old[name], p)) diff.changed.push(name);
    else diff.unchanged.push(name);
  }
  diff.removed = Object.keys(old).filter((name) => !(name in after.providers));
  return diff;
}
