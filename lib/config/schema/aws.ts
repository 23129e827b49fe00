// AWS provider schema: nodepool/driver/aws/config.py getSchema() of Nodepool 11. We do not run
// this driver; the schema only catches typos and wrong types.
import { z } from 'zod';
import { bool, commonPoolKeys, commonProviderKeys, int, mapping, str, strList } from './common';
import { anyList, exclusive, intMap, requireOneOf } from './voluptuous';

// `Name`/`Values` or `name`/`values` (v.Any('Name', 'name')); none is required.
const imageFilter = z.strictObject({ Name: str.optional(), name: str.optional(), Values: strList.optional(), values: strList.optional() });

const cloudImage = z
  .strictObject({
    name: str,
    username: str,
    'image-id': str.optional(),
    'image-filters': z.array(imageFilter).optional(),
    'connection-type': str.optional(),
    'connection-port': int.optional(),
    'python-path': str.optional(),
    'shell-type': str.optional(),
  })
  .superRefine(exclusive('spec', ['image-id', 'image-filters']))
  .superRefine(requireOneOf(['image-id', 'image-filters']));

const diskImage = z.strictObject({
  name: str,
  username: str.optional(),
  pause: bool.optional(),
  'connection-type': str.optional(),
  'connection-port': int.optional(),
  'python-path': str.optional(),
  'shell-type': str.optional(),
  architecture: str.optional(),
  'ena-support': bool.optional(),
  'volume-size': int.optional(),
  'volume-type': str.optional(),
  'import-method': z.enum(['snapshot', 'ebs-direct', 'image']).optional(),
  'imds-support': z.literal('v2.0').nullable().optional(),
  iops: int.optional(),
  throughput: int.optional(),
  tags: mapping.optional(),
});

const fleet = z.strictObject({
  'instance-types': anyList,
  'allocation-strategy': z.enum(['prioritized', 'price-capacity-optimized', 'capacity-optimized', 'diversified', 'lowest-price']),
});

const iamInstanceProfile = z
  .strictObject({ name: str.optional(), arn: str.optional() })
  .superRefine(exclusive('iam_instance_profile_id', ['name', 'arn']));

const label = z
  .strictObject({
    name: str,
    'cloud-image': str.optional(),
    diskimage: str.optional(),
    'instance-type': str.optional(),
    fleet: fleet.optional(),
    'key-name': str,
    'ebs-optimized': bool.optional(),
    'volume-type': str.optional(),
    'volume-size': int.optional(),
    iops: int.optional(),
    throughput: int.optional(),
    userdata: str.optional(),
    'iam-instance-profile': iamInstanceProfile.optional(),
    tags: mapping.optional(),
    'dynamic-tags': mapping.optional(),
    'use-spot': bool.optional(),
    imdsv2: z.enum(['required', 'optional']).nullable().optional(),
    'dedicated-host': bool.optional(),
  })
  .superRefine(exclusive('image', ['cloud-image', 'diskimage']))
  .superRefine(exclusive('instance', ['instance-type', 'fleet']));

const pool = z.strictObject({
  ...commonPoolKeys,
  labels: z.array(label),
  'security-group-id': str.optional(),
  'subnet-id': str.optional(),
  'public-ip-address': bool.optional(),
  'public-ipv4': bool.optional(),
  'public-ipv6': bool.optional(),
  'host-key-checking': bool.optional(),
  'max-cores': int.optional(),
  'max-ram': int.optional(),
  'max-resources': intMap.optional(),
  'availability-zone': str.optional(),
  // Not in Nodepool's validator, but its daemon reads it.
  'use-internal-ip': bool.optional(),
});

export const awsProvider = z.strictObject({
  ...commonProviderKeys,
  pools: z.array(pool),
  'region-name': str,
  rate: z.number().optional(),
  'profile-name': str.optional(),
  'cloud-images': z.array(cloudImage).optional(),
  diskimages: z.array(diskImage).optional(),
  'boot-timeout': int.optional(),
  'launch-timeout': int.optional(),
  'launch-retries': int.optional(),
  'object-storage': z.strictObject({ 'bucket-name': str }).optional(),
  'image-format': z.enum(['ova', 'vhd', 'vhdx', 'vmdk', 'raw']).optional(),
  'image-import-timeout': int.optional(),
  'max-servers': int.optional(),
  'max-cores': int.optional(),
  'max-ram': int.optional(),
  'max-resources': intMap.optional(),
  'post-upload-hook': str.optional(),
  // Not in Nodepool's validator, but its daemon reads them (provider defaults for the pools).
  'use-internal-ip': bool.optional(),
  'host-key-checking': bool.optional(),
  'public-ipv4': bool.optional(),
  'public-ipv6': bool.optional(),
});
