// One parsed YAML file plus what is needed to point back into it: the Document and LineCounter
// from the `yaml` package give every node's offset, which we turn into line:column for messages.
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Node,
  Scalar,
  type ScalarTag,
  type Tags,
} from 'yaml';
import { type ConfigIssue, type IssueKind, type PathSegment } from './errors';
import { describeValue, type RedactionRules } from './redact';

// PyYAML's safe_load is YAML 1.1 (merge keys, yes/no/on/off booleans, 0777 octal), but its
// resolvers are narrower than the `yaml` package's 1.1 schema. Match PyYAML, so a config means
// what it meant to Nodepool: `y`/`n` stay strings (not booleans), `.` and `1e5` and `123e4567`
// stay strings (PyYAML floats need a digit and a dot, and a signed exponent), `09` stays a string.
const BOOL = 'tag:yaml.org,2002:bool';
const INT = 'tag:yaml.org,2002:int';
const FLOAT = 'tag:yaml.org,2002:float';
const pyTrue: ScalarTag = {
  identify: (v) => v === true,
  default: true,
  tag: BOOL,
  test: /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/,
  resolve: () => new Scalar(true),
};
const pyFalse: ScalarTag = {
  identify: (v) => v === false,
  default: true,
  tag: BOOL,
  test: /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/,
  resolve: () => new Scalar(false),
};
const pyDecimal: ScalarTag = {
  identify: (v) => typeof v === 'number' && Number.isInteger(v),
  default: true,
  tag: INT,
  test: /^[-+]?(?:0|[1-9][0-9_]*)$/,
  resolve: (str) => new Scalar(parseInt(str.replace(/_/g, ''), 10)),
};
const pyFloat: ScalarTag = {
  identify: (v) => typeof v === 'number',
  default: true,
  tag: FLOAT,
  test: /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?)$/,
  resolve: (str) => new Scalar(parseFloat(str.replace(/_/g, ''))),
};

/** Keep the package's binary/octal/hex/sexagesimal ints, sexagesimal floats and .inf/.nan. */
function keepTag(t: Tags[number]): boolean {
  if (typeof t === 'string' || t.tag === BOOL) return typeof t === 'string';
  if (t.tag === INT) return 'format' in t && t.format !== undefined;
  if (t.tag === FLOAT) return ('format' in t && t.format === 'TIME') || ('test' in t && /inf/.test(String(t.test)));
  return true;
}

function pyyamlTags(tags: Tags): Tags {
  return [pyTrue, pyFalse, pyDecimal, pyFloat, ...tags.filter(keepTag)];
}

export class ConfigSource {
  readonly data: unknown;
  /** YAML syntax errors (fatal) and duplicate keys (warnings: PyYAML silently keeps the last). */
  readonly issues: ConfigIssue[] = [];
  private readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();

  constructor(
    readonly file: string,
    text: string,
    readonly rules: RedactionRules,
  ) {
    this.doc = parseDocument(text, {
      version: '1.1',
      merge: true,
      customTags: pyyamlTags,
      lineCounter: this.lines,
      prettyErrors: false,
    });
    // After the first syntax error the parser's further errors are mostly its consequences.
    const firstError = this.doc.errors.find((e) => e.code !== 'DUPLICATE_KEY');
    const reported = [...this.doc.errors, ...this.doc.warnings].filter((e) => e.code === 'DUPLICATE_KEY' || e === firstError);
    for (const e of reported) {
      const duplicate = e.code === 'DUPLICATE_KEY';
      const pos = this.lines.linePos(e.pos[0]);
      this.issues.push({
        severity: duplicate ? 'warning' : 'error',
        kind: 'yaml',
        file,
        path: [],
        line: pos.line,
        col: pos.col,
        // The parser's text can quote the source (alias or tag names), so not for the secure file.
        message: duplicate
          ? 'duplicate key in a mapping; the last one wins'
          : `YAML syntax error: ${rules.wholeFile ? `${e.code} (details hidden: secure file)` : e.message}`,
      });
    }
    const fatal = this.issues.some((i) => i.severity === 'error');
    this.data = fatal ? undefined : this.toJS();
  }

  /** toJS() throws on alias bombs ("excessive alias count"); that is a YAML error too. */
  private toJS(): unknown {
    try {
      return this.doc.toJS({ maxAliasCount: 10000 });
    } catch (e) {
      const message = this.rules.wholeFile ? 'details hidden: secure file' : e instanceof Error ? e.message : String(e);
      this.issues.push({ severity: 'error', kind: 'yaml', file: this.file, path: [], message: `YAML error: ${message}` });
      return undefined;
    }
  }

  /** Source text of a scalar (e.g. `release: 8.10` → "8.10", where the number would give 8.1). */
  sourceText(path: readonly PathSegment[]): string | undefined {
    const node = this.nodeAt(path).node;
    return isScalar(node) && typeof node.source === 'string' ? node.source : undefined;
  }

  /** The value at `path` in the parsed data (merge keys already applied). */
  valueAt(path: readonly PathSegment[]): unknown {
    let cur: unknown = this.data;
    for (const seg of path) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string | number, unknown>)[seg];
    }
    return cur;
  }

  describe(path: readonly PathSegment[], value: unknown = this.valueAt(path)): string {
    return describeValue(value, path, this.rules);
  }

  /** line:col of the value at `path` (or of its key when `atKey`), else of the nearest ancestor. */
  locate(path: readonly PathSegment[], atKey = false): { line: number; col: number } | undefined {
    const { node, keyNode, complete } = this.nodeAt(path);
    const target = atKey && complete && keyNode ? keyNode : node;
    const offset = target?.range?.[0];
    if (offset === undefined) return undefined;
    return this.lines.linePos(offset);
  }

  issue(severity: ConfigIssue['severity'], kind: IssueKind, path: PathSegment[], message: string, atKey = false): ConfigIssue {
    const pos = this.locate(path, atKey);
    return { severity, kind, file: this.file, path, ...(pos ? { line: pos.line, col: pos.col } : {}), message };
  }

  private nodeAt(path: readonly PathSegment[]): { node: Node | undefined; keyNode: Node | undefined; complete: boolean } {
    let node: Node | undefined = (this.doc.contents ?? undefined) as Node | undefined;
    let keyNode: Node | undefined;
    for (const seg of path) {
      const next = this.child(node, seg);
      if (!next) return { node, keyNode: undefined, complete: false };
      node = next.value;
      keyNode = next.key;
    }
    return { node, keyNode, complete: true };
  }

  /** One step down, following aliases and `<<` merge keys the way toJS() does. */
  private child(node: Node | undefined, seg: PathSegment): { key?: Node; value: Node } | undefined {
    const resolved = isAlias(node) ? (node.resolve(this.doc) as Node | undefined) : node;
    if (isSeq(resolved) && typeof seg === 'number') {
      const item = resolved.items[seg];
      return isPair(item) || item === undefined ? undefined : { value: item as Node };
    }
    if (!isMap(resolved)) return undefined;
    const merges: Node[] = [];
    for (const pair of resolved.items) {
      const key = pair.key as Node | null;
      const keyValue = isScalar(key) ? key.value : key;
      // The merge key's value is a Symbol('<<') in the `yaml` package; its source is '<<'.
      const isMerge = isScalar(key) && (key.source === '<<' || keyValue === '<<');
      if (isMerge && pair.value) merges.push(pair.value as Node);
      else if (keyValue !== null && typeof keyValue !== 'symbol' && String(keyValue) === String(seg)) {
        // A key without a value (`key:`) has no value node; point at the key then.
        const value = (pair.value ?? key) as Node;
        return { key: key ?? undefined, value };
      }
    }
    for (const m of merges) {
      const sources = isSeq(m) ? (m.items as Node[]) : [m];
      for (const src of sources) {
        const found = this.child(src, seg);
        if (found) return found;
      }
    }
    return undefined;
  }
}
