// Lossless JSON for ZooKeeper documents written by Python's json.dumps.
//
// Why not JSON.parse: Zuul ≥ 5 puts 128-bit trace ids and nanosecond timestamps (> 2^53) into
// requestor_data, and JSON.parse would round them. So a document is split into its top-level
// keys with each value kept as its exact source text (RawJson); codecs JSON.parse only the
// fields they type (all small), and carry everything else (requestor_data, user_data,
// driver_data, unknown keys) through byte-exact.
//
// Output mimics json.dumps defaults (", " / ": " separators, ensure_ascii) so our documents look
// like Nodepool's; nobody depends on that byte for byte, but it keeps diffs against Python quiet.

/** A JSON value kept as the exact text it was read from. */
export class RawJson {
  constructor(readonly text: string) {}
  /** A JS view of the value (numbers beyond 2^53 lose precision: for display/tests only). */
  parse(): unknown {
    return JSON.parse(this.text);
  }
  toJSON(): unknown {
    return this.parse();
  }
}

export type Json = null | boolean | number | string | RawJson | Json[] | { [key: string]: Json };

/** Marks a number that Python would write as a float (e.g. state_time 5 → "5.0"). */
export class PyFloat {
  constructor(readonly value: number) {}
}

type Writable = Json | PyFloat | undefined | Writable[] | { [key: string]: Writable };

function skipWs(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\n' || s[i] === '\r' || s[i] === '\t')) i++;
  return i;
}

function fail(s: string, i: number, what: string): never {
  throw new SyntaxError(`JSON: ${what} at offset ${i} in ${JSON.stringify(s.slice(Math.max(0, i - 20), i + 20))}`);
}

function scanString(s: string, i: number): number {
  if (s[i] !== '"') fail(s, i, 'expected string');
  i++;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else i++;
  }
  return fail(s, i, 'unterminated string');
}

/** Returns the offset just past the JSON value starting at i (validated later by JSON.parse). */
function scanValue(s: string, i: number): number {
  i = skipWs(s, i);
  const c = s[i];
  if (c === '"') return scanString(s, i);
  if (c === '{' || c === '[') {
    const close = c === '{' ? '}' : ']';
    i = skipWs(s, i + 1);
    if (s[i] === close) return i + 1;
    for (;;) {
      if (c === '{') {
        i = skipWs(s, scanString(s, skipWs(s, i)));
        if (s[i] !== ':') fail(s, i, 'expected :');
        i++;
      }
      i = skipWs(s, scanValue(s, i));
      if (s[i] === ',') {
        i++;
        continue;
      }
      if (s[i] === close) return i + 1;
      fail(s, i, `expected , or ${close}`);
    }
  }
  const m = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|NaN|-?Infinity)/.exec(s.slice(i, i + 400));
  if (!m) fail(s, i, 'unexpected token');
  return i + m[0].length;
}

/**
 * Splits a JSON object document into [key, raw value] pairs in document order. A repeated key
 * keeps its first position and last value, as Python's json.loads does.
 */
export function parseRawObject(text: string): Map<string, RawJson> {
  const out = new Map<string, RawJson>();
  let i = skipWs(text, 0);
  if (text[i] !== '{') fail(text, i, 'expected an object');
  i = skipWs(text, i + 1);
  if (text[i] === '}') return out;
  for (;;) {
    const keyEnd = scanString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWs(text, keyEnd);
    if (text[i] !== ':') fail(text, i, 'expected :');
    const start = skipWs(text, i + 1);
    const end = scanValue(text, start);
    out.set(key, new RawJson(text.slice(start, end)));
    i = skipWs(text, end);
    if (text[i] === ',') {
      i = skipWs(text, i + 1);
      continue;
    }
    if (text[i] === '}') break;
    fail(text, i, 'expected , or }');
  }
  if (skipWs(text, i + 1) !== text.length) fail(text, i + 1, 'trailing data');
  return out;
}

/** Python's ensure_ascii string escaping. */
function pyString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function pyNumber(n: number, float: boolean): string {
  if (!Number.isFinite(n)) throw new TypeError(`cannot write ${n} as JSON`);
  if (Number.isInteger(n) && !float) return String(n);
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return `${n}.0`;
  // JS and Python both print the shortest round-trip form; only the exponent style differs.
  return String(n).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** json.dumps(value) with Python's default separators; undefined object members are skipped. */
export function pyDumps(value: Writable, sortKeys = false): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof RawJson) return value.text;
  if (value instanceof PyFloat) return pyNumber(value.value, true);
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return pyNumber(value, false);
    case 'string':
      return pyString(value);
  }
  if (Array.isArray(value)) return '[' + value.map((v) => pyDumps(v, sortKeys)).join(', ') + ']';
  const keys = Object.keys(value).filter((k) => value[k] !== undefined);
  if (sortKeys) keys.sort();
  return '{' + keys.map((k) => `${pyString(k)}: ${pyDumps(value[k], sortKeys)}`).join(', ') + '}';
}

/** Parses a raw value the codec wants typed (small values only). */
export function rawValue<T = unknown>(raw: RawJson | undefined): T | undefined {
  return raw === undefined ? undefined : (JSON.parse(raw.text) as T);
}
