// `nodepool request-list` / `/request-list` (NP24 status.request_list), in ZooKeeper name order
// as NP24 getNodeRequests sorts them.
import { decodeOrSkip, mapLimit, READ_PARALLELISM, sortedChildren } from './read';
import { type HeaderTable, type Listing } from './types';
import { decodeRequest } from '../zk/codec-request';
import { type Json } from '../zk/json';
import { REQUESTS, requestPath } from '../zk/paths';
import { type ZkSession } from '../zk/session';
import { type NodeRequest } from '../model/node-request';

export const REQUEST_HEADERS: HeaderTable = [
  ['id', 'Request ID'],
  ['relative_priority', 'Priority'],
  ['state', 'State'],
  ['requestor', 'Requestor'],
  ['node_types', 'Node Types'],
  ['nodes', 'Nodes'],
  ['declined_by', 'Declined By'],
  ['event_id', 'Event ID'],
];

export interface RequestRow {
  [key: string]: Json;
  id: string;
  relative_priority: number;
  state: string;
  requestor: string | null;
  node_types: string[];
  nodes: string[];
  declined_by: string[];
  event_id: string | null;
}

export function requestRow(r: NodeRequest): RequestRow {
  return {
    id: r.id,
    relative_priority: r.relative_priority,
    state: r.state,
    requestor: r.requestor,
    node_types: r.node_types,
    nodes: r.nodes,
    declined_by: r.declined_by,
    event_id: r.event_id,
  };
}

export async function requestList(s: ZkSession): Promise<Listing<RequestRow>> {
  const ids = await sortedChildren(s, REQUESTS);
  const rows = await mapLimit(ids, READ_PARALLELISM, async (id) => {
    const got = await s.getIfExists(requestPath(id));
    if (!got || got.data.length === 0) return null;
    const req = decodeOrSkip(`request ${id}`, () => decodeRequest(id, got.data));
    return req && requestRow(req);
  });
  return { headers: REQUEST_HEADERS, rows: rows.filter((r): r is RequestRow => r !== null) };
}
