// Watches /nodepool/requests: every new, changed and deleted request, and the current set in
// the order launchers serve them (priority, relative_priority, sequence).
import { compareRequests, type NodeRequest } from '../../model/node-request';
import { decodeRequest } from '../codec-request';
import { REQUESTS, isRequestId } from '../paths';
import { type ZkSession } from '../session';
import { ChildrenCache, type CacheEvent } from './children-cache';

export type RequestEvent = CacheEvent<NodeRequest>;

export class RequestWatcher extends ChildrenCache<NodeRequest> {
  constructor(session: ZkSession) {
    // Only Nodepool-style ids: launchers split on '-' (Zuul's own launcher uses other ids).
    super(session, REQUESTS, decodeRequest, (id) => !isRequestId(id));
  }

  /** Current requests in Nodepool's order. */
  sorted(): NodeRequest[] {
    return this.values().sort(compareRequests);
  }

  /** Requests a launcher may pick up: requested and not declined by this launcher id. */
  open(launcherId?: string): NodeRequest[] {
    return this.sorted().filter((r) => r.state === 'requested' && (!launcherId || !r.declined_by.includes(launcherId)));
  }

  onEvent(fn: (ev: RequestEvent) => void): this {
    return this.on('event', fn);
  }
}
