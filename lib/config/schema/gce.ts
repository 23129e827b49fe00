// GCE provider schema: nodepool/driver/gce/config.py getSchema() of Nodepool 11. We do not run
// this driver; the schema only catches typos and wrong types.
import { z } from 'zod';
import { bool, commonPoolKeys, commonProviderKeys, int, str } from './common';

const label = z.strictObject({
  name: str,
  'cloud-image': str,
  'instance-type': str,
  'volume-type': str.optional(),
  'volume-size': int.optional(),
});

const pool = z.strictObject({
  ...commonPoolKeys,
  labels: z.array(label),
  'use-internal-ip': bool.optional(),
  // Not in Nodepool's validator, but its daemon reads it.
  'host-key-checking': bool.optional(),
});

// Nodepool's schema does not require a cloud-image `name` (its daemon does).
const cloudImage = z.strictObject({
  name: str.optional(),
  'connection-type': str.optional(),
  'connection-port': int.optional(),
  'shell-type': str.optional(),
  'image-id': str.optional(),
  'image-project': str.optional(),
  'image-family': str.optional(),
  username: str.optional(),
  key: str.optional(),
  'python-path': str.optional(),
});

export const gceProvider = z.strictObject({
  ...commonProviderKeys,
  pools: z.array(pool),
  region: str,
  project: str,
  zone: str,
  'cloud-images': z.array(cloudImage).optional(),
  'boot-timeout': int.optional(),
  'launch-timeout': int.optional(),
  'launch-retries': int.optional(),
  'rate-limit': int.optional(),
  // Not in Nodepool's validator, but its daemon reads it.
  rate: z.number().optional(),
});
