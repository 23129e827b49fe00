// PrettyTable output as Nodepool prints it (status._to_pretty_table + str(PrettyTable)): '+---+'
// borders, left-aligned cells padded by one space, a rule under the header row and none between
// rows. Drawn with cli-table3; its compact mode has no rule under the header, so we add it (the
// top border line is exactly PrettyTable's header rule).
import Table from 'cli-table3';
import { formatAge } from './age';
import { pyStr } from './py-str';
import { type HeaderTable, type Listing } from './types';
import { type Json } from '../zk/json';

const ASCII = {
  top: '-',
  'top-mid': '+',
  'top-left': '+',
  'top-right': '+',
  bottom: '-',
  'bottom-mid': '+',
  'bottom-left': '+',
  'bottom-right': '+',
  left: '|',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '|',
  'right-mid': '',
  middle: '|',
};

/** str.expandtabs(8) per line, as PrettyTable does before measuring. */
function expandTabs(text: string): string {
  if (!text.includes('\t')) return text;
  return text
    .split('\n')
    .map((line) => {
      let out = '';
      for (const ch of line) out += ch === '\t' ? ' '.repeat(8 - (out.length % 8)) : ch;
      return out;
    })
    .join('\n');
}

/** One cell as _to_pretty_table renders it: ages as DD:HH:MM:SS, lists comma-joined, None empty. */
export function cellText(key: string, value: Json | undefined, now?: number): string {
  if (value === null || value === undefined) return '';
  if (key === 'age' || key.endsWith('_age')) {
    // Images carry an epoch int; nodes an already formatted string (int() fails, kept as is).
    if (typeof value === 'number') return formatAge(Math.trunc(value), now);
    return pyStr(value);
  }
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : pyStr(v))).join(',');
  return pyStr(value);
}

/** The header table cut down to `fields`, keeping header-table order; unknown names ignored. */
export function selectHeaders(headers: HeaderTable, fields?: readonly string[] | null): HeaderTable {
  if (!fields || fields.length === 0) return headers;
  return headers.filter(([key]) => fields.includes(key));
}

/** Plain PrettyTable text for header titles and string rows (no trailing newline, like str(t)). */
export function prettyTable(titles: readonly string[], rows: readonly (readonly string[])[]): string {
  // PrettyTable([]) prints an empty frame (with rows it crashes; we print the frame then too).
  if (titles.length === 0) return '++\n||\n++\n++';
  const t = new Table({
    head: [...titles],
    chars: ASCII,
    style: { head: [], border: [], 'padding-left': 1, 'padding-right': 1, compact: true },
  });
  for (const r of rows) t.push([...r]);
  const lines = t.toString().split('\n');
  // header row: single line (titles never contain newlines); rule under it = top border
  lines.splice(2, 0, lines[0] as string);
  return lines.join('\n');
}

/** A listing as Nodepool's pretty output (status.output(results, 'pretty', fields)). */
export function renderTable(listing: Listing, fields?: readonly string[] | null, now?: number): string {
  const headers = selectHeaders(listing.headers, fields);
  const rows = listing.rows.map((row) => headers.map(([key]) => expandTabs(cellText(key, row[key], now))));
  return prettyTable(
    headers.map(([, title]) => title),
    rows,
  );
}
