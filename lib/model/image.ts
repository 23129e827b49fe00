// Image builds and uploads: /nodepool/images/<image>/builds/<build>[/providers/<p>/images/<upload>]
// (zk-protocol.md §4).
import { type ExtraFields } from './common';

export const BUILD_STATES = ['building', 'ready', 'deleting', 'failed'] as const;
export type BuildState = (typeof BUILD_STATES)[number];

export const UPLOAD_STATES = ['uploading', 'ready', 'deleting', 'failed'] as const;
export type UploadState = (typeof UPLOAD_STATES)[number];

export interface ImageBuild {
  image: string;
  /** NP24: uuid4 hex; NP19: seq10. */
  id: string;
  state: BuildState;
  state_time: number;
  /** Builder hostname; omitted from the JSON when null. */
  builder: string | null;
  /** uuid4 with dashes; omitted when null. */
  builder_id: string | null;
  /** Formats; written as a sorted comma-joined string, omitted when empty. */
  formats: string[];
  username: string | null;
  python_path: string | null;
  shell_type: string | null;
  extra: ExtraFields;
}

export interface ImageUpload {
  image: string;
  build_id: string;
  provider: string;
  /** seq10 */
  id: string;
  state: UploadState;
  state_time: number;
  external_id: string | null;
  external_name: string | null;
  format: string | null;
  username: string | null;
  python_path: string | null;
  shell_type: string | null;
  extra: ExtraFields;
}
