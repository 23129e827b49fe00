// The Debian mirror this machine already uses, read from apt's own configuration at run time
// (one-line /etc/apt/sources.list{,.d/*.list} and deb822 /etc/apt/sources.list.d/*.sources), so
// no mirror host is ever written into the repo. Feeds DIB_DISTRIBUTION_MIRROR and the bookworm
// security workaround (spec dib-notes §3 failure 1).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AptSource {
  uri: string;
  suites: string[];
}

export function parseOneLine(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    // deb [options] uri suite [components]
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (m) out.push({ uri: m[1] as string, suites: [m[2] as string] });
  }
  return out;
}

export function parseDeb822(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {};
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#')) continue;
      const m = /^([\w-]+):\s*(.*)$/.exec(line);
      if (m) fields[(m[1] as string).toLowerCase()] = (m[2] as string).trim();
    }
    if (!(fields.types ?? '').split(/\s+/).includes('deb') || (fields.enabled ?? 'yes') === 'no') continue;
    const suites = (fields.suites ?? '').split(/\s+/).filter(Boolean);
    for (const uri of (fields.uris ?? '').split(/\s+/).filter(Boolean)) out.push({ uri, suites });
  }
  return out;
}

export function readAptSources(root = '/etc/apt'): AptSource[] {
  const out: AptSource[] = [];
  const tryRead = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return '';
    }
  };
  out.push(...parseOneLine(tryRead(join(root, 'sources.list'))));
  let names: string[] = [];
  try {
    names = readdirSync(join(root, 'sources.list.d')).sort();
  } catch {
    // none
  }
  for (const n of names) {
    if (n.endsWith('.list')) out.push(...parseOneLine(tryRead(join(root, 'sources.list.d', n))));
    else if (n.endsWith('.sources')) out.push(...parseDeb822(tryRead(join(root, 'sources.list.d', n))));
  }
  return out;
}

export interface DebianMirrors {
  /** DIB_DISTRIBUTION_MIRROR */
  mirror: string;
  /** DIB_DEBIAN_SECURITY_MIRROR (use with DIB_DEBIAN_SECURITY_SUBPATH=-security) */
  security: string;
}

/** The mirrors serving `release` and `<release>-security`, or undefined when apt has no such source. */
export function debianMirrors(sources: readonly AptSource[], release: string): DebianMirrors | undefined {
  const strip = (u: string) => u.replace(/\/+$/, '');
  const main = sources.find((s) => s.suites.includes(release));
  if (!main) return undefined;
  const sec = sources.find((s) => s.suites.includes(`${release}-security`));
  const mirror = strip(main.uri);
  return { mirror, security: sec ? strip(sec.uri) : mirror.replace(/\/debian$/, '/debian-security') };
}
