// The OpenStack driver: Nodepool's openstack schema and defaults, servers made through Nova,
// images uploaded to Glance, and a cleanup for what Nodepool's CleanupWorker finds.
import { loadCloud } from '../../lib/cloud/clouds-yaml';
import { type CloudProviderConfig } from '../../lib/config/types';
import { type Driver } from '../driver';
import { openStackProviderFromConfig } from './adapter/from-config';
import { buildOpenStackProvider } from './build';
import { checkOpenStackReferences } from './references';
import { cloudProvider, type RawOpenStackProvider } from './schema';

export const openstackDriver: Driver<RawOpenStackProvider, CloudProviderConfig> = {
  capabilities: { launches: true, cloud: true, imageUploads: true, cleanup: true },
  schema: cloudProvider,
  checkReferences: checkOpenStackReferences,
  build: buildOpenStackProvider,
  adapter: (cfg, search) => openStackProviderFromConfig(cfg, search),
  // Nodepool builds each provider's clouds.yaml `image_format` (openstacksdk's default: qcow2).
  imageFormat: (cfg, search) => loadCloud({ ...search, cloud: cfg.cloud, region: cfg.regionName ?? undefined }).imageFormat,
};
