// `nodepool export-image-data FILE` and `nodepool import-image-data FILE` (Nodepool 11,
// cmd/nodepoolcmd.py export_image_data / import_image_data): a backup of the build and upload
// records (and image pause flags) in Nodepool 11's file format, restorable by either
// implementation. Nodepool prints nothing; we print one summary line. Import overwrites the
// records the file names and leaves the others, like Nodepool, and is meant for a quiet system
// (no builder running); a running builder picks the records up on its next pass.
import { readFile, writeFile } from 'node:fs/promises';
import { type CommandModule } from '../context';
import { CliFailure, withZooKeeper } from '../zk';
import { encodeImageData, exportImageData, ImageDataError, importImageData, parseImageData, type ImageDataEntry } from '../../lib/zk/operations/image-data';

const why = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** "2 images (1 paused), 3 builds, 5 uploads" */
function describe(entries: readonly ImageDataEntry[]): string {
  const images = new Set(entries.map(([p]) => p.split('/')[3]));
  const count = (n: number) => entries.filter(([p]) => p.split('/').length === n).length;
  const paused = entries.filter(([p]) => p.endsWith('/pause')).length;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  return `${plural(images.size, 'image')}${paused ? ` (${paused} paused)` : ''}, ${plural(count(6), 'build')}, ${plural(count(10), 'upload')}`;
}

export const exportImageDataCommand: CommandModule = {
  register(program, ctx) {
    program
      .command('export-image-data')
      .description('Export image data from ZooKeeper')
      .argument('<path>', 'Export file path')
      .action(async (path: string) => {
        await withZooKeeper(ctx, async (s) => {
          let entries;
          try {
            entries = await exportImageData(s);
          } catch (e) {
            if (e instanceof ImageDataError) throw new CliFailure(`Cannot export: ${e.message}`);
            throw e;
          }
          try {
            // Nodepool: os.open(path, O_CREAT | O_WRONLY, 0o600); we also truncate an existing file
            await writeFile(path, encodeImageData(entries), { mode: 0o600 });
          } catch (e) {
            throw new CliFailure(`Cannot write ${path}: ${why(e)}`);
          }
          ctx.io.stdout(`Exported ${describe(entries)} to ${path}\n`);
        });
      });
  },
};

export const importImageDataCommand: CommandModule = {
  register(program, ctx) {
    program
      .command('import-image-data')
      .description('Import image data to ZooKeeper')
      .argument('<path>', 'Import file path')
      .action(async (path: string) => {
        let entries: ImageDataEntry[];
        try {
          const bytes = await readFile(path);
          entries = parseImageData(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes));
        } catch (e) {
          ctx.io.stderr(`Cannot import ${path}: ${why(e)}\n`);
          ctx.setExitCode(1);
          return;
        }
        await withZooKeeper(ctx, async (s) => {
          let r;
          try {
            r = await importImageData(s, entries);
          } catch (e) {
            if (e instanceof ImageDataError) throw new CliFailure(`Cannot import ${path}: ${e.message}`);
            throw e;
          }
          ctx.io.stdout(`Imported ${describe(entries)} from ${path} (${r.created} created, ${r.replaced} replaced)\n`);
        });
      });
  },
};
