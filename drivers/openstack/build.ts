// Raw OpenStack provider → model, with the defaults from nodepool/driver/openstack/config.py.
import { type RawOpenStackPool, type RawOpenStackProvider } from '../../lib/config/schema';
import { commonProviderFields, effectivePriority, limit } from '../../lib/config/build-common';
import { type DiskImage, type CloudPoolConfig, type CloudProviderConfig, type ProviderCloudImage, type ProviderDiskImage } from '../../lib/config/types';

/** connection-port default by connection-type (OpenStack only; static always uses 22). */
export function defaultPort(connectionType: string): number {
  return connectionType === 'winrm' ? 5986 : 22;
}

export function buildOpenStackProvider(raw: RawOpenStackProvider, diskimages: Record<string, Omit<DiskImage, 'providers'>>): CloudProviderConfig {
  const providerDiskImages: Record<string, ProviderDiskImage> = {};
  for (const img of raw.diskimages ?? []) {
    const top = diskimages[img.name];
    const connectionType = img['connection-type'] ?? 'ssh';
    providerDiskImages[img.name] = {
      name: img.name,
      pause: img.pause ?? false,
      configDrive: img['config-drive'] ?? null,
      connectionType,
      connectionPort: img['connection-port'] ?? defaultPort(connectionType),
      meta: { ...(img.meta ?? {}) },
      username: top?.username ?? 'zuul',
      pythonPath: top?.pythonPath ?? 'auto',
      shellType: top?.shellType ?? null,
    };
  }
  const cloudImages: Record<string, ProviderCloudImage> = {};
  for (const img of raw['cloud-images'] ?? []) {
    const connectionType = img['connection-type'] ?? 'ssh';
    cloudImages[img.name] = {
      name: img.name,
      configDrive: img['config-drive'] ?? null,
      imageId: img['image-id'] ?? null,
      imageName: img['image-name'] ?? null,
      externalName: img['image-id'] ?? img['image-name'] ?? img.name,
      username: img.username ?? null,
      pythonPath: img['python-path'] ?? 'auto',
      shellType: img['shell-type'] ?? null,
      connectionType,
      connectionPort: img['connection-port'] ?? defaultPort(connectionType),
    };
  }
  const pools: Record<string, CloudPoolConfig> = {};
  for (const pool of raw.pools ?? []) pools[pool.name] = buildPool(pool, raw.priority);

  return {
    ...commonProviderFields(raw),
    driver: 'openstack',
    supported: true,
    cloud: raw.cloud,
    regionName: raw['region-name'] ?? null,
    bootTimeout: raw['boot-timeout'] ?? 60,
    launchTimeout: raw['launch-timeout'] ?? 3600,
    launchRetries: raw['launch-retries'] ?? 3,
    rate: raw.rate === undefined ? 1.0 : Number(raw.rate),
    imageUploadTimeout: raw['image-upload-timeout'] ?? 3600,
    imageNameFormat: raw['image-name-format'] ?? '{image_name}-{timestamp}',
    hostnameFormat: raw['hostname-format'] ?? null,
    cleanFloatingIps: raw['clean-floating-ips'] ?? false,
    portCleanupInterval: raw['port-cleanup-interval'] ?? 600,
    postUploadHook: raw['post-upload-hook'] ?? null,
    diskimages: providerDiskImages,
    cloudImages,
    pools,
  };
}

function buildPool(pool: RawOpenStackPool, providerPriority: number | undefined): CloudPoolConfig {
  const networks = pool.networks ?? [];
  const hostKeyChecking = pool['host-key-checking'] ?? true;
  const labels: CloudPoolConfig['labels'] = {};
  for (const l of pool.labels ?? []) {
    labels[l.name] = {
      name: l.name,
      diskimage: l.diskimage ?? null,
      cloudImage: l['cloud-image'] ?? null,
      minRam: l['min-ram'] ?? 0,
      flavorName: l['flavor-name'] ?? null,
      keyName: l['key-name'] ?? null,
      consoleLog: l['console-log'] ?? false,
      bootFromVolume: l['boot-from-volume'] ?? false,
      volumeSize: l['volume-size'] ?? 50,
      instanceProperties: { ...(l['instance-properties'] ?? {}) },
      dynamicInstanceProperties: { ...(l['dynamic-instance-properties'] ?? {}) },
      userdata: l.userdata ?? null,
      networks: l.networks ?? networks,
      hostKeyChecking: l['host-key-checking'] ?? hostKeyChecking,
    };
  }
  return {
    name: pool.name,
    maxServers: limit(pool['max-servers']),
    nodeAttributes: pool['node-attributes'] ?? null,
    priority: effectivePriority(pool.priority, providerPriority),
    supportedLabels: Object.keys(labels),
    maxCores: limit(pool['max-cores']),
    maxRam: limit(pool['max-ram']),
    maxVolumes: limit(pool['max-volumes']),
    maxVolumeGb: limit(pool['max-volume-gb']),
    ignoreProviderQuota: pool['ignore-provider-quota'] ?? false,
    availabilityZones: pool['availability-zones'] ?? null,
    networks,
    securityGroups: pool['security-groups'] ?? [],
    autoFloatingIp: pool['auto-floating-ip'] ?? true,
    hostKeyChecking,
    labels,
  };
}
