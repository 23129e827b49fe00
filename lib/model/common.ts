// Shared pieces of the ZooKeeper models. Field names are Nodepool's own (snake_case) so a
// model maps 1:1 onto the JSON that Zuul and the nodepool CLI read.
import { type RawJson, type Json } from '../zk/json';

export type { RawJson, Json };

/**
 * Keys we do not model, in document order, kept as exact JSON text so a rewrite never drops
 * what another writer (a newer Zuul, a newer Nodepool) put there.
 */
export type ExtraFields = Map<string, RawJson>;

/** What a znode read returns besides the data: enough for compare-and-set writes. */
export interface Versioned<T> {
  value: T;
  /** znode data version, for set(..., version). */
  version: number;
}
