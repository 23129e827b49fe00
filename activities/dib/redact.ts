// Blanks secure env-var values out of every line that leaves the DIB process (build log, failure
// details), because `-x` traces and element scripts can echo them.
export const REDACTED = '[redacted]';

export function makeRedactor(secrets: readonly string[]): (line: string) => string {
  // Longest first, so a secret that contains another is blanked whole.
  const values = [...new Set(secrets)].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  if (values.length === 0) return (line) => line;
  return (line) => {
    let out = line;
    for (const v of values) if (out.includes(v)) out = out.split(v).join(REDACTED);
    return out;
  };
}
