// The node znode Nodepool 11's static driver writes for one slot of a configured host
// (nodepool/driver/static/provider.py registerNodeFromConfig), built with the repo's codec so the
// JSON is byte-for-byte the shape Zuul already reads. Everything not set here keeps
// Node.__init__'s default (cloud, az, region, image_id, resources, … stay null).
import { type Json } from '../../lib/zk/json';
import { newNode } from '../../lib/zk/codec-node';
import { type Node } from '../../lib/model/node';
import { type StaticNode, type StaticPool } from '../../lib/config/types';
import { type PublicIp } from './resolve';

/** Nodepool marks every static node with this launcher id instead of a pool worker's. */
export const STATIC_LAUNCHER = 'static driver';

/**
 * The fields updateNodeFromConfig compares and rewrites in place, in its order: a READY node
 * whose values differ from these is updated rather than re-registered. Pool and attributes are
 * not among them (Nodepool leaves them as first registered).
 */
export function configuredValues(sn: StaticNode, hostKeys: string[]): Json[] {
  return [sn.labels, sn.username, sn.connectionPort, sn.shellType, sn.connectionType, sn.pythonPath, hostKeys];
}

/** The same values read back from a registered node, for that comparison. */
export function registeredValues(n: Node): Json[] {
  return [n.type, n.username, n.connection_port, n.shell_type, n.connection_type, n.python_path, n.host_keys];
}

/** set_node_ip: only the family the first address has is set; the other is left as it was. */
export function applyPublicIp(n: Node, ip: PublicIp): void {
  if (ip?.family === 4) n.public_ipv4 = ip.address;
  else if (ip?.family === 6) n.public_ipv6 = ip.address;
}

/**
 * A READY node for `slot` of a static host, exactly as registerNodeFromConfig fills it:
 * hostname, external_id and interface_ip are all the configured name (Zuul connects to the
 * name, not to the resolved address), the resolved address goes to public_ipv4/6 only.
 */
export function staticNodeFields(providerName: string, pool: StaticPool, sn: StaticNode, slot: number, hostKeys: string[], ip: PublicIp): Node {
  const n = newNode({
    state: 'ready',
    provider: providerName,
    pool: pool.name,
    launcher: STATIC_LAUNCHER,
    type: [...sn.labels],
    external_id: sn.name,
    hostname: sn.name,
    username: sn.username,
    interface_ip: sn.name,
    connection_port: sn.connectionPort,
    connection_type: sn.connectionType,
    python_path: sn.pythonPath,
    shell_type: sn.shellType,
    host_keys: [...hostKeys],
    attributes: pool.nodeAttributes as { [key: string]: Json } | null,
    slot,
  });
  applyPublicIp(n, ip);
  return n;
}
