// Building blocks shared by the driver schemas: voluptuous' `int`, `str`, `bool`, `dict`, and the
// common provider/pool keys from nodepool/driver/__init__.py (getCommonSchemaDict).
import { z } from 'zod';

export const str = z.string();
export const int = z.int({ error: 'expected an integer' });
export const bool = z.boolean();
/** voluptuous `dict`: any mapping. */
export const mapping = z.record(z.string(), z.unknown());
export const strList = z.array(z.string());
/** voluptuous `v.Any(str, [str])` (static node labels and host-key). */
export const strOrList = z.union([z.string(), z.array(z.string())]);
/** voluptuous `v.Coerce(float)` (provider `rate`): a number or a numeric string. */
export const coercedFloat = z.union([
  z.number(),
  z.string().regex(/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/, 'expected a number'),
]);

/** ProviderConfig.getCommonSchemaDict(): keys every driver accepts. */
export const commonProviderKeys = {
  name: str,
  driver: str.optional(),
  'max-concurrency': int.optional(),
  priority: int.optional(),
};

/** ConfigPool.getCommonSchemaDict(); `name` is required because the daemons index pools by it. */
export const commonPoolKeys = {
  name: str,
  'max-servers': int.optional(),
  'node-attributes': mapping.optional(),
  priority: int.optional(),
};
