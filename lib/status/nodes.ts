// `nodepool list` / `/node-list` (NP24 status.node_list): every node znode, or one by id.
import { formatAge, nowSeconds } from './age';
import { isPyIntable } from './py-str';
import { decodeOrSkip, mapLimit, READ_PARALLELISM, sortedChildren } from './read';
import { type HeaderTable, type Listing, type ListOptions } from './types';
import { decodeNode } from '../zk/codec-node';
import { type Json } from '../zk/json';
import { isLocked } from '../zk/lock';
import { NODES, nodeLockPath, nodePath } from '../zk/paths';
import { type ZkSession } from '../zk/session';
import { type Node } from '../model/node';

export const NODE_HEADERS: HeaderTable = [
  ['id', 'ID'],
  ['provider', 'Provider'],
  ['label', 'Label'],
  ['server_id', 'Server ID'],
  ['public_ipv4', 'Public IPv4'],
  ['ipv6', 'IPv6'],
  ['state', 'State'],
  ['age', 'Age'],
  ['locked', 'Locked'],
  ['pool', 'Pool'],
  ['hostname', 'Hostname'],
  ['private_ipv4', 'Private IPv4'],
  ['AZ', 'AZ'],
  ['username', 'Username'],
  ['connection_port', 'Port'],
  ['launcher', 'Launcher'],
  ['allocated_to', 'Allocated To'],
  ['hold_job', 'Hold Job'],
  ['comment', 'Comment'],
  ['user_data', 'User Data'],
  ['driver_data', 'Driver Data'],
];

/** The columns `nodepool list` shows (9), and with --detail (21). */
export const LIST_FIELDS = NODE_HEADERS.slice(0, 9).map(([k]) => k);
export const LIST_DETAIL_FIELDS = NODE_HEADERS.map(([k]) => k);

export interface NodeRow {
  [key: string]: Json;
  id: string;
  provider: string | null;
  label: string[];
  server_id: Json;
  public_ipv4: string | null;
  ipv6: string | null;
  state: string;
  /** Pre-formatted DD:HH:MM:SS (unlike the image listings' epoch ints: Nodepool's JSON does this). */
  age: string;
  locked: 'locked' | 'unlocked';
  pool: string | null;
  hostname: string | null;
  private_ipv4: string | null;
  AZ: string | null;
  username: string | null;
  /** The port, or "redacted" when it is not an int (k8s drivers carry credentials there). */
  connection_port: Json;
  launcher: string | null;
  allocated_to: string | null;
  hold_job: string | null;
  comment: string | null;
  user_data: Json;
  driver_data: Json;
}

export function nodeRow(n: Node, locked: boolean, now: number = nowSeconds()): NodeRow {
  return {
    id: n.id,
    provider: n.provider,
    label: n.type,
    server_id: n.external_id,
    public_ipv4: n.public_ipv4,
    ipv6: n.public_ipv6,
    state: n.state,
    age: formatAge(n.state_time, now),
    locked: locked ? 'locked' : 'unlocked',
    pool: n.pool,
    hostname: n.hostname,
    private_ipv4: n.private_ipv4,
    AZ: n.az,
    username: n.username,
    connection_port: isPyIntable(n.connection_port) ? n.connection_port : 'redacted',
    launcher: n.launcher,
    allocated_to: n.allocated_to,
    hold_job: n.hold_job,
    comment: n.comment,
    user_data: n.user_data,
    driver_data: n.driver_data,
  };
}

/** A node znode's content, or null when it is gone, empty (cleanup deletes those) or unreadable. */
export async function readNodeForStatus(s: ZkSession, id: string): Promise<Node | null> {
  const got = await s.getIfExists(nodePath(id));
  if (!got || got.data.length === 0) return null;
  return decodeOrSkip(`node ${id}`, () => decodeNode(id, got.data));
}

/** Every readable node, by id. */
export async function readAllNodes(s: ZkSession): Promise<Node[]> {
  const nodes = await mapLimit(await sortedChildren(s, NODES), READ_PARALLELISM, (id) => readNodeForStatus(s, id));
  return nodes.filter((n): n is Node => n !== null);
}

/** A node id as typed by a user or a query string: anything else cannot name a znode. */
const isPlainName = (id: string): boolean => id !== '' && id !== '.' && id !== '..' && !id.includes('/');

export interface NodeListOptions extends ListOptions {
  /** Only this node (Nodepool's node_id; an unknown id gives no rows). */
  nodeId?: string | null;
}

/**
 * Locked comes from the lock contenders (NP24), read without creating the lock parent (kazoo's
 * contenders() would create it: a status read should not write).
 */
export async function nodeList(s: ZkSession, opts: NodeListOptions = {}): Promise<Listing<NodeRow>> {
  const now = opts.now ?? nowSeconds();
  let ids: string[];
  if (opts.nodeId) ids = isPlainName(opts.nodeId) ? [opts.nodeId] : [];
  else ids = await sortedChildren(s, NODES);
  const rows = await mapLimit(ids, READ_PARALLELISM, async (id) => {
    const node = await readNodeForStatus(s, id);
    if (!node) return null;
    return nodeRow(node, await isLocked(s, nodeLockPath(id)), now);
  });
  return { headers: NODE_HEADERS, rows: rows.filter((r): r is NodeRow => r !== null) };
}
