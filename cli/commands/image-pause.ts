// `nodepool image-pause IMAGE` (NP24): the /nodepool/images/<image>/pause znode (idempotent);
// builds of the image stop, its uploads stay in use. The workflow is woken to notice at once.
import { signalDiskimage } from '../builder-zk';
import { type CommandModule } from '../context';
import { withZooKeeper } from '../zk';
import { pauseImage } from '../../lib/zk/operations/images';

export const imagePause: CommandModule = {
  register(program, ctx) {
    program
      .command('image-pause')
      .description('pause an image')
      .argument('<image>', 'image name')
      .action(async (image: string) => {
        await withZooKeeper(ctx, async (s) => {
          await pauseImage(s, image);
          await signalDiskimage(ctx, image, { kind: 'wake', reason: 'nodepool image-pause' });
        });
      });
  },
};
