// `nodepool request-list [--json]`: the current node requests.
import { type CommandModule } from '../context';
import { registerListing } from '../zk';
import { requestList as readRequests } from '../../lib/status';

export const requestList: CommandModule = {
  register: (program, ctx) => registerListing(program, ctx, 'request-list', 'list the current node requests', readRequests),
};
