// A status listing endpoint: negotiate the format, answer from the 1 s cache or read ZooKeeper,
// and set Nodepool's caching headers; If-Modified-Since at or after Last-Modified gives 304
// (WebOb's conditional_response_app).
import { type IncomingMessage } from 'node:http';
import { cacheKey, type ResponseCache } from './cache';
import { httpDate, JSON_TYPE, parseHttpDate, TEXT, textReply, type Reply } from './http';
import { requestedFormat } from './negotiate';
import { lastParam, type ListingRoute } from './routes';
import { type WebAppSource } from './types';
import { output, parseFields } from '../../lib/status/output';
import { isConnectionError, ZkError } from '../../lib/zk/errors';
import { log } from '../../lib/log';

export async function listingReply(req: IncomingMessage, url: URL, route: ListingRoute, source: WebAppSource, cache: ResponseCache): Promise<Reply> {
  const format = requestedFormat(req.headers.accept);
  if (!format) return textReply(406, '406 Not Acceptable\n\nOffered: text/html, text/plain, application/json\n');
  const params = url.searchParams;
  let entry;
  try {
    entry = await cache.getOrCompute(cacheKey(url.pathname, params, format), async () => {
      const listing = await route(source.session(), params);
      return output(listing, format, parseFields(lastParam(params, 'fields')));
    });
  } catch (e) {
    const zkDown = isConnectionError(e) || (e instanceof ZkError && e.code === 'CLOSED');
    log('webapp').error({ err: e, path: url.pathname }, 'status listing failed');
    return textReply(zkDown ? 503 : 500, zkDown ? '503 Service Unavailable\n\nZooKeeper is not reachable.\n' : '500 Internal Server Error\n');
  }
  const headers = {
    'Content-Type': format === 'json' ? JSON_TYPE : TEXT,
    'Cache-Control': `public, max-age=${cache.expirySeconds}`,
    'Last-Modified': httpDate(entry.lastModified),
    Expires: httpDate(entry.lastModified + cache.expirySeconds),
  };
  const since = parseHttpDate(req.headers['if-modified-since']);
  if (since !== null && Math.floor(entry.lastModified) <= since) {
    const { 'Content-Type': _type, ...kept } = headers;
    return { status: 304, headers: kept };
  }
  return { status: 200, headers, body: entry.body };
}
