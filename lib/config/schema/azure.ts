// Azure provider schema: nodepool/driver/azure/config.py getSchema() of Nodepool 11. We do not
// run this driver; the schema only catches typos and wrong types.
import { z } from 'zod';
import { bool, coercedFloat, commonPoolKeys, commonProviderKeys, int, mapping, str } from './common';
import { exclusive, requireOneOf, shapeOf } from './voluptuous';

const imageReference = z.strictObject({ sku: str, publisher: str, version: str, offer: str });
const imageFilter = z.strictObject({ location: str.optional(), name: str.optional(), tags: mapping.optional() });
const galleryImage = z.strictObject({ 'gallery-name': str, name: str, version: str.optional() });

const IMAGE_SPECS = ['image-reference', 'image-id', 'image-filter', 'community-gallery-image', 'shared-gallery-image'];

const cloudImage = z
  .strictObject({
    name: str,
    username: str,
    password: str.optional(),
    'generate-password': bool.optional(),
    key: str.optional(),
    'image-reference': imageReference.optional(),
    'image-id': str.optional(),
    'image-filter': imageFilter.optional(),
    'community-gallery-image': galleryImage.optional(),
    'shared-gallery-image': galleryImage.optional(),
    'connection-type': str.optional(),
    'connection-port': int.optional(),
    'python-path': str.optional(),
    'shell-type': str.optional(),
  })
  .superRefine(exclusive('spec', IMAGE_SPECS))
  .superRefine(requireOneOf(IMAGE_SPECS));

const diskImage = z.strictObject({
  name: str,
  username: str.optional(),
  key: str.optional(),
  pause: bool.optional(),
  'connection-type': str.optional(),
  'connection-port': int.optional(),
  'python-path': str.optional(),
  'shell-type': str.optional(),
  tags: mapping.optional(),
  // Not in Nodepool's validator, but its daemon reads them.
  password: str.optional(),
  'generate-password': bool.optional(),
});

const label = z.strictObject({
  name: str,
  'cloud-image': str.optional(),
  diskimage: str.optional(),
  'hardware-profile': z.strictObject({ 'vm-size': str }),
  tags: mapping.optional(),
  'dynamic-tags': mapping.optional(),
  'user-data': str.optional(),
  'custom-data': str.optional(),
  'volume-size': int.optional(),
});

// The provider's values are the defaults of its pools' (Nodepool: the same keys at both levels).
const addressKeys = {
  ipv4: bool.optional(),
  ipv6: bool.optional(),
  'public-ipv4': bool.optional(),
  'public-ipv6': bool.optional(),
  'use-internal-ip': bool.optional(),
  'host-key-checking': bool.optional(),
};

const pool = z.strictObject({
  ...commonPoolKeys,
  labels: z.array(label),
  ...addressKeys,
});

// v.Any(str, {resource-group, network, subnet}): checked as whichever the value is.
const networkMap = z.strictObject({ 'resource-group': str.optional(), network: str.optional(), subnet: str.optional() });
const network = shapeOf((v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? networkMap : str));

export const azureProvider = z.strictObject({
  ...commonProviderKeys,
  pools: z.array(pool),
  location: str,
  'resource-group': str,
  'resource-group-location': str,
  'subnet-id': str.optional(),
  network: network.optional(),
  'cloud-images': z.array(cloudImage).optional(),
  diskimages: z.array(diskImage).optional(),
  'auth-path': str,
  ...addressKeys,
  'post-upload-hook': str.optional(),
  rate: coercedFloat.optional(),
  'boot-timeout': int.optional(),
  'launch-timeout': int.optional(),
  'launch-retries': int.optional(),
  'zuul-public-key': str.optional(),
});
