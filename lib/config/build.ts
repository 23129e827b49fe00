// Validated raw config (+ secure file) → the normalised NodepoolConfig, applying Nodepool's code
// defaults (config.py loadConfig and the driver configs).
import { commonProviderFields } from './build-common';
import { driverNamed, takesImageUploads } from '../../drivers/registry';
import { resolveDiskImages } from './inherit';
import { type RawConfig, type RawProvider, type RawSecureFile, type RawTenantResourceLimit } from './schema';
import { type DiskImage, type Label, type NodepoolConfig, type ProviderConfig, type TenantLimits } from './types';
import { buildZooKeeperServers, buildZooKeeperTls, zooKeeperHosts } from './zookeeper';

export function buildConfig(raw: RawConfig, secure?: RawSecureFile): NodepoolConfig {
  const resolved = resolveDiskImages(raw.diskimages ?? []);
  const providers: Record<string, ProviderConfig> = {};
  for (const p of raw.providers) providers[p.raw.name] = buildProvider(p, resolved);

  const diskimages: Record<string, DiskImage> = {};
  for (const [name, d] of Object.entries(resolved)) {
    const users = Object.values(providers).filter((p) => takesImageUploads(p) && name in p.diskimages);
    diskimages[name] = { ...d, providers: users.map((p) => p.name) };
  }

  // Secure file: non-empty zookeeper-servers replace the main list; zookeeper-tls overrides.
  const tls = buildZooKeeperTls(secure?.['zookeeper-tls'] ?? raw['zookeeper-tls']);
  const secureServers = secure?.['zookeeper-servers'] ?? [];
  const zookeeperServers = buildZooKeeperServers(secureServers.length > 0 ? secureServers : (raw['zookeeper-servers'] ?? []), tls);

  const maxHoldAge = raw['max-hold-age'];
  return {
    webapp: { port: raw.webapp?.port ?? 8005, listenAddress: raw.webapp?.listen_address ?? '0.0.0.0' },
    zookeeperServers,
    zookeeperHosts: zooKeeperHosts(zookeeperServers),
    zookeeperTls: tls,
    zookeeperTimeout: raw['zookeeper-timeout'] ?? 10.0,
    elementsDir: raw['elements-dir'] ?? null,
    imagesDir: raw['images-dir'] ?? null,
    buildLogDir: raw['build-log-dir'] ?? '/var/log/nodepool/builds',
    buildLogRetention: raw['build-log-retention'] ?? 7,
    maxHoldAge: maxHoldAge === undefined || maxHoldAge <= 0 ? null : maxHoldAge,
    labels: buildLabels(raw, providers),
    diskimages,
    providers,
    tenantResourceLimits: buildTenantLimits(raw['tenant-resource-limits'] ?? []),
  };
}

function buildProvider(p: RawProvider, diskimages: ReturnType<typeof resolveDiskImages>): ProviderConfig {
  if (!p.unrun) {
    const driver = driverNamed(p.driver);
    if (!driver) throw new Error(`provider ${p.raw.name}: no driver ${p.driver}`); // the schema check resolved it
    return driver.build(p.raw, diskimages);
  }
  return {
    ...commonProviderFields(p.raw),
    driver: p.driver,
    supported: false,
    raw: { ...p.raw },
  };
}

function buildLabels(raw: RawConfig, providers: Record<string, ProviderConfig>): Record<string, Label> {
  const labels: Record<string, Label> = {};
  for (const l of raw.labels ?? []) {
    labels[l.name] = { name: l.name, minReady: l['min-ready'] ?? 0, maxReadyAge: l['max-ready-age'] ?? 0, pools: [] };
  }
  for (const prov of Object.values(providers)) {
    if (!prov.supported) continue;
    for (const pool of Object.values(prov.pools)) {
      for (const name of pool.supportedLabels) labels[name]?.pools.push({ provider: prov.name, pool: pool.name });
    }
  }
  return labels;
}

/** config.py setTenantResourceLimits: max-* renamed to resource names; other int keys kept. */
function buildTenantLimits(raw: readonly RawTenantResourceLimit[]): Record<string, TenantLimits> {
  const out: Record<string, TenantLimits> = {};
  for (const entry of raw) {
    const { 'tenant-name': tenant, 'max-cores': cores, 'max-servers': instances, 'max-ram': ram, ...rest } = entry;
    const limits: TenantLimits = { cores: cores ?? null, instances: instances ?? null, ram: ram ?? null };
    if ('max-volumes' in rest) limits.volumes = rest['max-volumes'] ?? null;
    if ('max-volume-gb' in rest) limits['volume-gb'] = rest['max-volume-gb'] ?? null;
    for (const [k, v] of Object.entries(rest)) {
      if (k !== 'max-volumes' && k !== 'max-volume-gb' && typeof v === 'number') limits[k] = v;
    }
    out[tenant] = limits;
  }
  return out;
}
