// Turns zod issues into ConfigIssues with Nodepool-style wording, the YAML position and a
// (redacted when secret) description of the offending value.
import { type z } from 'zod';
import { type ConfigIssue, type IssueKind, type PathSegment } from '../errors';
import { type ConfigSource } from '../source';

type ZodIssue = z.core.$ZodIssue;

const TYPE_NAMES: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'a boolean (true/false)',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

/** A schema's own wording ("expected an integer") wins over zod's generic type name. */
function expectation(issue: z.core.$ZodIssueInvalidType): string {
  return issue.message.startsWith('expected ') ? issue.message : `expected ${typeName(issue.expected)}`;
}

function isScalar(v: unknown): boolean {
  return v === null || (typeof v !== 'object' && v !== undefined);
}

function toPath(p: readonly PropertyKey[]): PathSegment[] {
  return p.map((s) => (typeof s === 'number' ? s : String(s)));
}

/** All zod issues under `prefix` (e.g. ['providers', 2]) as ConfigIssues of `kind`. */
export function reportZodIssues(
  src: ConfigSource,
  issues: readonly ZodIssue[],
  prefix: PathSegment[],
  kind: IssueKind = 'schema',
): ConfigIssue[] {
  return issues.flatMap((issue) => convert(src, issue, [...prefix, ...toPath(issue.path)], kind));
}

function convert(src: ConfigSource, issue: ZodIssue, path: PathSegment[], kind: IssueKind): ConfigIssue[] {
  const value = src.valueAt(path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const p = [...path, key];
        return src.issue('error', kind, p, `unknown key "${key}" (value ${src.describe(p)}): extra keys not allowed`, true);
      });
    case 'invalid_type':
      if (value === undefined) return [src.issue('error', kind, path, 'required key not provided', true)];
      return [src.issue('error', kind, path, `${expectation(issue)}, got ${src.describe(path)}`)];
    case 'invalid_union':
      return convertUnion(src, issue, path, kind);
    case 'invalid_format':
      return [src.issue('error', kind, path, `${issue.message}, got ${src.describe(path)}`)];
    default: {
      const got = isScalar(value) ? ` (got ${src.describe(path)})` : '';
      return [src.issue('error', kind, path, `${issue.message}${got}`)];
    }
  }
}

/** A union failed: either nothing matched at the top (list the expected types) or one branch got
 *  further into the value (report that branch's deeper problem). */
function convertUnion(src: ConfigSource, issue: z.core.$ZodIssueInvalidUnion, path: PathSegment[], kind: IssueKind): ConfigIssue[] {
  const branches = issue.errors;
  const deepest = branches.reduce<ZodIssue[] | undefined>((best, b) => {
    const depth = Math.max(0, ...b.map((i) => i.path.length));
    const bestDepth = best ? Math.max(0, ...best.map((i) => i.path.length)) : -1;
    return depth > bestDepth ? b : best;
  }, undefined);
  if (deepest && deepest.some((i) => i.path.length > 0)) {
    return deepest.flatMap((i) => convert(src, i, [...path, ...toPath(i.path)], kind));
  }
  const expected = branches.flatMap((b) =>
    b.map((i) => (i.code === 'invalid_type' ? expectation(i).replace(/^expected /, '') : i.code === 'invalid_format' ? 'a number' : i.message)),
  );
  if (src.valueAt(path) === undefined) return [src.issue('error', kind, path, 'required key not provided', true)];
  const unique = [...new Set(expected)];
  return [src.issue('error', kind, path, `expected ${unique.join(' or ')}, got ${src.describe(path)}`)];
}
