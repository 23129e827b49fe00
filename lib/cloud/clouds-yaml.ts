// Loads one cloud from clouds.yaml the way Nodepool users have it (os-client-config rules):
// search order, secure.yaml merged over it, `regions:` lists, password and application-credential
// auth, image_format, cacert/verify. The result carries the secret only inside CloudAuth.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CloudAuth, type AuthType } from './credentials';
import { deepMerge, isMapping, type Mapping } from './deep-merge';
import { cloudsYamlCandidates, firstExisting, secureYamlCandidates, type SearchEnv } from './search-path';

export type EndpointInterface = 'public' | 'internal' | 'admin';

export interface CloudConfig {
  /** The clouds.yaml entry name (Nodepool's provider `cloud`, stored as node.cloud). */
  cloud: string;
  /** Selected region, or undefined when the cloud names none. */
  region?: string;
  auth: CloudAuth;
  interface: EndpointInterface;
  /** Disk format this cloud takes for uploads (decides the DIB output format). */
  imageFormat: string;
  /** false turns TLS verification off (clouds.yaml `verify: false`). */
  verify: boolean;
  /** Path of a CA bundle (clouds.yaml `cacert`). */
  cacert?: string;
  /** clouds.yaml `private: true`: nodes are reached on their private address. */
  private: boolean;
  /** clouds.yaml `networks:`: roles the operator gives networks (openstacksdk's rules). */
  networks: CloudNetwork[];
  /** clouds.yaml `floating_ip_source` (openstacksdk default `neutron`); null for `None`. */
  floatingIpSource: string | null;
  /** The files this came from, for error messages. */
  sourceFile: string;
  secureFile?: string;
  /** openstacksdk's API-call metrics settings (env STATSD_*, `metrics.statsd`); absent when none are set. */
  statsd?: CloudStatsdSettings;
}

/** openstacksdk's `metrics: statsd: {host, port, prefix}`. */
export interface CloudStatsdSettings {
  host?: string;
  port?: number | string;
  prefix?: string;
}

/** One clouds.yaml `networks:` entry, with openstacksdk's defaults (config/loader.py _fix_network). */
export interface CloudNetwork {
  name: string;
  /** routes_ipv4_externally, defaulting to routes_externally (false). */
  routesIpv4Externally: boolean;
  natDestination: boolean;
  natSource: boolean;
}

export class CloudsYamlError extends Error {
  override name = 'CloudsYamlError';
}

export interface LoadCloudOptions extends SearchEnv {
  cloud: string;
  /** Nodepool's provider `region-name`. */
  region?: string;
  /** Use this clouds.yaml and skip the search (secure.yaml is still searched). */
  file?: string;
}

function readYaml(path: string): Mapping {
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CloudsYamlError(`${path}: cannot read: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isMapping(doc)) throw new CloudsYamlError(`${path}: expected a mapping at the top level`);
  return doc;
}

export function loadCloud(opts: LoadCloudOptions): CloudConfig {
  const tried = opts.file ? [opts.file] : cloudsYamlCandidates(opts);
  const sourceFile = firstExisting(tried);
  if (!sourceFile) {
    throw new CloudsYamlError(`cloud "${opts.cloud}": no clouds.yaml found (tried ${tried.join(', ')})`);
  }
  let doc = readYaml(sourceFile);
  const secureFile = firstExisting(secureYamlCandidates(sourceFile, opts));
  if (secureFile) doc = deepMerge(doc, readYaml(secureFile));

  const where = `${sourceFile}${secureFile ? ` (+ ${secureFile})` : ''}`;
  const clouds = doc.clouds;
  if (!isMapping(clouds)) throw new CloudsYamlError(`${where}: no "clouds:" mapping`);
  const entry = clouds[opts.cloud];
  if (!isMapping(entry)) {
    const known = Object.keys(clouds).join(', ') || 'none';
    throw new CloudsYamlError(`${where}: cloud "${opts.cloud}" not found (clouds: ${known})`);
  }
  const statsd = globalStatsd(opts.env ?? process.env, doc.metrics);
  return buildCloud(opts.cloud, entry, opts.region, { where, sourceFile, secureFile, statsd });
}

/** openstacksdk's loader: STATSD_HOST / STATSD_PORT / STATSD_PREFIX over the top-level `metrics.statsd`. */
function globalStatsd(env: NodeJS.ProcessEnv, metrics: unknown): Mapping {
  const top = statsdOf(metrics) ?? {};
  const first = (...v: unknown[]): unknown => v.find((x) => Boolean(x));
  return {
    host: first(env.STATSD_HOST, top.host),
    // A number as openstacksdk's int(); anything else is kept for ApiMetrics to refuse with a warning.
    port: first(env.STATSD_PORT && /^\s*\d+\s*$/.test(env.STATSD_PORT) ? Number(env.STATSD_PORT) : env.STATSD_PORT, top.port),
    prefix: first(env.STATSD_PREFIX, top.prefix),
  };
}

/** The cloud's own `metrics.statsd` keys override the global ones (openstacksdk's get_one). */
function cloudStatsd(global: Mapping, metrics: unknown): CloudStatsdSettings | undefined {
  const s = { ...global, ...statsdOf(metrics) };
  const out: CloudStatsdSettings = {
    host: optStr(s.host),
    port: typeof s.port === 'number' || typeof s.port === 'string' ? s.port : undefined,
    prefix: optStr(s.prefix),
  };
  return out.host || out.port || out.prefix ? out : undefined;
}

function statsdOf(metrics: unknown): Mapping | undefined {
  return isMapping(metrics) && isMapping(metrics.statsd) ? metrics.statsd : undefined;
}

interface Origin {
  where: string;
  sourceFile: string;
  secureFile?: string;
  statsd: Mapping;
}

function buildCloud(name: string, entry: Mapping, wantRegion: string | undefined, origin: Origin): CloudConfig {
  const fail = (msg: string): never => {
    throw new CloudsYamlError(`${origin.where}: cloud "${name}": ${msg}`);
  };
  const { region, values } = selectRegion(entry, wantRegion, fail);
  const merged = values ? deepMerge(entry, values) : entry;
  if (merged.profile !== undefined) fail('vendor "profile" is not supported; spell out auth_url and the rest');

  const iface = str(merged.interface ?? merged.endpoint_type ?? 'public');
  if (iface !== 'public' && iface !== 'internal' && iface !== 'admin') fail(`interface "${iface}" is not public, internal or admin`);
  const identityVersion = merged.identity_api_version;
  if (identityVersion !== undefined && !String(identityVersion).startsWith('3')) {
    fail(`identity_api_version ${String(identityVersion)} is not supported (Keystone v3 only)`);
  }
  return {
    cloud: name,
    region,
    auth: buildAuth(merged, fail),
    interface: iface as EndpointInterface,
    imageFormat: str(merged.image_format ?? 'qcow2'),
    verify: merged.verify === undefined ? true : merged.verify !== false && merged.verify !== 'false',
    cacert: merged.cacert === undefined ? undefined : str(merged.cacert),
    private: merged.private === true || merged.private === 'true',
    networks: buildNetworks(merged.networks, fail),
    floatingIpSource: merged.floating_ip_source === undefined ? 'neutron' : String(merged.floating_ip_source).toLowerCase() === 'none' ? null : str(merged.floating_ip_source),
    sourceFile: origin.sourceFile,
    secureFile: origin.secureFile,
    statsd: cloudStatsd(origin.statsd, merged.metrics),
  };
}

/** openstacksdk's get_boolean: true, or a string "true" in any case. */
const bool = (v: unknown): boolean => v === true || (typeof v === 'string' && v.toLowerCase() === 'true');

function buildNetworks(value: unknown, fail: (m: string) => never): CloudNetwork[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail('"networks" must be a list');
  return (value as unknown[]).map((n) => {
    if (!isMapping(n) || typeof n.name !== 'string') return fail('each "networks" entry needs a "name"');
    const external = bool(n.routes_externally);
    return {
      name: n.name,
      routesIpv4Externally: n.routes_ipv4_externally === undefined ? external : bool(n.routes_ipv4_externally),
      natDestination: bool(n.nat_destination),
      natSource: bool(n.nat_source),
    };
  });
}

/** `region-name` must be one of `regions:` when the cloud lists them; a region entry may carry `values`. */
function selectRegion(
  entry: Mapping,
  want: string | undefined,
  fail: (m: string) => never,
): { region?: string; values?: Mapping } {
  const list = entry.regions;
  if (list === undefined) return { region: want ?? optStr(entry.region_name) };
  if (!Array.isArray(list)) fail('"regions" must be a list');
  const regions = (list as unknown[]).map((r) => {
    if (typeof r === 'string') return { name: r };
    if (isMapping(r) && typeof r.name === 'string') return { name: r.name, values: isMapping(r.values) ? r.values : undefined };
    return fail('each "regions" entry must be a name or {name, values}');
  });
  const name = want ?? optStr(entry.region_name) ?? regions[0]?.name;
  if (name === undefined) return {};
  const found = regions.find((r) => r.name === name);
  if (!found) fail(`region "${name}" is not one of its regions (${regions.map((r) => r.name).join(', ')})`);
  return { region: name, values: found?.values };
}

function buildAuth(c: Mapping, fail: (m: string) => never): CloudAuth {
  const a = isMapping(c.auth) ? c.auth : fail('no "auth" mapping');
  const type = str(c.auth_type ?? 'password');
  const authType: AuthType | undefined =
    type === 'password' || type === 'v3password' ? 'password' : type === 'v3applicationcredential' ? 'v3applicationcredential' : undefined;
  if (!authType) return fail(`auth_type "${type}" is not supported (password, v3password, v3applicationcredential)`);
  const authUrl = optStr(a.auth_url) ?? fail('auth.auth_url is missing');
  // pkgcloud appends /v3/auth/tokens itself; a versioned auth_url would give /v3/v3/auth/tokens.
  const root = authUrl.replace(/\/+$/, '').replace(/\/v(3|2\.0)$/, '');
  const domain = optStr(a.domain_name);
  const domainId = optStr(a.domain_id);
  const fields = {
    type: authType,
    authUrl: root,
    username: optStr(a.username),
    userId: optStr(a.user_id),
    // os-client-config: domain_name/domain_id fill in the user and project domains when those are unset.
    userDomainName: optStr(a.user_domain_name) ?? domain,
    userDomainId: optStr(a.user_domain_id) ?? domainId,
    projectName: optStr(a.project_name ?? a.tenant_name),
    projectId: optStr(a.project_id ?? a.tenant_id),
    projectDomainName: optStr(a.project_domain_name) ?? domain,
    projectDomainId: optStr(a.project_domain_id) ?? domainId,
    applicationCredentialId: optStr(a.application_credential_id),
    applicationCredentialName: optStr(a.application_credential_name),
  };
  if (authType === 'v3applicationcredential') {
    const secret = optStr(a.application_credential_secret) ?? fail('auth.application_credential_secret is missing');
    if (!fields.applicationCredentialId && !(fields.applicationCredentialName && (fields.username || fields.userId))) {
      fail('application credentials need auth.application_credential_id (or _name with username/user_id)');
    }
    return new CloudAuth(fields, secret);
  }
  const password = optStr(a.password) ?? fail('auth.password is missing (put it in secure.yaml)');
  if (!fields.username && !fields.userId) fail('auth.username (or user_id) is missing');
  if (!fields.projectName && !fields.projectId) fail('auth.project_name (or project_id) is missing: Nodepool needs a project-scoped token');
  return new CloudAuth(fields, password);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : String(v);
}

function optStr(v: unknown): string | undefined {
  return v === undefined || v === null || v === '' ? undefined : str(v);
}
