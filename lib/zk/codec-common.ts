// Helpers shared by the codecs: read a Python-written document field by field (typed fields via
// JSON.parse, the rest kept raw) and write one in Nodepool's key order.
import { parseRawObject, pyDumps, PyFloat, type RawJson, type Json } from './json';
import { type ExtraFields } from '../model/common';

/** Thrown when a znode holds something Nodepool itself would refuse to load. */
export class ZkDataError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'ZkDataError';
  }
}

/** A document being decoded: typed getters consume keys; what is left becomes `extra`. */
export class DocReader {
  private readonly fields: Map<string, RawJson>;

  constructor(
    readonly path: string,
    data: Buffer | string,
  ) {
    const text = typeof data === 'string' ? data : data.toString('utf8');
    try {
      this.fields = parseRawObject(text);
    } catch (e) {
      throw new ZkDataError(path, `not a JSON object: ${(e as Error).message}`);
    }
  }

  has(key: string): boolean {
    return this.fields.has(key);
  }

  /** Removes the key and returns its raw text (undefined if absent). */
  raw(key: string): RawJson | undefined {
    const v = this.fields.get(key);
    this.fields.delete(key);
    return v;
  }

  /** JSON.parse of the value (use only for fields that cannot hold big integers). */
  value<T = unknown>(key: string): T | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    try {
      return JSON.parse(v.text) as T;
    } catch (e) {
      throw new ZkDataError(this.path, `field ${key}: ${(e as Error).message}`);
    }
  }

  /** An opaque value: null stays null, anything else is kept as exact text. */
  opaque(key: string): RawJson | null | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    return v.text === 'null' ? null : v;
  }

  str(key: string, dflt: string | null = null): string | null {
    const v = this.value(key);
    if (v === undefined) return dflt;
    if (v === null) return null;
    return typeof v === 'string' ? v : String(v);
  }

  num(key: string, dflt: number | null = null): number | null {
    const v = this.value(key);
    if (v === undefined) return dflt;
    if (v === null) return null;
    if (typeof v !== 'number') throw new ZkDataError(this.path, `field ${key} is not a number`);
    return v;
  }

  bool(key: string, dflt: boolean): boolean {
    const v = this.value(key);
    return v === undefined || v === null ? dflt : Boolean(v);
  }

  strList(key: string): string[] {
    const v = this.value(key);
    if (v === undefined || v === null) return [];
    // Nodepool's as_list(): a bare string is a one-element list.
    if (typeof v === 'string') return [v];
    if (!Array.isArray(v)) throw new ZkDataError(this.path, `field ${key} is not a list`);
    return v.map(String);
  }

  /** A generic JSON value: small ones parsed, anything with big numbers kept raw. */
  json(key: string): Json | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    return toJson(v);
  }

  state<S extends string>(valid: readonly S[]): S {
    const v = this.value('state');
    if (typeof v !== 'string' || !(valid as readonly string[]).includes(v)) {
      throw new ZkDataError(this.path, `'${String(v)}' is not a valid state`);
    }
    return v as S;
  }

  /** Whatever no getter consumed, in document order. */
  rest(): ExtraFields {
    return new Map(this.fields);
  }
}

/** Parses raw JSON unless it contains an integer JS cannot hold exactly; then keeps the text. */
export function toJson(raw: RawJson): Json {
  if (/\d{16,}/.test(raw.text.replace(/"(?:[^"\\]|\\.)*"/g, '""'))) return raw.text === 'null' ? null : raw;
  return JSON.parse(raw.text) as Json;
}

type Out = Json | PyFloat | undefined;

/** Builds a document in insertion order; extra (unknown) keys go last, after Nodepool's own. */
export function writeDoc(fields: [string, Out][], extra?: ExtraFields, sortKeys = false): Buffer {
  const obj: Record<string, Out> = {};
  for (const [k, v] of fields) obj[k] = v;
  if (extra) for (const [k, v] of extra) if (!(k in obj)) obj[k] = v;
  return Buffer.from(pyDumps(obj as Json, sortKeys), 'utf8');
}

/** Timestamps are Python floats (time.time()). */
export const ts = (n: number | null): PyFloat | null => (n === null ? null : new PyFloat(n));
