// OpenShift provider schema: nodepool/driver/openshift/config.py getSchema() of Nodepool 11
// (the kubernetes one plus `image-pull-secrets`, `max-projects` and a required `context`).
import { z } from 'zod';
import { commonProviderKeys, int, str } from './common';
import { containerPoolKeys, podLabelKeys, specLabelKeys } from './kubernetes';
import { anyList, hasKey, intMap, shapeOf } from './voluptuous';

const podLabel = z.strictObject({ name: str, type: str, ...podLabelKeys, 'image-pull-secrets': anyList.optional() });
const specLabel = z.strictObject({ name: str, type: str, ...specLabelKeys });
const label = shapeOf((v) => (hasKey(v, 'spec') ? specLabel : podLabel));

const pool = z.strictObject({ ...containerPoolKeys, labels: z.array(label) });

export const openshiftProvider = z.strictObject({
  ...commonProviderKeys,
  pools: z.array(pool),
  context: str,
  'launch-retries': int.optional(),
  'max-projects': int.optional(),
  'max-cores': int.optional(),
  'max-ram': int.optional(),
  'max-resources': intMap.optional(),
  // Not in Nodepool's validator, but its daemon reads it (when max-projects is unset).
  'max-servers': int.optional(),
});
