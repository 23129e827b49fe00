// `nodepool dib-image-delete <image>-<build id>`: marks the build `deleting` (the id is split at
// the last '-'); its workflow then deletes every upload from the clouds, the files on the
// builder that holds them, and the record. If it was the newest, launches fall back to the
// previous build's upload.
import { signalDiskimage } from '../builder-zk';
import { type CommandModule } from '../context';
import { CliFailure, withZooKeeper } from '../zk';
import { readBuild, storeBuild } from '../../lib/zk/operations/images';

/** Nodepool: `image, build_num = id.rsplit('-', 1)`; no '-' raises. */
export function splitBuildName(id: string): { image: string; buildId: string } {
  const i = id.lastIndexOf('-');
  if (i < 0) throw new CliFailure(`Invalid build id ${id}: expected <image>-<build id>`);
  return { image: id.slice(0, i), buildId: id.slice(i + 1) };
}

const looksLikeZnode = (s: string): boolean => s !== '' && s !== '.' && s !== '..' && !s.includes('/');

export const dibImageDelete: CommandModule = {
  register(program, ctx) {
    program
      .command('dib-image-delete')
      .description('delete image built with diskimage-builder')
      .argument('<id>', 'dib image id (<image>-<build id>)')
      .action(async (id: string) => {
        await withZooKeeper(ctx, async (s) => {
          const { image, buildId } = splitBuildName(id);
          const got = looksLikeZnode(image) && looksLikeZnode(buildId) ? await readBuild(s, image, buildId) : null;
          if (!got) {
            ctx.io.stdout(`Build ${id} not found\n`);
            return;
          }
          if (got.value.state === 'building') {
            ctx.io.stdout('Cannot delete a build in progress\n');
            return;
          }
          got.value.state = 'deleting';
          got.value.state_time = Date.now() / 1000;
          await storeBuild(s, got.value, got.version);
          await signalDiskimage(ctx, image, { kind: 'wake', reason: `nodepool dib-image-delete ${id}` });
        });
      });
  },
};
