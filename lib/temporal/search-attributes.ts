// The custom search attributes every workflow sets, so the Web UI can answer "what happened to
// node 0000001234?" or "show me all launches on provider X". Importable from workflow code.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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
