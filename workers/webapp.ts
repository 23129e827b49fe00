// The launcher's status web app (Nodepool's nodepool/webapp.py) on node:http: the status
// listings in table or JSON form, /ready, and /healthz. Paths match exactly (a trailing slash is
// a 404, as in Nodepool).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { ResponseCache } from './webapp/cache';
import { healthz, ready } from './webapp/health';
import { send, textReply, type Reply } from './webapp/http';
import { listingReply } from './webapp/listing';
import { LISTING_ROUTES } from './webapp/routes';
import { type WebApp, type WebAppConfig, type WebAppSource } from './webapp/types';
import { log } from '../lib/log';

export type { WebApp, WebAppConfig, WebAppSource };

const NOT_FOUND = textReply(404, '404 Not Found\n\nThe resource could not be found.\n');

async function route(req: IncomingMessage, source: WebAppSource, cache: ResponseCache): Promise<Reply> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return textReply(405, '405 Method Not Allowed\n', { Allow: 'GET, HEAD' });
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://webapp');
  } catch {
    return NOT_FOUND;
  }
  if (url.pathname === '/ready') return ready(source);
  if (url.pathname === '/healthz') return healthz(source);
  const listing = LISTING_ROUTES.get(url.pathname);
  return listing ? listingReply(req, url, listing, source, cache) : NOT_FOUND;
}

export async function startWebApp(source: WebAppSource, cfg: WebAppConfig): Promise<WebApp> {
  const cache = new ResponseCache(1);
  const logger = log('webapp');
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    route(req, source, cache)
      .then((reply) => send(res, reply, req.method === 'HEAD'))
      .catch((err: unknown) => {
        logger.error({ err, url: req.url }, 'web app request failed');
        if (!res.headersSent) send(res, textReply(500, '500 Internal Server Error\n'), false);
        else res.destroy();
      });
  };
  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.listenAddress, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.debug({ port, address: cfg.listenAddress }, 'web app listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
