// Where the fake disk-image-create lives, from source (tsx) and from dist/ alike: tsc does not
// copy the script, so from dist/activities/dib walk back to the source tree.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const FAKE_DIB_NAME = 'fake-disk-image-create';

export function fakeDibCommand(): string {
  const here = join(__dirname, FAKE_DIB_NAME);
  if (existsSync(here)) return here;
  // dist/activities/dib → <repo>/activities/dib
  const fromDist = resolve(__dirname, '..', '..', '..', 'activities', 'dib', FAKE_DIB_NAME);
  return existsSync(fromDist) ? fromDist : here;
}
