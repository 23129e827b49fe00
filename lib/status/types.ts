// The shape every status listing has, as Nodepool's status.py returns it: rows keyed by internal
// field names (the web app's JSON keys) plus the header table that maps each key to its column
// title, in column order.
import { type Json } from '../zk/json';

/** One row: internal field key → value (JSON-able; lists stay lists, None is null). */
export type StatusRow = Record<string, Json>;

/** [internal key, column title] in column order (Nodepool's headers_table). */
export type HeaderTable = ReadonlyArray<readonly [string, string]>;

export interface Listing<R extends StatusRow = StatusRow> {
  headers: HeaderTable;
  rows: R[];
}

/** What the readers need besides the session: a clock, so tests and ages agree. */
export interface ListOptions {
  /** Seconds since the epoch (default: now). */
  now?: number;
}
