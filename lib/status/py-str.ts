// Python's str() of a cell value, because PrettyTable prints str(value): True/False/None, dicts
// and lists in repr form with single-quoted strings. Values read from ZooKeeper may be RawJson
// (exact text, big integers): those are converted token by token so nothing is rounded.
import { RawJson, type Json } from '../zk/json';

/** Python repr() of a str. */
export function pyReprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '\\' || ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0x80 && c < 0xa0) out += `\\x${c.toString(16)}`;
    else out += ch;
  }
  return out + quote;
}

/** repr() of a JSON document given as text (what json.loads would give, then repr). */
function reprJsonText(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += pyReprString(JSON.parse(text.slice(i, j + 1)) as string);
      i = j + 1;
    } else if (ch === ',' || ch === ':') {
      out += `${ch} `;
      i++;
    } else if (/\s/.test(ch)) {
      i++;
    } else {
      const m = /^(true|false|null|[^\s,:\]}[{"]+)/.exec(text.slice(i));
      if (!m) {
        out += ch; // brackets
        i++;
        continue;
      }
      const tok = m[1] as string;
      out += tok === 'true' ? 'True' : tok === 'false' ? 'False' : tok === 'null' ? 'None' : tok;
      i += tok.length;
    }
  }
  return out;
}

/** Python repr() of a JSON value. */
export function pyRepr(v: Json): string {
  if (v instanceof RawJson) return reprJsonText(v.text);
  return reprJsonText(JSON.stringify(v) ?? 'null');
}

/** Python str(): strings as they are, everything else as repr. */
export function pyStr(v: Json): string {
  if (typeof v === 'string') return v;
  if (v instanceof RawJson) {
    const parsed = /^\s*"/.test(v.text) ? (JSON.parse(v.text) as string) : undefined;
    return parsed ?? reprJsonText(v.text);
  }
  return pyRepr(v);
}

/** Would Python's int(v) succeed? (Nodepool shows the port only then.) */
export function isPyIntable(v: Json): boolean {
  const x = v instanceof RawJson ? (v.parse() as unknown) : v;
  if (typeof x === 'number') return Number.isFinite(x);
  if (typeof x === 'boolean') return true;
  if (typeof x === 'string') return /^\s*[+-]?\d+(?:_\d+)*\s*$/.test(x);
  return false;
}
