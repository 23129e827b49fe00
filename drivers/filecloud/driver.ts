// filecloud: a cloud written for the tests, whose servers and images are JSON files in a
// directory, so a test and the launcher process it spawned see the same cloud. Its config is
// OpenStack's schema (as Nodepool's own `fake` driver's is) with `cloud:` naming the directory.
// It exists to prove the driver boundary: launcher and cleanup tests run against it, and it is
// only known with NODEPOOL_TEST_DRIVERS=1.
import { type CloudProviderConfig } from '../../lib/config/types';
import { type Driver } from '../driver';
import { buildOpenStackProvider } from '../openstack/build';
import { checkOpenStackReferences } from '../openstack/references';
import { cloudProvider, type RawOpenStackProvider } from '../openstack/schema';
import { FileCloud } from './adapter';

export const fileCloudDriver: Driver<RawOpenStackProvider, CloudProviderConfig> = {
  testOnly: true,
  capabilities: { launches: true, cloud: true, imageUploads: true, cleanup: true },
  schema: cloudProvider,
  checkReferences: checkOpenStackReferences,
  build: (raw, diskimages) => ({ ...buildOpenStackProvider(raw, diskimages), driver: 'filecloud' }),
  adapter: (cfg) => new FileCloud({ name: cfg.name, stateDir: cfg.cloud }),
  imageFormat: () => 'raw',
};
