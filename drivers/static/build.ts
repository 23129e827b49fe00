// Raw static provider → model, with the defaults from nodepool/driver/static/config.py.
import { commonProviderFields, effectivePriority, limit } from '../../lib/config/build-common';
import { type RawStaticNode, type RawStaticProvider } from '../../lib/config/schema';
import { type StaticNode, type StaticPool, type StaticProvider } from '../../lib/config/types';

/** A string holds space-separated labels; a list is taken as is. */
export function staticLabels(labels: string | string[]): string[] {
  return typeof labels === 'string' ? labels.split(/\s+/).filter(Boolean) : [...labels];
}

function buildNode(n: RawStaticNode): StaticNode {
  const hostKey = n['host-key'];
  return {
    name: n.name,
    labels: staticLabels(n.labels),
    hostKeys: hostKey === undefined ? [] : typeof hostKey === 'string' ? [hostKey] : [...hostKey],
    hostKeyChecking: n['host-key-checking'] ?? true,
    timeout: n.timeout ?? 5,
    // The code ignores connection-type here: 22 (or legacy ssh-port) even for winrm (spec §1.15).
    connectionPort: n['connection-port'] ?? n['ssh-port'] ?? 22,
    connectionType: n['connection-type'] ?? 'ssh',
    shellType: n['shell-type'] ?? null,
    username: n.username ?? 'zuul',
    maxParallelJobs: n['max-parallel-jobs'] ?? 1,
    pythonPath: n['python-path'] ?? 'auto',
  };
}

export function buildStaticProvider(raw: RawStaticProvider): StaticProvider {
  const pools: Record<string, StaticPool> = {};
  for (const pool of raw.pools ?? []) {
    const nodes = (pool.nodes ?? []).map(buildNode);
    pools[pool.name] = {
      name: pool.name,
      maxServers: limit(pool['max-servers']),
      nodeAttributes: pool['node-attributes'] ?? null,
      priority: effectivePriority(pool.priority, raw.priority),
      supportedLabels: [...new Set(nodes.flatMap((n) => n.labels))],
      nodes,
    };
  }
  return {
    ...commonProviderFields(raw),
    driver: 'static',
    supported: true,
    pools,
  };
}
