// `nodepool image-unpause IMAGE` (NP24): removes the pause znode (idempotent) and wakes the
// workflow, which builds at once if a build is due or was requested while paused.
import { signalDiskimage } from '../builder-zk';
import { type CommandModule } from '../context';
import { withZooKeeper } from '../zk';
import { unpauseImage } from '../../lib/zk/operations/images';

export const imageUnpause: CommandModule = {
  register(program, ctx) {
    program
      .command('image-unpause')
      .description('unpause an image')
      .argument('<image>', 'image name')
      .action(async (image: string) => {
        await withZooKeeper(ctx, async (s) => {
          await unpauseImage(s, image);
          await signalDiskimage(ctx, image, { kind: 'wake', reason: 'nodepool image-unpause' });
        });
      });
  },
};
