// One authenticated OpenStack session per provider: pkgcloud clients for compute, network, image
// and volume that share a single Keystone identity (one token POST, not one per client), and
// `call()`, the only way API requests are sent. call() goes through pkgcloud's authenticated
// `_request` but decides success itself (pkgcloud treats 429/502/504 as success, libs.md §1.8),
// applies the provider's rate limit and a per-call timeout, and re-authenticates once on 401.
// Every call is reported to statsd as openstacksdk reports it (api-metrics.ts) when configured.
import { readFileSync } from 'node:fs';
import { type Client, type IncomingResponse, type RequestOptions } from 'pkgcloud/lib/pkgcloud/openstack/client';
import { type CloudConfig } from '../../../lib/cloud/clouds-yaml';
import { log, type Logger } from '../../../lib/log';
import { ApiMetrics, exchangeResponses, ExchangeTimer, type ApiExchange } from './api-metrics';
import { CATALOG_TYPES, createClients, type ServiceName } from './clients';
import { AuthenticationError, CloudTimeoutError, FatalCloudError, isCloudError, type CloudError } from '../../errors';
import { httpError, parseRetryAfter, transportError } from './errors';
import { KeystoneIdentity, type TransportSettings } from './identity';
import { providerBucket, type TokenBucket } from './rate-limit';

export type { ServiceName } from './clients';

export interface SessionOptions {
  /** Provider name (rate bucket, logger). */
  provider: string;
  /** Nodepool `rate`: seconds between API calls; 0 = unlimited. */
  rateSeconds: number;
  /** Per-call timeout in ms (connect + response). */
  timeoutMs: number;
}

export interface CallRequest extends RequestOptions {
  /** Statuses that count as success besides 2xx (e.g. none; 404 is handled by callers). */
  accept?: number[];
}

export interface CallResponse<T> {
  status: number;
  body: T;
  headers: IncomingResponse['headers'];
}

const USER_AGENT = 'temporal-nodepool';

export class OpenStackSession {
  readonly log: Logger;
  readonly transport: TransportSettings;
  private readonly identity: KeystoneIdentity;
  private readonly clients: Record<ServiceName, Client>;
  private readonly endpoints = new Map<ServiceName, string | null>();
  private readonly bucket: TokenBucket;
  private authing?: Promise<void>;
  /** The clouds.yaml region, or the catalog's only region when clouds.yaml names none. */
  region?: string;
  /** openstacksdk's openstack.api.* statsd metrics; undefined when statsd is not configured. */
  readonly apiMetrics?: ApiMetrics;

  constructor(
    readonly cloud: CloudConfig,
    readonly opts: SessionOptions,
  ) {
    this.log = log(`provider.${opts.provider}`);
    this.bucket = providerBucket(opts.provider, opts.rateSeconds);
    this.transport = {
      timeoutMs: opts.timeoutMs,
      strictSSL: cloud.verify,
      ca: cloud.cacert ? readFileSync(cloud.cacert) : undefined,
      userAgent: `${USER_AGENT} nodejs-pkgcloud/2.2.0`,
    };
    this.identity = new KeystoneIdentity(cloud.auth, this.transport);
    this.apiMetrics = ApiMetrics.create(cloud.statsd);
    this.clients = createClients(cloud);
    for (const c of Object.values(this.clients)) {
      c._identity = this.identity;
      c.setCustomUserAgent(USER_AGENT);
      c.before.push((req) => {
        req.timeout = this.opts.timeoutMs;
        if (this.transport.ca) req.ca = this.transport.ca;
      });
    }
  }

  /** Authenticates if there is no token or it is about to expire; concurrent callers share one POST. */
  async ensureAuth(force = false): Promise<void> {
    if (!force && this.tokenFresh()) return;
    if (!this.authing) {
      this.authing = this.authenticate().finally(() => {
        this.authing = undefined;
      });
    }
    await this.authing;
  }

  private tokenFresh(): boolean {
    const t = this.identity.token;
    if (!t?.id || !t.expires) return false;
    return t.expires.getTime() - Date.now() > this.earlyMs();
  }

  /** Refresh 5 minutes early, or a quarter of the lifetime for short-lived tokens. */
  private earlyMs(): number {
    const t = this.identity.token;
    const life = t?.expires && t.issued_at ? t.expires.getTime() - t.issued_at.getTime() : NaN;
    return Number.isFinite(life) && life > 0 ? Math.min(300_000, life / 4) : 300_000;
  }

  private async authenticate(): Promise<void> {
    this.identity.token = undefined;
    await withTimeout(
      new Promise<void>((resolve, reject) => this.identity.authorize((e?: unknown) => (e ? reject(e) : resolve()))),
      this.opts.timeoutMs + 1000,
      () => new CloudTimeoutError(`Keystone did not answer within ${this.opts.timeoutMs} ms`, { url: this.cloud.auth.authUrl }),
    );
    this.endpoints.clear();
    this.region = this.cloud.region ?? this.catalogRegion();
    const early = this.earlyMs();
    for (const [name, client] of Object.entries(this.clients) as [ServiceName, Client][]) {
      // Half our margin: pkgcloud must never decide on its own to re-authenticate inline.
      client.config.earlyTokenTimeout = early / 2;
      client.region = this.region;
      client._serviceUrl = this.lookupEndpoint(name, client);
    }
    this.log.debug({ cloud: this.cloud.cloud, region: this.region }, 'authenticated');
  }

  /** pkgcloud cannot pick v3 endpoints without a region; like openstacksdk, take the only one there is. */
  private catalogRegion(): string | undefined {
    const raw = this.identity.raw as { token?: { catalog?: { endpoints?: { region?: string }[] }[] } } | undefined;
    const regions = new Set<string>();
    for (const svc of raw?.token?.catalog ?? []) for (const ep of svc.endpoints ?? []) if (ep.region) regions.add(ep.region);
    if (regions.size <= 1) return [...regions][0];
    throw new FatalCloudError(`cloud ${this.cloud.cloud} has several regions (${[...regions].join(', ')}): set region-name in nodepool.yaml or region_name in clouds.yaml`);
  }

  private lookupEndpoint(name: ServiceName, client: Client): string | null {
    for (const serviceType of CATALOG_TYPES[name]) {
      try {
        const url = this.identity.getServiceEndpointUrl({
          serviceType,
          region: this.region,
          useInternal: this.cloud.interface === 'internal',
          useAdmin: this.cloud.interface === 'admin',
        });
        this.endpoints.set(name, url);
        client.serviceType = serviceType; // so pkgcloud's own endpoint lookup would agree
        return url;
      } catch {
        /* try the next catalog type */
      }
    }
    this.endpoints.set(name, null);
    return null;
  }

  /** The catalog URL of a service, or null when the cloud has none (e.g. no Cinder). */
  async endpoint(name: ServiceName): Promise<string | null> {
    await this.ensureAuth();
    return this.endpoints.get(name) ?? null;
  }

  /** For the streamed upload, which bypasses `request` (it would not stream with a length). */
  async token(): Promise<string> {
    await this.ensureAuth();
    const id = this.identity.token?.id;
    if (!id) throw new AuthenticationError('no token after authentication');
    return id;
  }

  /** Forgets the token when it was refused, so the next ensureAuth() gets a new one. */
  invalidate(tokenId: string | undefined): void {
    if (tokenId && this.identity.token?.id === tokenId) this.identity.token = undefined;
  }

  async rateLimit(): Promise<void> {
    await this.bucket.take();
  }

  /** The token's project id (openstacksdk drops it from metric names). */
  projectId(): string | undefined {
    const raw = this.identity.raw as { token?: { project?: { id?: string } } } | undefined;
    return raw?.token?.project?.id;
  }

  /**
   * Reports one API call attempt to statsd as openstacksdk does (api-metrics.ts); never throws.
   * `requestUrl` (the path relative to the service) names it when there was no response.
   */
  reportApiCall(service: ServiceName, method: string, requestUrl: string, x: ApiExchange): void {
    this.apiMetrics?.report({ service, method, requestUrl, responses: exchangeResponses(x), projectId: this.projectId() });
  }

  private reportExchange(service: ServiceName, req: CallRequest, x: ApiExchange): void {
    this.reportApiCall(service, (req.method ?? 'GET').toUpperCase(), req.uri ?? req.path ?? '', x);
  }

  async close(): Promise<void> {
    await this.apiMetrics?.close();
  }

  /** One API call: rate-limited, timed out, status-checked, re-authenticated once on 401. */
  async call<T = unknown>(service: ServiceName, req: CallRequest): Promise<CallResponse<T>> {
    for (let attempt = 0; ; attempt++) {
      const exchange: ApiExchange = {};
      let sent = false;
      let tokenId: string | undefined;
      try {
        // Wait for the rate limit first: a token checked before a long wait could expire during it.
        await this.rateLimit();
        await this.ensureAuth();
        if (!this.endpoints.get(service)) {
          throw new FatalCloudError(`cloud ${this.cloud.cloud} has no ${service} endpoint in region ${this.region ?? '(none)'}`);
        }
        tokenId = this.identity.token?.id;
        sent = true;
        const res = await this.send<T>(service, req, exchange);
        this.reportExchange(service, req, exchange);
        return res;
      } catch (e) {
        if (!sent) {
          // As openstacksdk: an exception inside the request (here Keystone, no endpoint) is .failed.
          this.reportExchange(service, req, exchange);
          throw e;
        }
        if (isCloudError(e) && e.status === 401 && attempt === 0) {
          // keystoneauth retries a 401 inside the one request: openstacksdk reports only the retry.
          this.log.info({ service, path: req.path }, 'token refused (401); re-authenticating once');
          this.invalidate(tokenId);
          continue;
        }
        this.reportExchange(service, req, exchange);
        if (isCloudError(e) && e.status === 401) {
          throw new AuthenticationError(`${e.message} (again after re-authenticating)`, { status: 401, method: e.method, url: e.url });
        }
        throw e;
      }
    }
  }

  private send<T>(service: ServiceName, req: CallRequest, exchange: ApiExchange): Promise<CallResponse<T>> {
    const client = this.clients[service];
    const method = (req.method ?? 'GET').toUpperCase();
    // Copy: the network client's _getUrl rewrites options.path (adds v2.0/).
    const options: RequestOptions = { method, path: req.path, uri: req.uri, qs: req.qs, body: req.body, headers: { ...req.headers } };
    const url = req.uri ?? safeUrl(client, req.path);
    const details = { method, url };
    const timer = (exchange.timer = new ExchangeTimer(url));
    return new Promise<CallResponse<T>>((resolve, reject) => {
      let settled = false;
      const finish = (f: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        f();
      };
      // request's own timeout covers connect and headers; this one also covers a stalled body.
      const deadline = setTimeout(() => {
        finish(() => {
          exchange.failed = true;
          reject(new CloudTimeoutError(`${method} ${url} timed out after ${this.opts.timeoutMs} ms`, details));
        });
        inflight?.abort?.();
      }, this.opts.timeoutMs + 250);
      const inflight = client._request(options, (err: unknown, body?: unknown, res?: IncomingResponse) => {
        finish(() => {
          if (err) {
            const status = (err as { statusCode?: unknown } | undefined)?.statusCode;
            if (typeof status === 'number') timer.answered(status);
            else exchange.failed = true;
            return reject(this.toCloudError(err, details));
          }
          timer.answered(res?.statusCode, (res as { request?: { uri?: { href?: string } } } | undefined)?.request?.uri?.href);
          const status = res?.statusCode ?? 0;
          if ((status >= 200 && status < 300) || req.accept?.includes(status)) {
            return resolve({ status, body: body as T, headers: res?.headers ?? {} });
          }
          reject(httpError(status, body, { ...details, retryAfter: parseRetryAfter(res?.headers['retry-after']), requestId: requestId(res?.headers) }));
        });
      });
      timer.watch(inflight);
    });
  }

  private toCloudError(err: unknown, details: { method: string; url: string }): CloudError {
    if (isCloudError(err)) return err;
    // pkgcloud's own error for a failCode status: {statusCode, result, headers}
    const e = err as { statusCode?: number; result?: unknown; headers?: IncomingResponse['headers'] };
    if (typeof e?.statusCode === 'number') {
      return httpError(e.statusCode, e.result, {
        ...details,
        retryAfter: parseRetryAfter(e.headers?.['retry-after']),
        requestId: requestId(e.headers),
      });
    }
    return transportError(err, details);
  }
}

function requestId(h: IncomingResponse['headers'] | undefined): string | undefined {
  const v = h?.['x-openstack-request-id'] ?? h?.['x-compute-request-id'];
  return typeof v === 'string' ? v : undefined;
}

function safeUrl(client: Client, path: string | undefined): string {
  return `${client._serviceUrl ?? ''}/${path ?? ''}`.replace(/([^:])\/\/+/g, '$1/');
}

export async function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}
