// A provider from its nodepool.yaml entry: `cloud` + `region-name` select the clouds.yaml entry
// (os-client-config search), `rate` spaces the API calls. What the worker's factory calls.
import { loadCloud } from '../../../lib/cloud/clouds-yaml';
import { type SearchEnv } from '../../../lib/cloud/search-path';
import { type CloudProviderConfig } from '../../../lib/config/types';
import { OpenStackProvider, type OpenStackProviderOptions } from './index';

export type ProviderTuning = Partial<Omit<OpenStackProviderOptions, 'name' | 'cloud' | 'rate'>> & SearchEnv;

export function openStackProviderFromConfig(
  p: Pick<CloudProviderConfig, 'name' | 'cloud' | 'regionName' | 'rate'>,
  tuning: ProviderTuning = {},
): OpenStackProvider {
  const { env, cwd, home, ...rest } = tuning;
  const cloud = loadCloud({ cloud: p.cloud, region: p.regionName ?? undefined, env, cwd, home });
  return new OpenStackProvider({ ...rest, name: p.name, cloud, rate: p.rate });
}
