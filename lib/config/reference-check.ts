// What a driver's cross-reference check is given (drivers/driver.ts `checkReferences`): the
// top-level diskimages and labels it may refer to, and how to report what is wrong.
import { type ConfigIssue, formatPath, type PathSegment } from './errors';

export type Report = (path: PathSegment[], message: string, severity?: ConfigIssue['severity']) => void;

export interface ReferenceContext {
  /** The provider entry's path, e.g. ['providers', 2]. */
  base: PathSegment[];
  diskimages: Map<string, { abstract?: boolean }>;
  labels: Set<string>;
  report: Report;
  /** The value at a path, quoted (secrets redacted) for messages. */
  q: (path: PathSegment[]) => string;
}

/** Flags a second entry with the same name: `<what> "x" is already defined at <first path>`. */
export function checkUnique(items: readonly { name: string }[] | null | undefined, base: PathSegment[], what: string, report: Report): void {
  const first = new Map<string, number>();
  (items ?? []).forEach((item, i) => {
    const prev = first.get(item.name);
    if (prev === undefined) first.set(item.name, i);
    else report([...base, i, 'name'], `${what} ${JSON.stringify(item.name)} is already defined at ${formatPath([...base, prev])}`);
  });
}
