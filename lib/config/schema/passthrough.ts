// Drivers we do not implement (aws, azure, gce, …): the common provider and pool keys are checked
// strictly so typos in them are caught; everything driver-specific is accepted as is, so an
// operator's existing config loads and the launcher can say "driver X not supported".
import { z } from 'zod';
import { commonPoolKeys, commonProviderKeys } from './common';

const loosePool = z.looseObject({ ...commonPoolKeys });

export const passthroughProvider = z.looseObject({
  ...commonProviderKeys,
  pools: z.array(loosePool).optional(),
});

export type RawPassthroughProvider = z.infer<typeof passthroughProvider>;
