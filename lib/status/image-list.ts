// `nodepool image-list` / `/image-list` (NP24 status.image_list): one row per upload. Age is the
// upload's state_time as an epoch int (the JSON keeps it that way; the table formats it).
import { allUploads } from './images';
import { type HeaderTable, type Listing } from './types';
import { type Json } from '../zk/json';
import { type ZkSession } from '../zk/session';
import { type ImageUpload } from '../model/image';

export const IMAGE_LIST_HEADERS: HeaderTable = [
  ['id', 'Build ID'],
  ['upload_id', 'Upload ID'],
  ['provider', 'Provider'],
  ['image', 'Image'],
  ['external_name', 'Provider Image Name'],
  ['external_id', 'Provider Image ID'],
  ['state', 'State'],
  ['age', 'Age'],
];

export interface UploadRow {
  [key: string]: Json;
  id: string;
  upload_id: string;
  provider: string;
  image: string;
  external_name: string | null;
  external_id: string | null;
  state: string;
  age: number;
}

export function uploadRow(u: ImageUpload): UploadRow {
  return {
    id: u.build_id,
    upload_id: u.id,
    provider: u.provider,
    image: u.image,
    external_name: u.external_name,
    external_id: u.external_id,
    state: u.state,
    age: Math.trunc(u.state_time),
  };
}

export async function imageList(s: ZkSession): Promise<Listing<UploadRow>> {
  return { headers: IMAGE_LIST_HEADERS, rows: (await allUploads(s)).map(uploadRow) };
}
