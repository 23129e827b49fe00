// OpenShift pods provider schema: nodepool/driver/openshiftpods/config.py getSchema() of
// Nodepool 11. Labels have no `type` (always a pod); a label without `spec` needs an `image`.
import { z } from 'zod';
import { commonProviderKeys, int, str } from './common';
import { containerPoolKeys, podLabelKeys, specLabelKeys } from './kubernetes';
import { anyList, hasKey, intMap, shapeOf } from './voluptuous';

const podLabel = z.strictObject({ name: str, ...podLabelKeys, image: str, 'image-pull-secrets': anyList.optional() });
const specLabel = z.strictObject({ name: str, ...specLabelKeys });
const label = shapeOf((v) => (hasKey(v, 'spec') ? specLabel : podLabel));

const pool = z.strictObject({ ...containerPoolKeys, labels: z.array(label) });

export const openshiftpodsProvider = z.strictObject({
  ...commonProviderKeys,
  pools: z.array(pool),
  context: str,
  'launch-retries': int.optional(),
  'max-pods': int.optional(),
  'max-cores': int.optional(),
  'max-ram': int.optional(),
  'max-resources': intMap.optional(),
  // Not in Nodepool's validator, but its daemon reads them (max-pods it does not).
  'max-projects': int.optional(),
  'max-servers': int.optional(),
});
