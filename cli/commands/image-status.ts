// `nodepool image-status [--json]`: per image, the pause flag and any manual build request.
import { type CommandModule } from '../context';
import { registerListing } from '../zk';
import { imageStatus as readImageStatus } from '../../lib/status';

export const imageStatus: CommandModule = {
  register: (program, ctx) => registerListing(program, ctx, 'image-status', 'list image status', readImageStatus),
};
