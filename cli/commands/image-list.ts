// `nodepool image-list [--json]`: every upload of every build to every provider.
import { type CommandModule } from '../context';
import { registerListing } from '../zk';
import { imageList as readUploads } from '../../lib/status';

export const imageList: CommandModule = {
  register: (program, ctx) => registerListing(program, ctx, 'image-list', 'list images from providers', readUploads),
};
