// The secure file (-s): Nodepool reads only zookeeper-servers, zookeeper-tls and diskimages'
// env-vars from it (config.py loadSecureConfig). Other top-level keys are ignored by Nodepool, so
// here they only draw a warning (see secure.ts in the parent folder).
import { z } from 'zod';
import { str } from './common';
import { zookeeperServer, zookeeperTls } from './top';

export const secureDiskImage = z.strictObject({
  name: str,
  'env-vars': z.record(z.string(), z.string()),
});

export const secureFile = z.looseObject({
  'zookeeper-servers': z.array(zookeeperServer).nullish(),
  'zookeeper-tls': zookeeperTls.optional(),
  diskimages: z.array(secureDiskImage).nullish(),
});

export const SECURE_KEYS = ['zookeeper-servers', 'zookeeper-tls', 'diskimages'];

export type RawSecureFile = z.infer<typeof secureFile>;
