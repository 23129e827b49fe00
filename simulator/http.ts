// Request context and response helpers shared by the service handlers, including each service's
// native error body (clients parse them: Nova `itemNotFound`, Neutron `NeutronError`, Glance text).
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store, TokenRecord } from './state';
import type { Service } from './types';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  service: Service | 'admin';
  /** Path below the service root, without the query, e.g. `/servers/detail`; `''` for the root. */
  path: string;
  query: URLSearchParams;
  store: Store;
  /** Absolute URL of the service root as in the catalog, e.g. `http://127.0.0.1:P/compute/v2.1`. */
  base: string;
  token?: TokenRecord;
  /** Headers every response of this request carries (e.g. the negotiated microversion). */
  headers: Record<string, string>;
}

/** Thrown by handlers; rendered in the service's native error format by the router. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Neutron error type, e.g. `PortNotFound`. */
    readonly type?: string,
  ) {
    super(message);
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
};

// Nova's fault wrapper keys, by status (nova/api/openstack/wsgi.py Fault._fault_names).
const NOVA_KEYS: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

function send(ctx: Ctx, status: number, body: string | Buffer, contentType?: string, extra: Record<string, string> = {}): void {
  if (ctx.res.headersSent) return;
  const headers: Record<string, string> = {
    ...ctx.headers,
    ...extra,
    'Content-Length': String(Buffer.byteLength(body)),
    'X-Openstack-Request-Id': `req-${crypto.randomUUID()}`,
  };
  if (contentType) headers['Content-Type'] = contentType;
  ctx.res.writeHead(status, headers);
  ctx.res.end(body);
}

export function sendJson(ctx: Ctx, status: number, body: unknown, extra?: Record<string, string>): void {
  send(ctx, status, JSON.stringify(body), 'application/json', extra);
}

export function sendEmpty(ctx: Ctx, status: number, extra?: Record<string, string>): void {
  send(ctx, status, '', undefined, extra);
}

export function sendText(ctx: Ctx, status: number, text: string, extra?: Record<string, string>): void {
  send(ctx, status, text, 'text/plain; charset=UTF-8', extra);
}

export function sendError(ctx: Ctx, err: HttpError): void {
  const { status, message } = err;
  const reason = REASONS[status] ?? 'Error';
  switch (ctx.service) {
    case 'compute':
    case 'volume':
      return sendJson(ctx, status, { [NOVA_KEYS[status] ?? 'computeFault']: { code: status, message } });
    case 'network':
      return sendJson(ctx, status, {
        NeutronError: { type: err.type ?? reason.replace(/ /g, ''), message, detail: '' },
      });
    case 'image':
      // Glance answers errors through webob: "<code> <reason>\n\n<explanation>\n\n   "
      return sendText(ctx, status, `${status} ${reason}\n\n${message}\n\n   `);
    case 'identity':
      return sendJson(ctx, status, { error: { code: status, message, title: reason } });
    default:
      return sendJson(ctx, status, { error: message });
  }
}

export async function readBody(req: IncomingMessage, max = 1 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const chunk = c as Buffer;
    size += chunk.length;
    if (size > max) throw new HttpError(413, 'Request is too large.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The JSON request body; 400 in the service's format when it is not JSON. */
export async function readJson(ctx: Ctx): Promise<unknown> {
  const buf = await readBody(ctx.req);
  if (buf.length === 0) throw new HttpError(400, 'The server could not comply with the request since it is either malformed or otherwise incorrect.');
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch {
    throw new HttpError(400, 'Malformed request body');
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Ensures the body is `{<key>: {...}}` and returns the inner object (Nova/Neutron envelopes). */
export function envelope(body: unknown, key: string): Record<string, unknown> {
  if (!isObject(body) || !isObject(body[key])) throw new HttpError(400, `Invalid input for field/attribute ${key}. Value: ${JSON.stringify(body)}.`);
  return body[key];
}

/** A path segment as an id, `{id}`-normalised for request counting. */
export function routeKey(method: string, service: string, path: string): string {
  const norm = path
    .split('/')
    .map((seg) => (/^[0-9a-f-]{32,36}$/i.test(seg) || /^\d+$/.test(seg) || /^(req|fault|rule)-/.test(seg) ? '{id}' : seg))
    .join('/');
  return `${method} ${service} ${norm}`;
}

/** Parses a `limit` query parameter; 400 when it is not a non-negative integer. */
export function parseLimit(q: URLSearchParams, max: number, dflt: number): number {
  const raw = q.get('limit');
  if (raw === null) return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new HttpError(400, `limit param must be an integer`);
  return Math.min(n, max);
}

/** Compiles a regex from admin input; 400 instead of a 500 when it does not compile. */
export function compileRegex(source: string, what: string): RegExp {
  try {
    return new RegExp(source);
  } catch (e) {
    throw new HttpError(400, `${what}: ${(e as Error).message}`);
  }
}
