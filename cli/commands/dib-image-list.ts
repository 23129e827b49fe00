// `nodepool dib-image-list [--json]`: every image build ("paused" while the image is paused).
import { type CommandModule } from '../context';
import { registerListing } from '../zk';
import { dibImageList as readBuilds } from '../../lib/status';

export const dibImageList: CommandModule = {
  register: (program, ctx) => registerListing(program, ctx, 'dib-image-list', 'list images built with diskimage-builder', readBuilds),
};
