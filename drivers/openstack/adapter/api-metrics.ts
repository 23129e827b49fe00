// openstacksdk's per-API-call statsd metrics (Nodepool's docs: with STATSD_HOST set, "openstacksdk
// reports every OpenStack API call to statsd under openstack.api"), ported from openstacksdk 4.22
// (Nodepool 11's): `Proxy._extract_name`, `Proxy._report_stats_statsd` and `normalize_metric_name`
// in openstack/proxy.py, the statsd settings in openstack/config/loader.py and cloud_region.py.
//
// Key:  <prefix>.<service-type>.<METHOD>.<name parts joined by '_'>, prefix default 'openstack.api'
// Per response (each redirect hop, then the final answer; any status, 4xx/5xx included):
//   <key>.<status>  timing (ms, truncated) and counter;  <key>.over_1000  counter when ms > 1000
//   <key>.attempted counter
// Per exception without a response (connection error, timeout): <key>.failed, <key>.attempted.
// Keystone token requests are not reported (openstacksdk's go straight to keystoneauth1).
import { type CloudStatsdSettings } from '../../../lib/cloud/clouds-yaml';
import { createStats, type Stats } from '../../../lib/metrics/statsd';
import { log } from '../../../lib/log';
import { type ServiceName } from './clients';

export const DEFAULT_PREFIX = 'openstack.api';

/** The official service type openstacksdk's proxies carry (os-service-types), per adapter service. */
export const SERVICE_TYPES: Record<ServiceName, string> = {
  compute: 'compute',
  network: 'network',
  image: 'image',
  volume: 'block-storage',
};

/** openstacksdk's `normalize_metric_name`: '.' and ':' become '_'. */
export function normalizeMetricName(name: string): string {
  return name.replace(/\./g, '_').replace(/:/g, '_');
}

/** `urllib.parse.urlparse(url).path.strip()`: no scheme, host, query, fragment or last-segment ;params. */
function urlPath(url: string): string {
  let rest = (url.split('#')[0] ?? '').split('?')[0] ?? '';
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(rest);
  if (scheme) rest = rest.slice(scheme[0].length);
  if (rest.startsWith('//')) {
    const end = rest.slice(2).indexOf('/');
    rest = end < 0 ? '' : rest.slice(2 + end);
  }
  const params = rest.indexOf(';', rest.lastIndexOf('/'));
  if (params >= 0) rest = rest.slice(0, params);
  return rest.trim();
}

/** `Proxy._extract_name_consume_url_parts`: every other part, a plural 's' cut when an id follows. */
function consumeUrlParts(parts: string[]): string[] {
  const out: string[] = [];
  for (let idx = 0; idx < parts.length; idx++) {
    const p = parts[idx];
    if (idx % 2 !== 0 || !p) continue;
    out.push(parts.length > idx + 1 && p.endsWith('s') && p.slice(-2) !== 'is' ? p.slice(0, -1) : p);
  }
  return out;
}

/**
 * `Proxy._extract_name`: the URL path to name parts. The project id (and AUTH_<project id>) is
 * dropped, `.../detail` gives its last two parts, a leading version part (v2, v2.0) is dropped,
 * then every other part is kept ("servers/<id>/action" -> server, action), anything ending in
 * "tokens" is "tokens", nothing is "discovery". Throws where openstacksdk's raises (an empty path
 * after dropping the project id, a first part "v"); the reporter then sends nothing, as it does.
 */
export function extractName(url: string, projectId?: string | null): string[] {
  let path = urlPath(url);
  if (path.startsWith('/')) path = path.slice(1);
  if (path.endsWith('.json')) path = path.slice(0, -'.json'.length);
  let parts = path.split('/').filter((x) => x !== projectId && (!projectId || x !== `AUTH_${projectId}`));
  if (parts.length === 0) throw new RangeError(`no path parts in ${url}`);
  let name: string[];
  if (parts[parts.length - 1] === 'detail') {
    name = parts.slice(-2);
  } else {
    const first = parts[0];
    if (first && first[0] === 'v') {
      if (first.length < 2) throw new RangeError(`cannot name ${url}`);
      if (/^\p{Nd}$/u.test(first[1] ?? '')) parts = parts.slice(1);
    }
    name = consumeUrlParts(parts);
  }
  if (path.endsWith('tokens')) name = ['tokens'];
  if (name.length === 0) name = ['discovery'];
  return name.filter((p) => p);
}

/** The metric key of one call, without the status or .attempted/.failed suffix. */
export function apiMetricKey(prefix: string, serviceType: string, method: string, url: string, projectId?: string | null): string {
  const parts = extractName(url, projectId).map(normalizeMetricName);
  return [prefix, normalizeMetricName(serviceType), method, parts.join('_')].join('.');
}

/** openstacksdk's resolved statsd settings (lib/cloud/clouds-yaml.ts: env STATSD_*, `metrics.statsd`). */
export type StatsdSettings = CloudStatsdSettings;

/** One HTTP answer: a redirect hop or the final response. */
export interface ApiResponse {
  /** The URL this answer was for (the full request URL, query included or not). */
  url: string;
  status: number;
  /** Request sent to response headers parsed, like requests' `Response.elapsed`. */
  elapsedMs: number;
}

/** One API call as openstacksdk's Proxy.request sees it. */
export interface ApiCall {
  service: ServiceName;
  method: string;
  /** The path (or URL) the call was made with; names the call when there is no response. */
  requestUrl: string;
  /** Redirect hops then the final response, or empty when the call failed without one. */
  responses: ApiResponse[];
  /** The token's project id, dropped from URLs (Cinder's /v3/<project>/...). */
  projectId?: string;
}

export class ApiMetrics {
  private constructor(
    private readonly stats: Stats,
    readonly prefix: string,
  ) {}

  /**
   * A reporter when statsd is configured, as openstacksdk's get_statsd_client decides: a host or a
   * port (python statsd's defaults fill in localhost:8125); otherwise undefined (no client at all).
   */
  static create(settings: StatsdSettings | undefined, stats?: Stats): ApiMetrics | undefined {
    if (!settings?.host && !settings?.port) return undefined;
    const port = settings.port ? Number(settings.port) : 8125;
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      log('statsd').warn({ port: settings.port }, 'invalid statsd port; OpenStack API metrics are off');
      return undefined;
    }
    try {
      const client = stats ?? createStats({ STATSD_HOST: settings.host ?? 'localhost', STATSD_PORT: String(port) });
      return new ApiMetrics(client, settings.prefix || DEFAULT_PREFIX);
    } catch (err) {
      // openstacksdk: "Cannot establish connection to statsd", and no client.
      log('statsd').warn({ err: (err as Error).message }, 'cannot create the statsd client; OpenStack API metrics are off');
      return undefined;
    }
  }

  /** `Proxy._report_stats_statsd` for each response (or the failure); never throws. */
  report(call: ApiCall): void {
    const serviceType = SERVICE_TYPES[call.service];
    if (call.responses.length === 0) {
      this.safely(() => {
        const key = apiMetricKey(this.prefix, serviceType, call.method, call.requestUrl, call.projectId);
        this.stats.increment(`${key}.failed`);
        this.stats.increment(`${key}.attempted`);
      });
      return;
    }
    for (const r of call.responses) {
      this.safely(() => {
        const key = apiMetricKey(this.prefix, serviceType, call.method, r.url, call.projectId);
        const duration = Math.max(0, Math.trunc(r.elapsedMs));
        const name = `${key}.${r.status}`;
        this.stats.timing(name, duration);
        this.stats.increment(name);
        if (duration > 1000) this.stats.increment(`${key}.over_1000`);
        this.stats.increment(`${key}.attempted`);
      });
    }
  }

  close(): Promise<void> {
    return this.stats.close().catch(() => undefined);
  }

  private safely(f: () => void): void {
    try {
      f();
    } catch (err) {
      // As openstacksdk: errors in metric reporting never break the client.
      log('statsd').debug({ err: (err as Error).message }, 'cannot report OpenStack API metrics');
    }
  }
}

/** One attempt of a call: its timer, and whether it ended without a usable response. */
export interface ApiExchange {
  timer?: ExchangeTimer;
  /** A transport error or timeout (openstacksdk's exception case, reported as .failed). */
  failed?: boolean;
}

/** The responses to report for an attempt: none when it failed (or never started). */
export function exchangeResponses(x: ApiExchange): ApiResponse[] {
  return x.failed || !x.timer ? [] : x.timer.responses();
}

/** What `request` (pkgcloud's transport) or node's ClientRequest exposes of an in-flight call. */
interface RequestLike {
  uri?: { href?: string };
  response?: { statusCode?: number };
  _redirect?: { redirects?: { statusCode: number }[] };
  once?(event: string, f: (...args: unknown[]) => void): unknown;
  on?(event: string, f: (...args: unknown[]) => void): unknown;
}

/**
 * Watches one `request` call (or node ClientRequest) for the answers openstacksdk would report:
 * each redirect hop `request` follows (GETs only) and the final response, timed from its creation
 * to the response headers. `responses()` is empty when no final response arrived.
 */
export class ExchangeTimer {
  private readonly hops: ApiResponse[] = [];
  private final?: ApiResponse;
  private url: string;
  private started = performance.now();

  constructor(initialUrl: string) {
    this.url = initialUrl;
  }

  /** Attach to the in-flight request (anything without events is ignored). */
  watch(inflight: unknown): void {
    const req = inflight as RequestLike | undefined;
    if (!req || typeof req.on !== 'function' || typeof req.once !== 'function') return;
    this.url = req.uri?.href ?? this.url; // `request` has built its URL (qs, network's v2.0/) by now
    req.on('redirect', () => {
      const list = req._redirect?.redirects;
      const status = list?.[list.length - 1]?.statusCode ?? req.response?.statusCode;
      const now = performance.now();
      if (status) this.hops.push({ url: this.url, status, elapsedMs: now - this.started });
      this.url = req.uri?.href ?? this.url;
      this.started = now;
    });
    req.once('response', (res: unknown) => {
      const status = (res as { statusCode?: number } | undefined)?.statusCode;
      if (status) this.final = { url: req.uri?.href ?? this.url, status, elapsedMs: performance.now() - this.started };
    });
  }

  /** Records the final answer when it came another way (no events, or pkgcloud's own error). */
  answered(status: number | undefined, url?: string): void {
    if (!this.final && status) this.final = { url: url ?? this.url, status, elapsedMs: performance.now() - this.started };
  }

  responses(): ApiResponse[] {
    return this.final ? [...this.hops, this.final] : [];
  }
}
