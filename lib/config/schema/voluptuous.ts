// zod equivalents of the voluptuous pieces Nodepool's cloud and container driver schemas use
// beyond plain types: `{str: int}`, `list`, `float`, `v.Any` between two entry shapes,
// `v.Exclusive` and `v.Required(v.Any(...))`.
import { z } from 'zod';
import { int } from './common';

/** voluptuous `{str: int}` (max-resources, extra-resources). */
export const intMap = z.record(z.string(), int);
/** voluptuous `list`: any list. */
export const anyList = z.array(z.unknown());
/** voluptuous `float`. YAML ints and floats are both JS numbers here, so `1` passes too. */
export const float = z.number();

/**
 * voluptuous `v.Any(a, b)` where the value itself says which shape it was meant to be (a pod
 * `spec`, a string or a mapping): validating against that shape alone names the real mistake
 * (a misspelt key) instead of "matched neither". Accepts and rejects exactly what `v.Any` does
 * as long as the value fails the shapes `choose` does not pick.
 */
export function shapeOf(choose: (value: unknown) => z.ZodType): z.ZodType<unknown> {
  return z.unknown().superRefine((value, ctx) => {
    const r = choose(value).safeParse(value);
    if (!r.success) for (const issue of r.error.issues) ctx.addIssue({ ...issue });
  });
}

/** True when `value` is a mapping that has `key` (the test `shapeOf` callers use). */
export const hasKey = (value: unknown, key: string): boolean =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && key in value;

type Entry = Record<string, unknown>;

/** voluptuous `v.Exclusive(k, group)` on each of `keys`: at most one of them may be given (the
 *  error points at the second one given, in `keys` order: parsed output has lost the file's). */
export function exclusive(group: string, keys: readonly string[]) {
  return (entry: Entry, ctx: z.RefinementCtx): void => {
    const given = keys.filter((k) => entry[k] !== undefined);
    if (given.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: [given[1] as string],
        message: `${given.map((k) => JSON.stringify(k)).join(' and ')} are mutually exclusive (group "${group}"): give only one`,
      });
    }
  };
}

/** voluptuous `v.Required(v.Any(...keys))`: at least one of `keys` must be given. */
export function requireOneOf(keys: readonly string[]) {
  return (entry: Entry, ctx: z.RefinementCtx): void => {
    if (keys.every((k) => entry[k] === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: `needs one of ${keys.map((k) => JSON.stringify(k)).join(', ')}` });
    }
  };
}
