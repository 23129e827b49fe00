// Flavors and Nodepool's flavor rule (spec §1.10): with min-ram, the first flavor of the list
// sorted by (ram, name) with ram >= min-ram whose name contains flavor-name (if given);
// otherwise the flavor whose name or id equals flavor-name.
import { NotFoundError } from '../../errors';
import { type Flavor, type FlavorRequest } from '../../provider';
import { type OpenStackContext } from './context';
import { listAll } from './paginate';

interface NovaFlavor {
  id: string;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
  'OS-FLV-DISABLED:disabled'?: boolean;
}

export async function listFlavors(ctx: OpenStackContext): Promise<Flavor[]> {
  return ctx.caches.flavors.get(async () => {
    const all = await listAll<NovaFlavor>(ctx.session, { service: 'compute', path: 'flavors/detail', key: 'flavors', pageSize: ctx.pageSize });
    return all
      .filter((f) => !f['OS-FLV-DISABLED:disabled'])
      .map((f) => ({ id: String(f.id), name: f.name, ram: f.ram, vcpus: f.vcpus, disk: f.disk }));
  });
}

export function selectFlavor(flavors: readonly Flavor[], req: FlavorRequest): Flavor | undefined {
  if (req.minRam) {
    const sorted = [...flavors].sort((a, b) => a.ram - b.ram || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return sorted.find((f) => f.ram >= (req.minRam ?? 0) && (!req.flavorName || f.name.includes(req.flavorName)));
  }
  if (req.flavorName) return flavors.find((f) => f.name === req.flavorName || f.id === req.flavorName);
  return undefined;
}

export async function findFlavor(ctx: OpenStackContext, req: FlavorRequest): Promise<Flavor> {
  const found = selectFlavor(await listFlavors(ctx), req);
  if (!found) {
    const what = req.minRam ? `min-ram ${req.minRam}${req.flavorName ? ` and name containing "${req.flavorName}"` : ''}` : `"${req.flavorName ?? ''}"`;
    throw new NotFoundError(`Unable to find flavor: ${what} (provider ${ctx.provider})`);
  }
  return found;
}
