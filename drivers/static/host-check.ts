// Nodepool 11's checkHost (nodepool/driver/static/provider.py): which host keys a static node
// is registered with, or why it is not registered at all. The scan itself is injected (an
// activity later, a fake in tests); the rules for when to scan and what matches live here.
import { type StaticNode } from '../../lib/config/types';

/**
 * Nodepool's nodescan for one configured host: for ssh and network_cli the host's keys as
 * "<type> <base64>"; for other connection types only a TCP check (any array, ignored).
 * null when the host did not answer within the node's `timeout`.
 */
export type HostScanner = (node: StaticNode) => Promise<string[] | null>;

export type HostCheck = { ok: true; hostKeys: string[] } | { ok: false; reason: string };

/** Only these connection types have SSH host keys to gather. */
export function gathersHostKeys(sn: StaticNode): boolean {
  return sn.connectionType === 'ssh' || sn.connectionType === 'network_cli';
}

export async function checkHost(sn: StaticNode, scan: HostScanner): Promise<HostCheck> {
  // host-key-checking off: no scan at all, the configured keys (possibly none) are written
  // as they are. Off does not skip the check for winrm & co: they still get the port probe.
  if (gathersHostKeys(sn) && !sn.hostKeyChecking) return { ok: true, hostKeys: [...sn.hostKeys] };
  const scanned = await scan(sn);
  if (scanned === null) return { ok: false, reason: 'ConnectionTimeoutException' };
  if (!gathersHostKeys(sn)) return { ok: true, hostKeys: [] };
  // Every configured key must be among the scanned ones (no host-key: anything matches); the
  // node then carries all scanned keys, not just the configured ones.
  const have = new Set(scanned);
  if (sn.hostKeys.every((k) => have.has(k))) return { ok: true, hostKeys: [...scanned] };
  return { ok: false, reason: `host key mismatches (${JSON.stringify(scanned)})` };
}
