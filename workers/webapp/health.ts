// Probes, never cached. /ready: Nodepool's readiness (503 until the launcher's first pass is
// done, then 200 "OK"). /healthz: liveness Nodepool lacks (spec §8 A16): 200 while the
// ZooKeeper session is connected, 503 otherwise, with a small JSON body saying which.
import { TEXT, JSON_TYPE, type Reply } from './http';
import { type WebAppSource } from './types';

const NO_STORE = { 'Cache-Control': 'no-store' };

export function ready(source: WebAppSource): Reply {
  if (source.isReady()) return { status: 200, headers: { 'Content-Type': TEXT, ...NO_STORE }, body: 'OK' };
  return { status: 503, headers: { 'Content-Type': TEXT, ...NO_STORE }, body: '503 Service Unavailable\n\nThe launcher has not finished starting.\n' };
}

export function healthz(source: WebAppSource): Reply {
  let zookeeper: string;
  try {
    zookeeper = source.session().state;
  } catch {
    zookeeper = 'none'; // the launcher has no session yet
  }
  const ok = zookeeper === 'connected';
  return {
    status: ok ? 200 : 503,
    headers: { 'Content-Type': JSON_TYPE, ...NO_STORE },
    body: JSON.stringify({ status: ok ? 'ok' : 'unavailable', zookeeper }),
  };
}
