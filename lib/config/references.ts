// Cross-reference checks that a schema cannot express. Nodepool's validator does some of them
// (config_validator.py); the others are the KeyError/ValueError the daemons hit at load time.
import { driverNamed } from '../../drivers/registry';
import { type ConfigIssue, type PathSegment } from './errors';
import { checkUnique, type Report } from './reference-check';
import { type RawConfig } from './schema';
import { type ConfigSource } from './source';

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
    const driver = prov.unrun ? undefined : driverNamed(prov.driver);
    if (driver) driver.checkReferences(prov.raw, { base, diskimages, labels, report, q });
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
