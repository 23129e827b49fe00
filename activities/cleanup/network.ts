// Floating IPs and DOWN ports. Neither carries Nodepool metadata, so, as in Nodepool, only
// what is plainly unused is removed: floating IPs with no port (only with clean-floating-ips,
// and only when the previous pass saw them unattached too, so one being attached during a
// launch is left alone), and DOWN compute ports (device_owner empty or compute:*) seen DOWN on
// scans at least port-cleanup-interval apart. Unlike Nodepool, a DOWN port whose device is an
// existing server (e.g. a SHUTOFF one) is never deleted.
import { type Port, type Provider } from '../../drivers/provider';
import { type CleanupAction, type CleanupTaskReport } from './types';

type Remove = (action: CleanupAction) => Promise<boolean>;

export async function unattachedFloatingIps(input: { cloud: Provider; previous: string[]; remove: Remove }): Promise<{ report: CleanupTaskReport; seen: string[] }> {
  const free = (await input.cloud.listFloatingIps()).filter((f) => !f.portId);
  const previous = new Set(input.previous);
  const seen: string[] = [];
  const done: CleanupAction[] = [];
  for (const f of free) {
    const action = { kind: 'floating-ip', id: f.id, reason: `unattached on two passes (${f.address})` };
    if (previous.has(f.id) && (await input.remove(action))) done.push(action);
    else seen.push(f.id);
  }
  return { report: { ok: true, found: free.length, done }, seen };
}

/** Nodepool's _filterComputePorts. */
export const isComputePort = (p: Port): boolean => p.deviceOwner === '' || p.deviceOwner.startsWith('compute:');

export async function downPorts(input: {
  cloud: Provider;
  previous: Record<string, number>;
  intervalMs: number;
  now: number;
  remove: Remove;
}): Promise<{ report: CleanupTaskReport; seen: Record<string, number> }> {
  const down = (await input.cloud.listPorts({ status: 'DOWN' })).filter((p) => p.status === 'DOWN' && isComputePort(p));
  const servers = new Set((await input.cloud.listServers()).filter((s) => s.status !== 'DELETED').map((s) => s.id));
  const seen: Record<string, number> = {};
  const done: CleanupAction[] = [];
  for (const p of down) {
    if (p.deviceId && servers.has(p.deviceId)) continue;
    const first = input.previous[p.id] ?? input.now;
    const action = { kind: 'port', id: p.id, reason: `DOWN since ${new Date(first).toISOString()} (port-cleanup-interval ${input.intervalMs / 1000}s)` };
    if (p.id in input.previous && input.now - first >= input.intervalMs && (await input.remove(action))) done.push(action);
    else seen[p.id] = first;
  }
  return { report: { ok: true, found: Object.keys(seen).length + done.length, done }, seen };
}
