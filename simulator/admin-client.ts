// Typed client of the simulator's unauthenticated `/_admin/` API. It talks HTTP, so a test in
// another process (or a shell script with curl) can drive the same simulator.
import type {
  Fault,
  FaultSpec,
  LeakFloatingIpSpec,
  LeakImageSpec,
  LeakPortSpec,
  LeakServerSpec,
  Quotas,
  ServerRule,
  ServerRuleSpec,
  SimFloatingIp,
  SimImage,
  SimPort,
  SimServer,
  SimulatorState,
} from './types';

export class AdminClient {
  /** `baseUrl` is the simulator root, e.g. `http://127.0.0.1:5000`. */
  constructor(readonly baseUrl: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl.replace(/\/$/, '')}/_admin${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`simulator admin ${method} ${path}: HTTP ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Everything the simulator holds. */
  state(): Promise<SimulatorState> {
    return this.call('GET', '/state');
  }

  /** Back to a fresh start: default flavors/networks, no servers/images, no faults, counters zeroed. */
  async reset(): Promise<void> {
    await this.call('POST', '/reset');
  }

  async injectFault(spec: FaultSpec): Promise<string> {
    return (await this.call<{ id: string }>('POST', '/faults', spec)).id;
  }

  faults(): Promise<Fault[]> {
    return this.call('GET', '/faults');
  }

  /** Clears one fault, or all of them when no id is given. */
  async clearFaults(id?: string): Promise<void> {
    await this.call('DELETE', id ? `/faults/${encodeURIComponent(id)}` : '/faults');
  }

  async addServerRule(spec: ServerRuleSpec): Promise<string> {
    return (await this.call<{ id: string }>('POST', '/server-rules', spec)).id;
  }

  serverRules(): Promise<ServerRule[]> {
    return this.call('GET', '/server-rules');
  }

  async clearServerRules(id?: string): Promise<void> {
    await this.call('DELETE', id ? `/server-rules/${encodeURIComponent(id)}` : '/server-rules');
  }

  /** Applies to servers created from now on. */
  async setBootDelay(ms: number): Promise<void> {
    await this.call('PUT', '/boot-delay', { ms });
  }

  async setDeleteDelay(ms: number): Promise<void> {
    await this.call('PUT', '/delete-delay', { ms });
  }

  /** An attached floating IP stays DOWN (and out of its server's addresses) this long. */
  async setFloatingIpDelay(ms: number): Promise<void> {
    await this.call('PUT', '/floating-ip-delay', { ms });
  }

  /** Sets the given limits (-1 = unlimited); the others stay as they are. Returns all of them. */
  setQuotas(quotas: Partial<Quotas>): Promise<Quotas> {
    return this.call('PUT', '/quotas', quotas);
  }

  /** Forces a server's status, e.g. ERROR with a fault message, or SHUTOFF. */
  setServerStatus(id: string, status: SimServer['status'], faultMessage?: string): Promise<SimServer> {
    return this.call('PUT', `/servers/${encodeURIComponent(id)}/status`, { status, faultMessage });
  }

  /** A server nobody asked for through the API (e.g. one left behind by a crashed launcher). */
  leakServer(spec: LeakServerSpec): Promise<SimServer> {
    return this.call('POST', '/leak/server', spec);
  }

  leakPort(spec: LeakPortSpec = {}): Promise<SimPort> {
    return this.call('POST', '/leak/port', spec);
  }

  leakFloatingIp(spec: LeakFloatingIpSpec = {}): Promise<SimFloatingIp> {
    return this.call('POST', '/leak/floating-ip', spec);
  }

  /** An active image with the given properties (a tiny file is attached). */
  leakImage(spec: LeakImageSpec): Promise<SimImage> {
    return this.call('POST', '/leak/image', spec);
  }

  /** Every token becomes unknown: the next API call gets 401 and the client must re-authenticate. */
  async revokeTokens(): Promise<void> {
    await this.call('POST', '/revoke-tokens');
  }
}
