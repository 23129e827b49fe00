// Nodepool's server name and Nova metadata (spec §2.10, §1.15). We write the 2024 set
// (groups, nodepool_node_id, nodepool_pool_name, nodepool_provider_name) and, for tools and
// cleanup scripts written against Nodepool 2019, nodepool_image_name and nodepool_node_label too.
// instance-properties come first so Nodepool's own keys win on a clash.
import { type CreateServerRequest } from './provider';

/** np<node id>: short, for Windows' 15-character host name limit. */
export function serverName(nodeId: string): string {
  return `np${nodeId}`;
}

export function nodepoolMetadata(provider: string, req: CreateServerRequest): Record<string, string> {
  return {
    ...req.instanceProperties,
    groups: [provider, req.imageName, req.label].join(','),
    nodepool_node_id: req.nodeId,
    nodepool_pool_name: req.poolName,
    nodepool_provider_name: provider,
    nodepool_image_name: req.imageName,
    nodepool_node_label: req.label,
  };
}
