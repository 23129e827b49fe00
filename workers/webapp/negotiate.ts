// Content negotiation as WebOb's accept.acceptable_offers(['text/html', 'text/plain',
// 'application/json']) does it for Nodepool: each offer gets the q of the most specific matching
// media range, offers are ranked by q (ties keep offer order), q=0 excludes. application/json
// first means JSON, anything else the text table. No usable offer is Nodepool's IndexError (a
// 500); here it is null, which the handler answers with 406. Deliberately looser than WebOb:
// media-range parameters other than q are ignored (WebOb refuses `application/json;
// charset=utf-8`, which real clients send), and an empty header counts as absent.
import { type OutputFormat } from '../../lib/status/output';

const OFFERS = ['text/html', 'text/plain', 'application/json'] as const;

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The ranges of an Accept header, or null if it is not a valid one (treated as absent). */
function parseAccept(header: string): MediaRange[] | null {
  const ranges: MediaRange[] = [];
  for (const part of header.split(',')) {
    if (part.trim() === '') continue;
    const [media = '', ...params] = part.split(';').map((p) => p.trim());
    const [type = '', subtype = '', extra] = media.toLowerCase().split('/');
    if (!TOKEN.test(type) || !TOKEN.test(subtype) || extra !== undefined || (type === '*' && subtype !== '*')) return null;
    let q = 1;
    for (const p of params) {
      const [k = '', v = ''] = p.split('=').map((x) => x.trim());
      if (k.toLowerCase() !== 'q') continue;
      if (!/^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(v)) return null;
      q = Number(v);
      break; // accept-ext parameters after q do not restrict the match
    }
    ranges.push({ type, subtype, q });
  }
  return ranges.length > 0 ? ranges : null;
}

function specificity(r: MediaRange, offer: string): number {
  const [type, subtype] = offer.split('/');
  if (r.type === type && r.subtype === subtype) return 3;
  if (r.type === type && r.subtype === '*') return 2;
  if (r.type === '*' && r.subtype === '*') return 1;
  return -1;
}

/** The offers the header accepts, best first. */
export function acceptableOffers(header: string | undefined): string[] {
  const ranges = header === undefined ? null : parseAccept(header);
  if (!ranges) return [...OFFERS];
  const scored: Array<{ offer: string; q: number }> = [];
  for (const offer of OFFERS) {
    let best = -1;
    let q = 0;
    for (const r of ranges) {
      const s = specificity(r, offer);
      if (s > best) {
        best = s;
        q = r.q;
      }
    }
    if (best > 0 && q > 0) scored.push({ offer, q });
  }
  return scored.sort((a, b) => b.q - a.q).map((s) => s.offer);
}

/** 'json', 'pretty', or null when the client accepts none of our types. */
export function requestedFormat(accept: string | undefined): OutputFormat | null {
  const best = acceptableOffers(accept)[0];
  if (best === undefined) return null;
  return best === 'application/json' ? 'json' : 'pretty';
}
