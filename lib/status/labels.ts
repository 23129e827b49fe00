// `/label-list` (NP24 status.label_list): the union of the labels every registered pool
// supports. Nodepool gives set order; we sort so the output is stable.
import { type HeaderTable, type Listing } from './types';
import { registeredPools } from '../zk/operations/components';
import { type ZkSession } from '../zk/session';

export const LABEL_HEADERS: HeaderTable = [['label', 'Label']];

export interface LabelRow {
  [key: string]: string;
  label: string;
}

export async function labelList(s: ZkSession): Promise<Listing<LabelRow>> {
  const labels = new Set<string>();
  for (const pool of await registeredPools(s)) for (const l of pool.supported_labels) labels.add(l);
  return { headers: LABEL_HEADERS, rows: [...labels].sort().map((label) => ({ label })) };
}
