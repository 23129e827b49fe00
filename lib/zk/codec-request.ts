// NodeRequest ⇄ JSON, exactly as NP24 NodeRequest.toDict/updateFromDict (zk-protocol.md §1.2),
// plus unknown keys carried through.
import { REQUEST_STATES, type NodeRequest } from '../model/node-request';
import { DocReader, ts, writeDoc } from './codec-common';
import { requestPath } from './paths';

export function decodeRequest(id: string, data: Buffer | string): NodeRequest {
  const d = new DocReader(requestPath(id), data);
  const state = d.state(REQUEST_STATES);
  const r: NodeRequest = {
    id,
    state,
    state_time: d.num('state_time') ?? 0,
    declined_by: d.strList('declined_by'),
    node_types: d.strList('node_types'),
    nodes: d.strList('nodes'),
    reuse: d.bool('reuse', true),
    requestor: d.str('requestor'),
    requestor_data: d.opaque('requestor_data') ?? null,
    provider: d.str('provider'),
    relative_priority: d.num('relative_priority', 0) ?? 0,
    event_id: d.str('event_id'),
    created_time: d.num('created_time'),
    tenant_name: d.str('tenant_name'),
    extra: new Map(),
  };
  r.extra = d.rest();
  return r;
}

/** Every key Zmod indexes directly is always written (null when unknown). */
export function encodeRequest(r: NodeRequest): Buffer {
  return writeDoc(
    [
      ['state', r.state],
      ['state_time', ts(r.state_time)],
      ['declined_by', r.declined_by],
      ['node_types', r.node_types],
      ['nodes', r.nodes],
      ['reuse', r.reuse],
      ['requestor', r.requestor],
      ['requestor_data', r.requestor_data],
      ['provider', r.provider],
      ['relative_priority', r.relative_priority],
      ['event_id', r.event_id],
      ['created_time', ts(r.created_time)],
      ['tenant_name', r.tenant_name],
    ],
    r.extra,
  );
}

/** A fresh request as Nodepool creates its own (min-ready, metastatic). */
export function newRequest(fields: Partial<NodeRequest> & Pick<NodeRequest, 'node_types'>): NodeRequest {
  return {
    id: '',
    state: 'requested',
    state_time: Date.now() / 1000,
    declined_by: [],
    nodes: [],
    reuse: true,
    requestor: null,
    requestor_data: null,
    provider: null,
    relative_priority: 0,
    event_id: null,
    created_time: null,
    tenant_name: null,
    extra: new Map(),
    ...fields,
  };
}

/** Sets the state and state_time together, as Nodepool's state setter does. */
export function setRequestState(r: NodeRequest, state: NodeRequest['state']): void {
  r.state = state;
  r.state_time = Date.now() / 1000;
}
