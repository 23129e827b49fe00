// Drivers we do not run (aws, azure, gce, …): each is checked with Nodepool 11's own schema for
// it, so a typo or a wrong type is caught as Nodepool's config-validate catches it; the entry is
// then kept as written (no model), for the launcher to report and skip.
import { type z } from 'zod';
import { type UnsupportedDriver } from '../drivers';
import { awsProvider } from './aws';
import { azureProvider } from './azure';
import { gceProvider } from './gce';
import { ibmvpcProvider } from './ibmvpc';
import { kubernetesProvider } from './kubernetes';
import { metastaticProvider } from './metastatic';
import { openshiftProvider } from './openshift';
import { openshiftpodsProvider } from './openshiftpods';

/** The common provider keys and pool names, typed; everything else as written. */
export type RawUnrunProvider = {
  name: string;
  driver?: string;
  'max-concurrency'?: number;
  priority?: number;
  pools: { name: string }[];
} & Record<string, unknown>;

export const unrunProviders: Record<UnsupportedDriver, z.ZodType<RawUnrunProvider>> = {
  aws: awsProvider,
  azure: azureProvider,
  gce: gceProvider,
  ibmvpc: ibmvpcProvider,
  kubernetes: kubernetesProvider,
  metastatic: metastaticProvider,
  openshift: openshiftProvider,
  openshiftpods: openshiftpodsProvider,
};
