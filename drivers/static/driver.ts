// The static driver: configured hosts handed out as READY slots (drivers/static/README.md); no
// adapter, nothing launched, no images, no cleanup.
import { type StaticProvider } from '../../lib/config/types';
import { type Driver } from '../driver';
import { buildStaticProvider } from './build';
import { checkStaticReferences } from './references';
import { type RawStaticProvider, staticProvider } from './schema';

export const staticDriver: Driver<RawStaticProvider, StaticProvider> = {
  capabilities: { launches: true, cloud: false, imageUploads: false, cleanup: false },
  schema: staticProvider,
  checkReferences: checkStaticReferences,
  build: buildStaticProvider,
};
