// The status endpoints: path → listing. Query parameters as WebOb's params.get() reads them
// (the last value of a repeated key).
import { type ZkSession } from '../../lib/zk/session';
import { dibImageList, imageList, imageStatus, labelList, nodeList, requestList, type Listing } from '../../lib/status';

export type ListingRoute = (s: ZkSession, params: URLSearchParams) => Promise<Listing>;

export const lastParam = (params: URLSearchParams, name: string): string | null => params.getAll(name).at(-1) ?? null;

export const LISTING_ROUTES: ReadonlyMap<string, ListingRoute> = new Map<string, ListingRoute>([
  ['/image-list', (s) => imageList(s)],
  ['/dib-image-list', (s) => dibImageList(s)],
  ['/image-status', (s) => imageStatus(s)],
  ['/node-list', (s, p) => nodeList(s, { nodeId: lastParam(p, 'node_id') })],
  ['/request-list', (s) => requestList(s)],
  ['/label-list', (s) => labelList(s)],
]);
