// The custom search attributes every workflow sets, so the Web UI can answer "what happened to
// node 0000001234?" or "show me all launches on provider X". Importable from workflow code.
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

export const NodepoolProvider = defineSearchAttributeKey('NodepoolProvider', SearchAttributeType.KEYWORD);
export const NodepoolLabel = defineSearchAttributeKey('NodepoolLabel', SearchAttributeType.KEYWORD);
export const NodepoolNodeId = defineSearchAttributeKey('NodepoolNodeId', SearchAttributeType.KEYWORD);
export const NodepoolRequestId = defineSearchAttributeKey('NodepoolRequestId', SearchAttributeType.KEYWORD);
export const NodepoolState = defineSearchAttributeKey('NodepoolState', SearchAttributeType.KEYWORD);
export const NodepoolDiskimage = defineSearchAttributeKey('NodepoolDiskimage', SearchAttributeType.KEYWORD);

export const allSearchAttributes = [
  NodepoolProvider,
  NodepoolLabel,
  NodepoolNodeId,
  NodepoolRequestId,
  NodepoolState,
  NodepoolDiskimage,
];

/** `Name=Type` strings as `temporal server start-dev --search-attribute` takes them. */
export function searchAttributeFlags(): string[] {
  return allSearchAttributes.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]);
}

/**
 * A node workflow's search attributes, given when it is started: set at start they cost no
 * workflow event (each upsert is one, and a visibility write in the server).
 */
export function nodeSearchAttributes(n: { nodeId: string; provider?: string | null; label?: string | null; requestId?: string | null; state?: string | null }): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [{ key: NodepoolNodeId, value: n.nodeId }];
  if (n.provider) pairs.push({ key: NodepoolProvider, value: n.provider });
  if (n.label) pairs.push({ key: NodepoolLabel, value: n.label });
  if (n.requestId) pairs.push({ key: NodepoolRequestId, value: n.requestId });
  if (n.state) pairs.push({ key: NodepoolState, value: n.state });
  return pairs;
}
