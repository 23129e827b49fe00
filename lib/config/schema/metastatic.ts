// Metastatic provider schema: nodepool/driver/metastatic/config.py getSchema() of Nodepool 11.
// We do not run this driver; the schema only catches typos and wrong types.
import { z } from 'zod';
import { bool, commonPoolKeys, commonProviderKeys, int, str } from './common';

const label = z.strictObject({
  name: str,
  'backing-label': str,
  'max-parallel-jobs': int.optional(),
  'grace-time': int.optional(),
  'min-retention-time': int.optional(),
  'max-age': int.optional(),
  'host-key-checking': bool.optional(),
});

const pool = z.strictObject({
  ...commonPoolKeys,
  labels: z.array(label),
  'host-key-checking': bool.optional(),
});

export const metastaticProvider = z.strictObject({
  ...commonProviderKeys,
  pools: z.array(pool),
  'boot-timeout': int.optional(),
  'launch-timeout': int.optional(),
  'launch-retries': int.optional(),
  // Not in Nodepool's validator, but its daemon reads it.
  rate: z.number().optional(),
});
