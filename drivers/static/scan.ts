// Nodepool's nodescan for a static host, within the node's `timeout`: ssh-keyscan for ssh and
// network_cli (the host's keys as "<type> <base64>"), a TCP probe for other connection types.
import { tcpReachable } from '../../lib/net';
import { sshKeyscan } from '../../activities/launcher/keyscan';
import { type StaticNode } from '../../lib/config/types';
import { gathersHostKeys, type HostScanner } from './host-check';

export const scanHost: HostScanner = async (sn: StaticNode) => {
  const timeoutMs = sn.timeout * 1000;
  if (!(await tcpReachable(sn.name, sn.connectionPort, timeoutMs))) return null;
  if (!gathersHostKeys(sn)) return [];
  const keys = await sshKeyscan(sn.name, sn.connectionPort, Math.max(1, sn.timeout));
  return keys.length ? keys : null;
};
