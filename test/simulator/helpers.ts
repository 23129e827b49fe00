// A started simulator per test file, and a tiny authenticated HTTP client for its APIs.
import { after, before } from 'node:test';
import { AdminClient, startSimulator, type Credentials, type Simulator, type SimulatorOptions } from '../../simulator';

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  body: T;
}

export class Api {
  token = '';
  readonly admin: AdminClient;
  constructor(readonly sim: { url: string; credentials: Credentials }) {
    this.admin = new AdminClient(sim.url);
  }

  async login(): Promise<string> {
    const c = this.sim.credentials;
    const r = await this.raw('POST', '/identity/v3/auth/tokens', {
      auth: {
        identity: { methods: ['password'], password: { user: { name: c.username, password: c.password, domain: { name: 'Default' } } } },
        scope: { project: { name: c.projectName, domain: { name: 'Default' } } },
      },
    });
    if (r.status !== 201) throw new Error(`login: ${r.status} ${r.text}`);
    this.token = r.headers.get('x-subject-token') ?? '';
    return this.token;
  }

  /** A request with the current token; `body` objects are sent as JSON. */
  async raw<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    const h: Record<string, string> = { Accept: 'application/json', ...headers };
    if (this.token) h['X-Auth-Token'] = this.token;
    let payload: string | Buffer | undefined;
    if (body !== undefined) {
      payload = Buffer.isBuffer(body) || typeof body === 'string' ? body : JSON.stringify(body);
      h['Content-Type'] ??= 'application/json';
    }
    const res = await fetch(`${this.sim.url}${path}`, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, text, body: parsed as T };
  }

  compute<T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply<T>> {
    return this.raw<T>(method, `/compute/v2.1${path}`, body, headers);
  }
  network<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<Reply<T>> {
    return this.raw<T>(method, `/network/v2.0${path}`, body);
  }
  image<T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply<T>> {
    return this.raw<T>(method, `/image/v2${path}`, body, headers);
  }

  /** POST /servers with sensible defaults; returns the reply. */
  async createServer(fields: Record<string, unknown> = {}): Promise<Reply<{ server: { id: string } }>> {
    const st = await this.admin.state();
    const image = st.images.find((i) => i.status === 'active');
    return this.compute('POST', '/servers', {
      server: { name: 'np0000000001', flavorRef: '1', imageRef: image?.id ?? '', ...fields },
    });
  }
}

/** Starts a simulator (with one active image) before the file's tests and stops it after. */
export function useSimulator(opts: SimulatorOptions = {}): { sim: () => Simulator; api: () => Api } {
  let sim: Simulator | undefined;
  let api: Api | undefined;
  before(async () => {
    sim = await startSimulator({ bootDelayMs: 50, deleteDelayMs: 50, ...opts });
    api = new Api(sim);
    await sim.admin.leakImage({ name: 'base-image' });
    await api.login();
  });
  after(async () => {
    await sim?.stop();
  });
  return {
    sim: () => {
      if (!sim) throw new Error('simulator not started');
      return sim;
    },
    api: () => {
      if (!api) throw new Error('simulator not started');
      return api;
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a value (not undefined) or the time runs out. */
export async function waitFor<T>(check: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
}

export interface ChildSimulator {
  url: string;
  port: number;
  pid: number;
  output: () => string;
  stop: () => Promise<void>;
}

/** Runs `simulator/cli.ts` in its own process (so its memory and restarts can be observed). */
export async function spawnSimulator(args: string[]): Promise<ChildSimulator> {
  const { spawn } = await import('node:child_process');
  const path = await import('node:path');
  const cli = path.join(__dirname, '../../simulator/cli.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`simulator exited: ${out}`);
    const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
    return m ? Number(m[1]) : undefined;
  }, 20_000);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? 0,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
