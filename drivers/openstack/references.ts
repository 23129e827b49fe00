// Cross-references of an OpenStack provider entry: names defined once, labels and diskimages
// that exist at the top level, cloud-images defined by the provider.
import { formatPath } from '../../lib/config/errors';
import { checkUnique, type ReferenceContext } from '../../lib/config/reference-check';
import { type RawOpenStackProvider } from './schema';

export function checkOpenStackReferences(prov: RawOpenStackProvider, { base, diskimages, labels, report, q }: ReferenceContext): void {
  if (prov['nodepool-id'] !== undefined) {
    report([...base, 'nodepool-id'], `${q([...base, 'nodepool-id'])}: nodepool-id is deprecated and ignored`, 'warning');
  }
  checkUnique(prov.diskimages, [...base, 'diskimages'], 'provider diskimage', report);
  checkUnique(prov['cloud-images'], [...base, 'cloud-images'], 'cloud-image', report);
  checkUnique(prov.pools, [...base, 'pools'], 'pool', report);

  const uploaded = new Set((prov.diskimages ?? []).map((d) => d.name));
  const cloudImages = new Set((prov['cloud-images'] ?? []).map((c) => c.name));

  (prov.diskimages ?? []).forEach((d, j) => {
    const p = [...base, 'diskimages', j, 'name'];
    const top = diskimages.get(d.name);
    if (!top) report(p, `${q(p)} is not defined in top-level diskimages`);
    else if (top.abstract) report(p, `${q(p)} is an abstract diskimage and cannot be uploaded`);
  });

  (prov.pools ?? []).forEach((pool, j) => {
    const poolBase = [...base, 'pools', j, 'labels'];
    checkUnique(pool.labels, poolBase, 'pool label', report);
    (pool.labels ?? []).forEach((label, k) => {
      const lp = [...poolBase, k];
      if (!labels.has(label.name)) report([...lp, 'name'], `${q([...lp, 'name'])} is not defined in top-level labels`);
      if (label.diskimage !== undefined) {
        const p = [...lp, 'diskimage'];
        const top = diskimages.get(label.diskimage);
        if (!top) report(p, `${q(p)} is not defined in top-level diskimages`);
        else if (top.abstract) report(p, `${q(p)} is an abstract diskimage and cannot be booted`);
        else if (!uploaded.has(label.diskimage)) {
          report(p, `${q(p)} is not listed in ${formatPath([...base, 'diskimages'])}, so it is never uploaded to this provider`, 'warning');
        }
      }
      if (label['cloud-image'] !== undefined && !cloudImages.has(label['cloud-image'])) {
        const p = [...lp, 'cloud-image'];
        report(p, `${q(p)} is not defined in this provider's cloud-images`);
      }
    });
  });
}
