// A TCP reachability probe, shared by the host-key scan and the dev/test server starters.
import { connect } from 'node:net';

/** True once a TCP connection to host:port succeeds within timeoutMs, false otherwise. */
export function tcpReachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}
