// OpenStack provider schema: nodepool/driver/openstack/config.py getSchema() of [2024], plus the
// [2019] keys (`hostname-format`) so old configs still load.
import { z } from 'zod';
import { bool, coercedFloat, commonPoolKeys, commonProviderKeys, int, mapping, str, strList } from '../../lib/config/schema/common';

const providerDiskImage = z.strictObject({
  name: str,
  pause: bool.optional(),
  meta: mapping.optional(),
  'config-drive': bool.optional(),
  'connection-type': str.optional(),
  'connection-port': int.optional(),
});

const providerCloudImage = z
  .strictObject({
    name: str,
    'config-drive': bool.optional(),
    'connection-type': str.optional(),
    'connection-port': int.optional(),
    'image-id': str.optional(),
    'image-name': str.optional(),
    username: str.optional(),
    'python-path': str.optional(),
    'shell-type': str.optional(),
  })
  .superRefine((img, ctx) => {
    // voluptuous v.Exclusive('image-id'/'image-name', 'cloud-image-name-or-id')
    if (img['image-id'] !== undefined && img['image-name'] !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['image-name'],
        message: `cloud-image ${JSON.stringify(img.name)} has both image-id and image-name; they are mutually exclusive`,
      });
    }
  });

const poolLabel = z
  .strictObject({
    name: str,
    diskimage: str.optional(),
    'cloud-image': str.optional(),
    'min-ram': int.optional(),
    'flavor-name': str.optional(),
    'key-name': str.optional(),
    'console-log': bool.optional(),
    'boot-from-volume': bool.optional(),
    'volume-size': int.optional(),
    'instance-properties': mapping.optional(),
    'dynamic-instance-properties': mapping.optional(),
    userdata: str.optional(),
    networks: strList.optional(),
    'host-key-checking': bool.optional(),
  })
  .superRefine((label, ctx) => {
    // v.All(main, v.Any(min-ram, flavor-name), v.Any(diskimage, cloud-image)) + v.Exclusive
    const hasDisk = label.diskimage !== undefined;
    const hasCloud = label['cloud-image'] !== undefined;
    const name = JSON.stringify(label.name);
    if (hasDisk && hasCloud) {
      ctx.addIssue({ code: 'custom', path: ['cloud-image'], message: `label ${name} has both diskimage and cloud-image; give exactly one` });
    } else if (!hasDisk && !hasCloud) {
      ctx.addIssue({ code: 'custom', path: [], message: `label ${name} needs one of diskimage or cloud-image` });
    }
    if (label['min-ram'] === undefined && label['flavor-name'] === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: `label ${name} needs at least one of min-ram or flavor-name` });
    }
  });

const pool = z.strictObject({
  ...commonPoolKeys,
  networks: strList.optional(),
  'auto-floating-ip': bool.optional(),
  'host-key-checking': bool.optional(),
  'ignore-provider-quota': bool.optional(),
  'max-cores': int.optional(),
  'max-ram': int.optional(),
  'max-volumes': int.optional(),
  'max-volume-gb': int.optional(),
  labels: z.array(poolLabel).optional(),
  'availability-zones': strList.optional(),
  'security-groups': strList.optional(),
});

export const cloudProvider = z.strictObject({
  ...commonProviderKeys,
  'region-name': str.optional(),
  cloud: str,
  'boot-timeout': int.optional(),
  'image-upload-timeout': int.optional(),
  'launch-timeout': int.optional(),
  'launch-retries': int.optional(),
  /** Deprecated; accepted and ignored (both eras). */
  'nodepool-id': str.optional(),
  rate: coercedFloat.optional(),
  'image-name-format': str.optional(),
  /** [2019] only; [2024] names servers np<id>. */
  'hostname-format': str.optional(),
  'clean-floating-ips': bool.optional(),
  'port-cleanup-interval': int.optional(),
  pools: z.array(pool).optional(),
  diskimages: z.array(providerDiskImage).optional(),
  'cloud-images': z.array(providerCloudImage).optional(),
  'post-upload-hook': str.optional(),
});

export type RawOpenStackProvider = z.infer<typeof cloudProvider>;
export type RawOpenStackPool = z.infer<typeof pool>;
export type RawOpenStackPoolLabel = z.infer<typeof poolLabel>;
