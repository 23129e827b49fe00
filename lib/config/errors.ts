// Config problems as data: every issue carries the file, the key path and (when the YAML gave us
// one) the line:column, so a message can point the operator at the exact spot in nodepool.yaml.

/** One step of a key path: a mapping key or a list index. */
export type PathSegment = string | number;

/** Where an issue came from, so the CLI can say "YAML parsing failed" vs "Schema validation failed". */
export type IssueKind = 'io' | 'yaml' | 'schema' | 'reference' | 'secure';

export interface ConfigIssue {
  severity: 'error' | 'warning';
  kind: IssueKind;
  /** The file as the operator named it (-c / -s). */
  file: string;
  path: PathSegment[];
  /** 1-based; absent when the node could not be located (e.g. a missing key in an empty file). */
  line?: number;
  col?: number;
  /** Human text; any value in it has already been redacted where needed. */
  message: string;
}

/** `providers[0].pools[0].labels[1].diskimage` — the form operators see in Nodepool's docs. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** `file:line:col: path: message` (line/col and path left out when unknown/empty). */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line !== undefined ? `${issue.file}:${issue.line}:${issue.col ?? 1}` : issue.file;
  const path = issue.path.length > 0 ? `${formatPath(issue.path)}: ` : '';
  const level = issue.severity === 'warning' ? 'warning: ' : '';
  return `${where}: ${level}${path}${issue.message}`;
}

export function errorsOf(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return issues.filter((i) => i.severity === 'error');
}

/** Thrown by loadConfig when the config (or secure file) has at least one error. */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    const errors = errorsOf(issues);
    super(errors.map(formatIssue).join('\n') || 'invalid configuration');
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
