// A node: /nodepool/nodes/<seq10> (zk-protocol.md §2).
import { type ExtraFields, type Json } from './common';

export const NODE_STATES = ['init', 'building', 'testing', 'ready', 'in-use', 'used', 'hold', 'deleting', 'failed', 'aborted', 'deleted'] as const;
export type NodeState = (typeof NODE_STATES)[number];

/** States whose unlocked nodes the launcher deletes (zk-protocol.md §2.7). */
export const DELETABLE_NODE_STATES: readonly NodeState[] = ['used', 'in-use', 'building', 'failed', 'deleting', 'deleted', 'aborted'];

/** Keys Zuul copies onto its own object: never write them into a node (zk-protocol.md §1.8). */
export const RESERVED_NODE_KEYS = ['name', 'label', 'lock', 'aliases', '_state', '_keys'] as const;

export interface NodeResources {
  cores?: number;
  ram?: number;
  instances?: number;
  [key: string]: Json | undefined;
}

export interface Node {
  /** The znode name, e.g. "0000000123" (Zmod also echoes it as "id" in the JSON). */
  id: string;
  state: NodeState;
  state_time: number;
  cloud: string | null;
  provider: string | null;
  pool: string | null;
  /** Labels (readers also accept a bare string). */
  type: string[];
  allocated_to: string | null;
  az: string | null;
  region: string | null;
  public_ipv4: string | null;
  private_ipv4: string | null;
  public_ipv6: string | null;
  host_id: string | null;
  interface_ip: string | null;
  /** An int normally; kubernetes drivers put a dict here. Written again as ssh_port. */
  connection_port: Json;
  /** Upload znode path for DIB images, cloud image name otherwise. */
  image_id: string | null;
  launcher: string | null;
  created_time: number | null;
  external_id: Json;
  hostname: string | null;
  comment: string | null;
  user_data: Json;
  hold_job: string | null;
  host_keys: string[];
  username: string | null;
  connection_type: string | null;
  shell_type: string | null;
  hold_expiration: number | null;
  resources: NodeResources | null;
  slot: number | null;
  attributes: { [key: string]: Json } | null;
  python_path: string | null;
  tenant_name: string | null;
  driver_data: Json;
  requestor: string | null;
  extra: ExtraFields;
}
