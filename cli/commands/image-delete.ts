// `nodepool image-delete --provider P --image I --build-id B --upload-id U`: marks the upload
// `deleting`; the diskimage workflow deletes the cloud image and the record. Unlike Nodepool
// (A10) the same build is then not uploaded to P again, so launches fall back to the previous
// upload until the next build.
import { signalDiskimage } from '../builder-zk';
import { type CommandModule } from '../context';
import { withZooKeeper } from '../zk';
import { readUploads, storeUpload } from '../../lib/zk/operations/images';

interface Opts {
  provider: string;
  image: string;
  buildId: string;
  uploadId: string;
}

const segment = (s: string): boolean => s !== '' && s !== '.' && s !== '..' && !s.includes('/');

export const imageDelete: CommandModule = {
  register(program, ctx) {
    program
      .command('image-delete')
      .description('delete an image')
      .requiredOption('--provider <provider>', 'provider name')
      .requiredOption('--image <image>', 'image name')
      .requiredOption('--build-id <id>', 'build ID')
      .requiredOption('--upload-id <id>', 'upload ID')
      .action(async (o: Opts) => {
        await withZooKeeper(ctx, async (s) => {
          const valid = [o.provider, o.image, o.buildId, o.uploadId].every(segment);
          const upload = valid ? (await readUploads(s, o.image, o.buildId, o.provider)).find((u) => u.id === o.uploadId) : undefined;
          if (!upload) {
            ctx.io.stdout('Image upload not found\n');
            return;
          }
          if (upload.state === 'uploading') {
            ctx.io.stdout('Cannot delete because image upload in progress\n');
            return;
          }
          upload.state = 'deleting';
          upload.state_time = Date.now() / 1000;
          await storeUpload(s, upload);
          await signalDiskimage(ctx, o.image, { kind: 'wake', reason: 'nodepool image-delete', deletedUpload: { buildId: o.buildId, provider: o.provider } });
        });
      });
  },
};
