// Top-level schema: nodepool/cmd/config_validator.py getSchema() ([2024] ∪ [2019]). Providers are
// checked one by one with their driver's schema (see providers.ts), so here they are just a list.
import { z } from 'zod';
import { bool, int, mapping, str, strList } from './common';

const label = z.strictObject({
  // The validator does not mark it required, but the daemons index labels by it (KeyError).
  name: str,
  'min-ready': int.optional(),
  'max-ready-age': int.optional(),
});

const diskimage = z.strictObject({
  name: str,
  abstract: bool.optional(),
  'dib-cmd': str.optional(),
  pause: bool.optional(),
  elements: strList.optional(),
  formats: strList.optional(),
  'keep-formats': strList.optional(),
  'delete-after-upload': bool.optional(),
  parent: str.optional(),
  release: z.union([str, z.number()]).optional(),
  'rebuild-age': int.optional(),
  'env-vars': z.record(z.string(), z.string()).optional(),
  username: str.optional(),
  'python-path': str.optional(),
  // Honoured by the daemons but missing from Nodepool's validator; we accept it (spec §1.15).
  'shell-type': str.optional(),
  'build-timeout': int.optional(),
  metadata: mapping.optional(),
});

export const zookeeperServer = z.strictObject({
  host: str,
  port: int.optional(),
  chroot: str.optional(),
});

export const zookeeperTls = z.strictObject({ cert: str, key: str, ca: str });

const tenantResourceLimit = z
  .object({
    'tenant-name': str,
    'max-cores': int.optional(),
    'max-ram': int.optional(),
    'max-servers': int.optional(),
    'max-volumes': int.optional(),
    'max-volume-gb': int.optional(),
  })
  // `str: int`: driver-specific resources such as AWS quota codes.
  .catchall(int);

// A bare `labels:` (null) is skipped by the daemons (`if not labels_cfg: return`), so accept it.
const optionalList = <T extends z.ZodType>(item: T) => z.array(item).nullish();

export const topLevel = z.strictObject({
  webapp: z.strictObject({ port: int.optional(), listen_address: str.optional() }).nullish(),
  'elements-dir': str.optional(),
  'images-dir': str.optional(),
  'build-log-dir': str.optional(),
  'build-log-retention': int.optional(),
  'zookeeper-servers': optionalList(zookeeperServer),
  'zookeeper-tls': zookeeperTls.optional(),
  // voluptuous says `float`; the daemon does float(value), so an int like 30 is fine too.
  'zookeeper-timeout': z.number().optional(),
  providers: optionalList(z.unknown()),
  labels: optionalList(label),
  diskimages: optionalList(diskimage),
  'max-hold-age': int.optional(),
  'tenant-resource-limits': optionalList(tenantResourceLimit),
});

export type RawTopLevel = z.infer<typeof topLevel>;
export type RawDiskImage = z.infer<typeof diskimage>;
export type RawLabel = z.infer<typeof label>;
export type RawZooKeeperServer = z.infer<typeof zookeeperServer>;
export type RawZooKeeperTls = z.infer<typeof zookeeperTls>;
export type RawTenantResourceLimit = z.infer<typeof tenantResourceLimit>;
