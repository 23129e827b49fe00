// Lists that span pages: Nova (`servers_links`), Neutron (`ports_links`, `floatingips_links`) and
// Glance (`next`). We take only the marker from the next link and send it ourselves, because a
// cloud behind a proxy often puts an internal host name in its links.
import { RetryableCloudError } from '../../errors';
import { type OpenStackSession, type ServiceName } from './session';

export interface PageQuery {
  service: ServiceName;
  path: string;
  /** Key of the item array, e.g. "servers". */
  key: string;
  qs?: Record<string, string | number | boolean>;
  pageSize: number;
}

interface Link {
  rel?: string;
  href?: string;
}

function nextHref(body: Record<string, unknown>, key: string): string | undefined {
  if (typeof body.next === 'string') return body.next; // Glance
  const links = body[`${key}_links`];
  if (!Array.isArray(links)) return undefined;
  return (links as Link[]).find((l) => l.rel === 'next')?.href;
}

function markerOf(href: string): string | undefined {
  const q = href.indexOf('?');
  if (q < 0) return undefined;
  return new URLSearchParams(href.slice(q + 1)).get('marker') ?? undefined;
}

export async function listAll<T>(session: OpenStackSession, q: PageQuery): Promise<T[]> {
  const out: T[] = [];
  const seen = new Set<string>();
  let marker: string | undefined;
  for (;;) {
    const qs = { ...q.qs, limit: q.pageSize, ...(marker ? { marker } : {}) };
    const { body } = await session.call<Record<string, unknown>>(q.service, { path: q.path, qs });
    const items = body?.[q.key];
    if (!Array.isArray(items)) {
      throw new RetryableCloudError(`GET ${q.path}: response has no "${q.key}" list`);
    }
    out.push(...(items as T[]));
    const href = nextHref(body, q.key);
    const next = href ? markerOf(href) : undefined;
    if (!next || items.length === 0) return out;
    if (seen.has(next)) throw new RetryableCloudError(`GET ${q.path}: pagination loops at marker ${next}`);
    seen.add(next);
    marker = next;
  }
}
