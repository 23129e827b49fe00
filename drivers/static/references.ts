// Cross-references of a static provider entry: pools defined once, node labels that exist.
import { checkUnique, type ReferenceContext } from '../../lib/config/reference-check';
import { type RawStaticProvider } from './schema';

export function checkStaticReferences(prov: RawStaticProvider, { base, labels, report, q }: ReferenceContext): void {
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
