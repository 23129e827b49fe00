// `nodepool dib-image-list` / `/dib-image-list` (NP24 status.dib_image_list): one row per build,
// id "<image>-<build id>", state "paused" while the image's pause flag exists.
import { buildsOf, imageNamesSorted } from './images';
import { type HeaderTable, type Listing } from './types';
import { type Json } from '../zk/json';
import { imagePausePath } from '../zk/paths';
import { type ZkSession } from '../zk/session';
import { type ImageBuild } from '../model/image';

export const DIB_IMAGE_LIST_HEADERS: HeaderTable = [
  ['id', 'ID'],
  ['image', 'Image'],
  ['builder', 'Builder'],
  ['formats', 'Formats'],
  ['state', 'State'],
  ['age', 'Age'],
];

export interface BuildRow {
  [key: string]: Json;
  id: string;
  image: string;
  builder: string | null;
  formats: string[];
  state: string;
  age: number;
}

export function buildRow(b: ImageBuild, paused: boolean): BuildRow {
  return {
    id: `${b.image}-${b.id}`,
    image: b.image,
    builder: b.builder,
    formats: b.formats,
    state: paused ? 'paused' : b.state,
    age: Math.trunc(b.state_time),
  };
}

export async function dibImageList(s: ZkSession): Promise<Listing<BuildRow>> {
  const rows: BuildRow[] = [];
  for (const image of await imageNamesSorted(s)) {
    const paused = (await s.exists(imagePausePath(image))) !== null;
    for (const b of await buildsOf(s, image)) rows.push(buildRow(b, paused));
  }
  return { headers: DIB_IMAGE_LIST_HEADERS, rows };
}
