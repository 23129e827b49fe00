// A node request: /nodepool/requests/<PPP>-<seq10> (zk-protocol.md §1).
import { type ExtraFields, type RawJson } from './common';

export const REQUEST_STATES = ['requested', 'pending', 'fulfilled', 'failed'] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

export interface NodeRequest {
  /** The znode name, e.g. "200-0000000042" (not part of the JSON). */
  id: string;
  state: RequestState;
  state_time: number;
  declined_by: string[];
  /** Labels; nodes[i] answers node_types[i]. */
  node_types: string[];
  nodes: string[];
  reuse: boolean;
  requestor: string | null;
  /** Opaque to Nodepool and byte-exact (may hold integers beyond 2^53). */
  requestor_data: RawJson | null;
  provider: string | null;
  relative_priority: number;
  event_id: string | null;
  created_time: number | null;
  tenant_name: string | null;
  extra: ExtraFields;
}

/** The sort key launchers use: (priority string, relative_priority, sequence string). */
export function requestPriority(r: Pick<NodeRequest, 'id' | 'relative_priority'>): [string, number, string] {
  const [precedence = '', sequence = ''] = r.id.split('-');
  return [precedence, r.relative_priority, sequence];
}

/** Nodepool's request order (NP24 NodeRequest.priority). */
export function compareRequests(a: Pick<NodeRequest, 'id' | 'relative_priority'>, b: Pick<NodeRequest, 'id' | 'relative_priority'>): number {
  const [pa, ra, sa] = requestPriority(a);
  const [pb, rb, sb] = requestPriority(b);
  if (pa !== pb) return pa < pb ? -1 : 1;
  if (ra !== rb) return ra - rb;
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
