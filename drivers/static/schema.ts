// Static provider schema: nodepool/driver/static/config.py getSchema(), plus `ssh-port`, which the
// code still reads for backward compatibility although the schema dropped it.
import { z } from 'zod';
import { bool, commonPoolKeys, commonProviderKeys, int, str, strOrList } from '../../lib/config/schema/common';

const staticNode = z.strictObject({
  name: str,
  labels: strOrList,
  username: str.optional(),
  timeout: int.optional(),
  'host-key-checking': bool.optional(),
  'host-key': strOrList.optional(),
  'connection-port': int.optional(),
  /** Legacy spelling of connection-port. */
  'ssh-port': int.optional(),
  'connection-type': str.optional(),
  'shell-type': str.optional(),
  'max-parallel-jobs': int.optional(),
  'python-path': str.optional(),
});

const staticPool = z.strictObject({
  ...commonPoolKeys,
  nodes: z.array(staticNode).optional(),
});

/** Strict: a `cloud` key here is an error (Nodepool test static_error.yaml). */
export const staticProvider = z.strictObject({
  ...commonProviderKeys,
  pools: z.array(staticPool).optional(),
});

export type RawStaticProvider = z.infer<typeof staticProvider>;
export type RawStaticNode = z.infer<typeof staticNode>;
