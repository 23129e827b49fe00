// `nodepool image-build IMAGE`: Nodepool's manual build request (the request-build znode, removed
// by the builder after a ready build), plus a rebuild signal so the workflow starts at once.
// Refuses images that are not configured diskimages or are paused in the config; a ZooKeeper
// pause (`image-pause`) does not refuse: the request waits, as in Nodepool.
import { signalDiskimage } from '../builder-zk';
import { type CommandModule } from '../context';
import { CliFailure, withZooKeeper } from '../zk';
import { requestImageBuild } from '../../lib/zk/operations/images';

export const imageBuild: CommandModule = {
  register(program, ctx) {
    program
      .command('image-build')
      .description('build image using diskimage-builder')
      .argument('<image>', 'image name')
      .action(async (image: string) => {
        await withZooKeeper(ctx, async (s, config) => {
          const d = config.diskimages[image];
          if (!d) throw new CliFailure(`Trying to build a non disk-image-builder image: ${image}`);
          if (d.pause) throw new CliFailure(`Skipping build request for image ${image}; paused`);
          await requestImageBuild(s, image);
          await signalDiskimage(ctx, image, { kind: 'rebuild', reason: 'nodepool image-build' });
        });
      });
  },
};
