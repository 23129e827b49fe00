// Decides which values may appear in an error message. Secrets reach nodepool.yaml through
// diskimage env-vars (registry passwords), cloud-init userdata, %(NODEPOOL_X) substitution and the
// whole secure file; none of them may be echoed back to a terminal or a CI log.
import { type PathSegment } from './errors';

export const REDACTED = '[redacted]';

const SECRET_KEY = /(password|passwd|secret|token|credential|userdata)/i;

/** True when the value at this path must never be printed. */
export function isSecretPath(path: readonly PathSegment[]): boolean {
  const envIdx = path.indexOf('env-vars');
  // The env-vars key names are fine to show; their values (one level below) are not.
  if (envIdx >= 0 && path.length > envIdx + 1) return true;
  return path.some((seg) => typeof seg === 'string' && SECRET_KEY.test(seg));
}

export interface RedactionRules {
  /** Everything from this file is secret (the secure file). */
  wholeFile: boolean;
  /** Values that were substituted from NODEPOOL_* environment variables. */
  substituted: readonly string[];
}

/**
 * A short, safe description of a value for a message: strings quoted, scalars as-is, collections
 * summarised (a mapping could hold env-vars, so its content is never dumped).
 */
export function describeValue(value: unknown, path: readonly PathSegment[], rules: RedactionRules): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null (empty value)';
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (value instanceof Date) return rules.wholeFile || isSecretPath(path) ? REDACTED : value.toISOString();
  if (typeof value === 'object') return 'a mapping';
  if (rules.wholeFile || isSecretPath(path)) return REDACTED;
  const text = String(value);
  if (rules.substituted.some((s) => text === s || (s.length >= 4 && text.includes(s)))) return REDACTED;
  if (typeof value !== 'string') return text;
  const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
  return JSON.stringify(shown);
}
