// Top-level request handler: finds the service by path prefix (one port serves them all, as in
// the catalog), counts the request, applies injected faults, checks the token, dispatches.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleAdmin } from './admin';
import { cinder } from './cinder';
import { applyFault } from './faults';
import { glance } from './glance';
import { HttpError, routeKey, sendError, sendJson, type Ctx } from './http';
import { keystone } from './keystone';
import { neutron } from './neutron';
import { nova } from './nova';
import { type Store } from './state';
import type { Service } from './types';

export interface ServiceModule {
  /** Requests served without a token (version discovery, token issue). */
  isPublic(method: string, path: string): boolean;
  handle(ctx: Ctx): Promise<void>;
}

const MOUNTS: Record<string, { service: Service; module: ServiceModule }> = {
  identity: { service: 'identity', module: keystone },
  compute: { service: 'compute', module: nova },
  network: { service: 'network', module: neutron },
  image: { service: 'image', module: glance },
  volume: { service: 'volume', module: cinder },
};

export function createHandler(store: Store, log?: (line: string) => void): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    if (log) {
      const t0 = Date.now();
      res.once('finish', () => log(`${req.method ?? 'GET'} ${url.pathname}${url.search} ${res.statusCode} ${Date.now() - t0}ms`));
    }
    const [, first = '', ...rest] = url.pathname.split('/');
    const mount = MOUNTS[first];
    const ctx: Ctx = {
      req,
      res,
      method: (req.method ?? 'GET').toUpperCase(),
      service: mount?.service ?? 'admin',
      path: rest.length ? `/${rest.join('/')}` : '',
      query: url.searchParams,
      store,
      base: `${store.baseUrl}/${first}`,
      headers: {},
    };
    const done = (err: unknown): void => {
      if (err instanceof HttpError) return sendError(ctx, err);
      process.stderr.write(`openstack-simulator: ${ctx.method} ${url.pathname}: ${(err as Error)?.stack ?? String(err)}\n`);
      sendError(ctx, new HttpError(500, 'The server has either erred or is incapable of performing the requested operation.'));
    };
    const run = async (): Promise<void> => {
      if (first === '_admin') return handleAdmin(ctx);
      if (!mount) {
        ctx.service = 'admin';
        return sendJson(ctx, 404, { error: `no service at /${first}` });
      }
      const key = routeKey(ctx.method, ctx.service, ctx.path);
      store.requests[key] = (store.requests[key] ?? 0) + 1;
      if (await applyFault(ctx)) return;
      store.tick();
      if (!mount.module.isPublic(ctx.method, ctx.path)) {
        const token = store.token(headerValue(req, 'x-auth-token'));
        if (!token || !token.scoped) return unauthorized(ctx);
        ctx.token = token;
      }
      await mount.module.handle(ctx);
    };
    run().catch(done);
  };
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** keystonemiddleware answers for every service, in Keystone's format, with WWW-Authenticate. */
function unauthorized(ctx: Ctx): void {
  ctx.req.resume();
  ctx.headers['WWW-Authenticate'] = `Keystone uri="${ctx.store.baseUrl}/identity"`;
  sendJson(ctx, 401, {
    error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
  });
}
