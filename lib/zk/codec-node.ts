// Node ⇄ JSON, exactly as NP24 Node.toDict/updateFromDict (zk-protocol.md §2.2), plus unknown
// keys (e.g. Zmod's "id") carried through.
import { NODE_STATES, RESERVED_NODE_KEYS, type Node, type NodeResources } from '../model/node';
import { DocReader, ts, writeDoc, ZkDataError } from './codec-common';
import { type Json } from './json';
import { nodePath } from './paths';

export function decodeNode(id: string, data: Buffer | string): Node {
  const d = new DocReader(nodePath(id), data);
  const state = d.state(NODE_STATES);
  const state_time = d.num('state_time') ?? 0;
  const cloud = d.str('cloud');
  const provider = d.str('provider');
  const pool = d.str('pool');
  const type = d.strList('type');
  const allocated_to = d.str('allocated_to');
  const az = d.str('az');
  const region = d.str('region');
  const public_ipv4 = d.str('public_ipv4');
  const private_ipv4 = d.str('private_ipv4');
  const public_ipv6 = d.str('public_ipv6');
  const host_id = d.str('host_id');
  const interface_ip = d.str('interface_ip');
  const cp = d.json('connection_port');
  const sp = d.json('ssh_port');
  const connection_port: Json = cp !== undefined ? cp : sp !== undefined ? sp : 22;
  const hold = d.value<unknown>('hold_expiration');
  let hold_expiration: number | null = null;
  if (hold !== undefined && hold !== null) {
    // Nodepool forces an int (0 = no expiration when it cannot).
    const n = typeof hold === 'number' ? hold : parseInt(String(hold), 10);
    hold_expiration = Number.isFinite(n) ? Math.trunc(n) : 0;
  }
  const node: Node = {
    id,
    state,
    state_time,
    cloud,
    provider,
    pool,
    type,
    allocated_to,
    az,
    region,
    public_ipv4,
    private_ipv4,
    public_ipv6,
    host_id,
    interface_ip,
    connection_port,
    image_id: d.str('image_id'),
    launcher: d.str('launcher'),
    created_time: d.num('created_time'),
    external_id: d.json('external_id') ?? null,
    hostname: d.str('hostname'),
    comment: d.str('comment'),
    user_data: d.opaque('user_data') ?? null,
    hold_job: d.str('hold_job'),
    host_keys: d.strList('host_keys'),
    username: d.str('username', 'zuul'),
    connection_type: d.str('connection_type'),
    shell_type: d.str('shell_type'),
    hold_expiration,
    resources: (d.json('resources') ?? null) as NodeResources | null,
    slot: d.num('slot'),
    attributes: (d.json('attributes') ?? null) as { [key: string]: Json } | null,
    python_path: d.str('python_path'),
    tenant_name: d.str('tenant_name'),
    driver_data: d.opaque('driver_data') ?? null,
    requestor: d.str('requestor'),
    extra: new Map(),
  };
  node.extra = d.rest();
  return node;
}

export function encodeNode(n: Node): Buffer {
  for (const k of RESERVED_NODE_KEYS) {
    if (n.extra.has(k)) throw new ZkDataError(nodePath(n.id), `refusing to write reserved key ${k}`);
  }
  // NP24 toDict assigns connection_port twice; a Python dict keeps the first position.
  return writeDoc(
    [
      ['state', n.state],
      ['state_time', ts(n.state_time)],
      ['cloud', n.cloud],
      ['provider', n.provider],
      ['pool', n.pool],
      ['type', n.type],
      ['allocated_to', n.allocated_to],
      ['az', n.az],
      ['region', n.region],
      ['public_ipv4', n.public_ipv4],
      ['private_ipv4', n.private_ipv4],
      ['public_ipv6', n.public_ipv6],
      ['host_id', n.host_id],
      ['interface_ip', n.interface_ip],
      ['connection_port', n.connection_port],
      // kept for old Zuul (Z19 reads ssh_port)
      ['ssh_port', n.connection_port],
      ['image_id', n.image_id],
      ['launcher', n.launcher],
      ['created_time', ts(n.created_time)],
      ['external_id', n.external_id],
      ['hostname', n.hostname],
      ['comment', n.comment],
      ['user_data', n.user_data],
      ['hold_job', n.hold_job],
      ['host_keys', n.host_keys],
      ['username', n.username],
      ['connection_type', n.connection_type],
      ['shell_type', n.shell_type],
      ['hold_expiration', n.hold_expiration],
      ['resources', n.resources as Json],
      ['slot', n.slot],
      ['attributes', n.attributes],
      ['python_path', n.python_path],
      ['tenant_name', n.tenant_name],
      ['driver_data', n.driver_data],
      ['requestor', n.requestor],
    ],
    n.extra,
  );
}

/** A node as NP24 creates it before the first store (Node.__init__ defaults). */
export function newNode(fields: Partial<Node> = {}): Node {
  const now = Date.now() / 1000;
  return {
    id: '',
    state: 'init',
    state_time: now,
    cloud: null,
    provider: null,
    pool: null,
    type: [],
    allocated_to: null,
    az: null,
    region: null,
    public_ipv4: null,
    private_ipv4: null,
    public_ipv6: null,
    host_id: null,
    interface_ip: null,
    connection_port: 22,
    image_id: null,
    launcher: null,
    created_time: now,
    external_id: null,
    hostname: null,
    comment: null,
    user_data: null,
    hold_job: null,
    host_keys: [],
    username: null,
    connection_type: null,
    shell_type: null,
    hold_expiration: null,
    resources: null,
    slot: null,
    attributes: null,
    python_path: null,
    tenant_name: null,
    driver_data: null,
    requestor: null,
    extra: new Map(),
    ...fields,
  };
}

export function setNodeState(n: Node, state: Node['state']): void {
  n.state = state;
  n.state_time = Date.now() / 1000;
}
