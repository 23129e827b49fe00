// Cross-reference checks that a schema cannot express. Nodepool's validator does some of them
// (config_validator.py); the others are the KeyError/ValueError the daemons hit at load time.
import { type ConfigIssue, formatPath, type PathSegment } from './errors';
import { type RawConfig, type RawOpenStackProvider, type RawStaticProvider } from './schema';
import { type ConfigSource } from './source';

type Report = (path: PathSegment[], message: string, severity?: ConfigIssue['severity']) => void;

/** Flags a second entry with the same name: `<what> "x" is already defined at <first path>`. */
function checkUnique(items: readonly { name: string }[] | null | undefined, base: PathSegment[], what: string, report: Report): void {
  const first = new Map<string, number>();
  (items ?? []).forEach((item, i) => {
    const prev = first.get(item.name);
    if (prev === undefined) first.set(item.name, i);
    else report([...base, i, 'name'], `${what} ${JSON.stringify(item.name)} is already defined at ${formatPath([...base, prev])}`);
  });
}


export function checkReferences(src: ConfigSource, raw: RawConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const report: Report = (path, message, severity = 'error') => issues.push(src.issue(severity, 'reference', path, message));
  const q = (path: PathSegment[]) => src.describe(path);

  const diskimages = new Map((raw.diskimages ?? []).map((d) => [d.name, d]));
  const labels = new Set((raw.labels ?? []).map((l) => l.name));

  checkUnique(raw.diskimages, ['diskimages'], 'diskimage', report);
  checkUnique(raw.labels, ['labels'], 'label', report);
  checkUnique(
    raw.providers.map((p) => ({ name: p.raw.name })),
    ['providers'],
    'provider',
    report,
  );

  (raw.diskimages ?? []).forEach((d, i) => {
    if (d.parent === undefined) return;
    const p: PathSegment[] = ['diskimages', i, 'parent'];
    if (!diskimages.has(d.parent)) report(p, `${q(p)} is not defined in top-level diskimages (non-existent parent)`);
    else if (hasCycle(d.name, diskimages)) report(p, `${q(p)} makes a parent cycle back to diskimage ${JSON.stringify(d.name)}`);
  });

  raw.providers.forEach((prov, i) => {
    const base: PathSegment[] = ['providers', i];
    if (prov.driver === 'openstack') checkOpenStack(prov.raw, base, diskimages, labels, report, q);
    else if (prov.driver === 'static') checkStatic(prov.raw, base, labels, report, q);
    else checkUnique(prov.raw.pools, [...base, 'pools'], 'pool', report);
  });

  (raw['tenant-resource-limits'] ?? []).forEach((t, i) => {
    const first = (raw['tenant-resource-limits'] ?? []).findIndex((o) => o['tenant-name'] === t['tenant-name']);
    if (first !== i) {
      const p = ['tenant-resource-limits', i, 'tenant-name'];
      report(p, `tenant ${q(p)} is already defined at tenant-resource-limits[${first}]; the last entry wins`, 'warning');
    }
  });
  return issues;
}

function hasCycle(start: string, diskimages: Map<string, { parent?: string }>): boolean {
  const seen = new Set<string>();
  for (let cur: string | undefined = start; cur !== undefined; cur = diskimages.get(cur)?.parent) {
    if (seen.has(cur)) return cur === start;
    seen.add(cur);
  }
  return false;
}

function checkOpenStack(
  prov: RawOpenStackProvider,
  base: PathSegment[],
  diskimages: Map<string, { abstract?: boolean }>,
  labels: Set<string>,
  report: Report,
  q: (p: PathSegment[]) => string,
): void {
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

function checkStatic(prov: RawStaticProvider, base: PathSegment[], labels: Set<string>, report: Report, q: (p: PathSegment[]) => string): void {
  checkUnique(prov.pools, [...base, 'pools'], 'pool', report);
  (prov.pools ?? []).forEach((pool, j) => {
    (pool.nodes ?? []).forEach((node, k) => {
      const np = [...base, 'pools', j, 'nodes', k, 'labels'];
      // A string holds space-separated labels (static/config.py splits it).
      const names = typeof node.labels === 'string' ? node.labels.split(/\s+/).filter(Boolean) : node.labels;
      names.forEach((name, m) => {
        const p = typeof node.labels === 'string' ? np : [...np, m];
        if (!labels.has(name)) report(p, `label ${JSON.stringify(name)}${typeof node.labels === 'string' ? ` (from ${q(p)})` : ''} is not defined in top-level labels`);
      });
    });
  });
}
