// The secure file (-s): same YAML format, read only for zookeeper-servers, zookeeper-tls and
// diskimages[].env-vars (config.py loadSecureConfig). Nothing from it is ever printed: every
// message about it shows the path and line:column, and `[redacted]` for the value.
import { type ConfigIssue } from './errors';
import { type RawSecureFile } from './schema';
import { reportZodIssues } from './schema/report';
import { SECURE_KEYS, secureFile } from './schema/secure';
import { type ConfigSource } from './source';
import { type NodepoolConfig } from './types';

/** Schema-check the secure file. An empty file is allowed (Nodepool: `if not secure: return`). */
export function parseSecure(src: ConfigSource): { secure?: RawSecureFile; issues: ConfigIssue[] } {
  const data = src.data;
  if (data === null || data === undefined) return { secure: {}, issues: [] };
  if (typeof data !== 'object' || Array.isArray(data)) {
    return { issues: [src.issue('error', 'secure', [], 'the secure file must be a mapping of top-level keys')] };
  }
  const issues: ConfigIssue[] = Object.keys(data)
    .filter((k) => !SECURE_KEYS.includes(k))
    .map((k) => src.issue('warning', 'secure', [k], `key "${k}" is ignored in the secure file (only ${SECURE_KEYS.join(', ')} are read)`, true));
  const r = secureFile.safeParse(data);
  if (!r.success) return { issues: [...issues, ...reportZodIssues(src, r.error.issues, [], 'secure')] };
  return { secure: r.data, issues };
}

/**
 * Merge the secure env-vars into the resolved diskimages (dict update). Like Nodepool, this happens
 * after inheritance, so only buildable diskimages can be named; an unknown one is an error.
 */
export function applySecureEnvVars(config: NodepoolConfig, secure: RawSecureFile, src: ConfigSource, mainFile: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  (secure.diskimages ?? []).forEach((d, i) => {
    const target = config.diskimages[d.name];
    if (!target) {
      issues.push(src.issue('error', 'secure', ['diskimages', i, 'name'], `unknown diskimage: ${src.describe(['diskimages', i, 'name'])} is not a (non-abstract) diskimage in ${mainFile}`));
      return;
    }
    Object.assign(target.envVars, d['env-vars']);
    target.secureEnvVarNames = [...new Set([...target.secureEnvVarNames, ...Object.keys(d['env-vars'])])];
  });
  return issues;
}
