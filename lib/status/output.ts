// status.output(): the same listing as a table or as JSON. JSON always has every key (`fields`
// only affects the table), written like Python's json.dumps so big integers stay exact.
import { renderTable } from './table';
import { type Listing } from './types';
import { pyDumps } from '../zk/json';

export type OutputFormat = 'pretty' | 'json';

export function toJson(listing: Listing): string {
  return pyDumps(listing.rows);
}

export function output(listing: Listing, format: OutputFormat, fields?: readonly string[] | null, now?: number): string {
  return format === 'json' ? toJson(listing) : renderTable(listing, fields, now);
}

/** `?fields=a,b` / `--fields a,b` → list (empty or missing → all columns). */
export function parseFields(value: string | null | undefined): string[] | null {
  return value ? value.split(',') : null;
}
