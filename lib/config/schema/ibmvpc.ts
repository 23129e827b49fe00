// IBM VPC provider schema: nodepool/driver/ibmvpc/config.py getSchema() of Nodepool 11. We do
// not run this driver; the schema only catches typos and wrong types.
import { z } from 'zod';
import { bool, coercedFloat, commonPoolKeys, commonProviderKeys, int, str, strList } from './common';
import { exclusive, requireOneOf } from './voluptuous';

const imageFilter = z.strictObject({
  'operating-system': z
    .strictObject({
      architecture: str.optional(),
      'dedicated-host-only': bool.optional(),
      'display-name': str.optional(),
      family: str.optional(),
      href: str.optional(),
      name: str.optional(),
      vendor: str.optional(),
      version: str.optional(),
    })
    .optional(),
  'owner-type': str.optional(),
  status: str.optional(),
});

const IMAGE_SPECS = ['image-href', 'image-id', 'image-name', 'image-filter'];

const cloudImage = z
  .strictObject({
    name: str,
    username: str,
    keys: strList.optional(),
    'image-href': str.optional(),
    'image-id': str.optional(),
    'image-name': str.optional(),
    'image-filter': imageFilter.optional(),
    'connection-type': str.optional(),
    'connection-port': int.optional(),
    'python-path': str.optional(),
    'shell-type': str.optional(),
  })
  .superRefine(exclusive('spec', IMAGE_SPECS))
  .superRefine(requireOneOf(IMAGE_SPECS));

const diskImage = z.strictObject({
  name: str,
  'operating-system': str,
  pause: bool.optional(),
  'connection-type': str.optional(),
  'connection-port': int.optional(),
  'python-path': str.optional(),
  'shell-type': str.optional(),
});

const label = z.strictObject({
  name: str,
  'cloud-image': str.optional(),
  diskimage: str.optional(),
  profile: str,
  'user-data': str.optional(),
});

const pool = z.strictObject({
  ...commonPoolKeys,
  // v.Match('[^_]+') is re.match: only the first character may not be an underscore.
  name: str.regex(/^[^_]/, 'must not start with "_"'),
  labels: z.array(label),
  zone: str.optional(),
  subnet: str.optional(),
  'public-ipv4': bool.optional(),
  'use-internal-ip': bool.optional(),
  'host-key-checking': bool.optional(),
});

export const ibmvpcProvider = z.strictObject({
  // Nodepool's driver schema says the name may hold no "_", but config-validate extends it with
  // the common `name: str`, which replaces that rule; we check what config-validate checks.
  ...commonProviderKeys,
  pools: z.array(pool),
  vpc: str,
  region: str,
  zone: str.optional(),
  subnet: str.optional(),
  'cloud-images': z.array(cloudImage).optional(),
  diskimages: z.array(diskImage).optional(),
  quota: z.strictObject({ instances: int.optional(), cores: int.optional(), ram: int.optional() }).optional(),
  'public-ipv4': bool.optional(),
  'use-internal-ip': bool.optional(),
  'host-key-checking': bool.optional(),
  'post-upload-hook': str.optional(),
  rate: coercedFloat.optional(),
  'boot-timeout': int.optional(),
  'launch-timeout': int.optional(),
  'launch-retries': int.optional(),
  'credentials-file': str.optional(),
  'object-storage': z.strictObject({ 'instance-name': str, endpoint: str, 'bucket-name': str }).optional(),
  // Not in Nodepool's validator, but its daemon reads it.
  'image-format': str.optional(),
});
