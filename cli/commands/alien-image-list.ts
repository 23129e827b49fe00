// `nodepool alien-image-list [provider] [--json]`: per configured image-upload provider (or the one
// given), cloud images whose properties carry nodepool_build_id but whose id is not the
// external_id of any READY upload of that provider's configured diskimages. Columns as Nodepool:
// Provider | Name | Image ID. A failing cloud listing is a warning and that provider counts as
// empty (exit 0), as in Nodepool.
import { type CommandModule } from '../context';
import { printListing, withZooKeeper } from '../zk';
import { type NodepoolConfig, type CloudProviderConfig } from '../../lib/config';
import { type HeaderTable, type Listing } from '../../lib/status';
import { type ZkSession } from '../../lib/zk/session';
import { readBuilds, readUploads } from '../../lib/zk/operations/images';
import { cloudAdapter, takesImageUploads } from '../../drivers/registry';

const HEADERS: HeaderTable = [
  ['provider', 'Provider'],
  ['name', 'Name'],
  ['id', 'Image ID'],
];

type AlienRow = { provider: string; name: string; id: string };

async function readyExternalIds(s: ZkSession, provider: CloudProviderConfig): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const image of Object.keys(provider.diskimages)) {
    for (const b of await readBuilds(s, image)) {
      for (const u of await readUploads(s, image, b.id, provider.name)) if (u.state === 'ready' && u.external_id) ids.add(u.external_id);
    }
  }
  return ids;
}

export async function alienImages(s: ZkSession, config: NodepoolConfig, only: string | undefined, warn: (m: string) => void): Promise<Listing<AlienRow>> {
  const rows: AlienRow[] = [];
  for (const p of Object.values(config.providers)) {
    if (!takesImageUploads(p) || (only && p.name !== only)) continue;
    let images: Array<{ id: string; name: string; properties: Record<string, string> }> = [];
    const cloud = (() => {
      try {
        return cloudAdapter(p);
      } catch (e) {
        warn(`Exception listing alien images for ${p.name}: ${(e as Error).message}`);
        return null;
      }
    })();
    if (!cloud) continue;
    try {
      images = (await cloud.listImages()).filter((i) => 'nodepool_build_id' in i.properties);
    } catch (e) {
      warn(`Exception listing alien images for ${p.name}: ${(e as Error).message}`);
    } finally {
      await cloud.close();
    }
    const known = await readyExternalIds(s, p);
    for (const i of images) if (!known.has(i.id)) rows.push({ provider: p.name, name: i.name, id: i.id });
  }
  return { headers: HEADERS, rows };
}

export const alienImageList: CommandModule = {
  register(program, ctx) {
    program
      .command('alien-image-list')
      .description('list images with Nodepool metadata that no READY upload knows about')
      .argument('[provider]', 'only this provider')
      .option('--json', 'print JSON rows instead of a table', false)
      .action(async (provider: string | undefined, opts: { json: boolean }) => {
        await withZooKeeper(ctx, async (s, config) => {
          const listing = await alienImages(s, config, provider, (m) => ctx.io.stderr(`WARNING: ${m}\n`));
          printListing(ctx, listing, opts.json);
        });
      });
  },
};
