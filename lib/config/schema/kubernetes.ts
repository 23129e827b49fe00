// Kubernetes provider schema: nodepool/driver/kubernetes/config.py getSchema() of Nodepool 11.
// We do not run this driver; the schema only catches typos and wrong types. The pod label keys
// and pool keys are shared with the two OpenShift drivers.
import { z } from 'zod';
import { bool, commonPoolKeys, commonProviderKeys, int, mapping, str } from './common';
import { anyList, float, hasKey, intMap, shapeOf } from './voluptuous';

const envVar = z.strictObject({ name: str, value: str });

/** Keys of a label whose pod nodepool builds (k8s_label_from_nodepool), `name` and `type` aside. */
export const podLabelKeys = {
  image: str.optional(),
  'image-pull': str.optional(),
  'python-path': str.optional(),
  'shell-type': str.optional(),
  cpu: int.optional(),
  memory: int.optional(),
  storage: int.optional(),
  'cpu-limit': int.optional(),
  'memory-limit': int.optional(),
  'storage-limit': int.optional(),
  gpu: float.optional(),
  'gpu-resource': str.optional(),
  env: z.array(envVar).optional(),
  'node-selector': mapping.optional(),
  privileged: bool.optional(),
  'scheduler-name': str.optional(),
  volumes: anyList.optional(),
  'volume-mounts': anyList.optional(),
  labels: mapping.optional(),
  'dynamic-labels': mapping.optional(),
  annotations: mapping.optional(),
  'extra-resources': intMap.optional(),
};

/** Keys of a label that brings its own pod `spec` (k8s_label_from_user), `name` and `type` aside. */
export const specLabelKeys = {
  spec: mapping,
  labels: mapping.optional(),
  'dynamic-labels': mapping.optional(),
  annotations: mapping.optional(),
};

/** Pool keys of all three container drivers, `labels` aside. */
export const containerPoolKeys = {
  ...commonPoolKeys,
  'max-cores': int.optional(),
  'max-ram': int.optional(),
  'max-resources': intMap.optional(),
  'default-label-cpu': int.optional(),
  'default-label-memory': int.optional(),
  'default-label-storage': int.optional(),
  'default-label-cpu-limit': int.optional(),
  'default-label-memory-limit': int.optional(),
  'default-label-storage-limit': int.optional(),
  'default-label-extra-resources': intMap.optional(),
};

const podLabel = z.strictObject({ name: str, type: str, ...podLabelKeys });
const specLabel = z.strictObject({ name: str, type: str, ...specLabelKeys });

// v.Any(from_nodepool, from_user): only the second has `spec`, so a label with one is checked
// against that shape (a `spec` label with an `image` is an error, Nodepool k8s_spec_duplicate).
const label = shapeOf((v) => (hasKey(v, 'spec') ? specLabel : podLabel));

const pool = z.strictObject({ ...containerPoolKeys, labels: z.array(label) });

export const kubernetesProvider = z.strictObject({
  ...commonProviderKeys,
  pools: z.array(pool),
  context: str.optional(),
  'launch-retries': int.optional(),
  'max-servers': int.optional(),
  'max-cores': int.optional(),
  'max-ram': int.optional(),
  'max-resources': intMap.optional(),
});
