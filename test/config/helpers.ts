// Shared helpers for the config tests: fixture paths and "issues as printed lines".
import { join } from 'node:path';
import { formatIssue, validateConfigFile, type LoadOptions } from '../../lib/config';

export const FIXTURES = join(__dirname, '..', 'fixtures', 'config');

export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

/** The printed issue lines for a config (+ secure file), as `nodepool config-validate` shows them. */
export async function issueLines(path: string, securePath?: string, opts: LoadOptions = {}): Promise<string[]> {
  const issues = await validateConfigFile(path, securePath, { env: {}, ...opts });
  return issues.map(formatIssue);
}

/** Only the error lines (warnings dropped). */
export async function errorLines(path: string, securePath?: string, opts: LoadOptions = {}): Promise<string[]> {
  const issues = await validateConfigFile(path, securePath, { env: {}, ...opts });
  return issues.filter((i) => i.severity === 'error').map(formatIssue);
}
