// The image file goes to Glance straight from disk: node's http(s) with pkgcloud's token and the
// catalog's image endpoint, a fixed Content-Length, and back-pressure from the socket, so memory
// stays flat whatever the image size (`request` would not stream a file with a length).
// Checksums are computed the same way, by streaming, when the builder did not supply them.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AuthenticationError, CloudTimeoutError, isCloudError } from '../../errors';
import { httpError, parseRetryAfter, transportError } from './errors';
import { ExchangeTimer, type ApiExchange } from './api-metrics';
import { serviceRoot } from './clients';
import { type OpenStackSession } from './session';

export interface Checksums {
  md5: string;
  sha256: string;
}

export async function fileChecksums(path: string): Promise<Checksums> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      md5.update(chunk);
      sha256.update(chunk);
    }
  });
  return { md5: md5.digest('hex'), sha256: sha256.digest('hex') };
}

class Progress extends Transform {
  sent = 0;
  private lastReport = 0;

  constructor(
    private readonly total: number,
    private readonly report?: (sent: number, total: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.sent += chunk.length;
    const now = Date.now();
    if (this.report && (now - this.lastReport > 1000 || this.sent === this.total)) {
      this.lastReport = now;
      this.report(this.sent, this.total);
    }
    cb(null, chunk);
  }
}

export interface PutFileOptions {
  /** Idle timeout: no byte moving for this long aborts the upload. */
  idleTimeoutMs: number;
  /** Epoch ms by which the whole upload must be done (image-upload-timeout). */
  deadline: number;
  onProgress?: (sent: number, total: number) => void;
}

/** PUT <image endpoint>/v2/images/<id>/file, re-authenticating once on 401. Reported to statsd
 *  like every other call (openstacksdk's upload is an image-proxy PUT). */
export async function putImageFile(session: OpenStackSession, imageId: string, path: string, opts: PutFileOptions): Promise<void> {
  const report = (x: ApiExchange): void => session.reportApiCall('image', 'PUT', `v2/images/${encodeURIComponent(imageId)}/file`, x);
  for (let attempt = 0; ; attempt++) {
    const exchange: ApiExchange = {};
    let token: string | undefined;
    try {
      token = await session.token();
      await session.rateLimit();
    } catch (e) {
      report(exchange);
      throw e;
    }
    try {
      await putOnce(session, token, imageId, path, opts, exchange);
      return report(exchange);
    } catch (e) {
      if (isCloudError(e) && e.status === 401 && attempt === 0) {
        session.invalidate(token);
        continue;
      }
      if (exchange.timer) report(exchange); // not for a local failure before the PUT (no file)
      if (isCloudError(e) && e.status === 401) throw new AuthenticationError(`${e.message} (again after re-authenticating)`, { status: 401 });
      throw e;
    }
  }
}

async function putOnce(session: OpenStackSession, token: string, imageId: string, path: string, opts: PutFileOptions, exchange: ApiExchange): Promise<void> {
  const endpoint = await session.endpoint('image');
  const url = new URL(`${serviceRoot('image', endpoint ?? '')}/v2/images/${encodeURIComponent(imageId)}/file`);
  const details = { method: 'PUT', url: url.toString() };
  const size = (await stat(path)).size;
  const t = session.transport;
  const mod = url.protocol === 'https:' ? https : http;
  const timer = (exchange.timer = new ExchangeTimer(url.toString()));
  const req = mod.request(url, {
    method: 'PUT',
    headers: {
      'X-Auth-Token': token,
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(size),
      'User-Agent': t.userAgent,
      Accept: 'application/json',
    },
    ...(url.protocol === 'https:' ? { rejectUnauthorized: t.strictSSL, ...(t.ca ? { ca: t.ca } : {}) } : {}),
  });
  req.setTimeout(opts.idleTimeoutMs, () => {
    req.destroy(Object.assign(new Error(`no progress for ${opts.idleTimeoutMs} ms`), { code: 'ESOCKETTIMEDOUT' }));
  });
  const overall = setTimeout(() => {
    req.destroy(Object.assign(new Error('upload timeout reached'), { code: 'ESOCKETTIMEDOUT' }));
  }, Math.max(0, opts.deadline - Date.now()));
  req.on('close', () => clearTimeout(overall));
  timer.watch(req);

  const response = new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let len = 0;
      res.on('data', (c: Buffer) => {
        // Only error text comes back; keep at most 64 KiB of it.
        if (len < 65536) chunks.push(c);
        len += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  const progress = new Progress(size, opts.onProgress);
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  // Glance may answer (401, 413, 409) before the body is sent: stop reading the file then.
  const sending = pipeline(file, progress, req).catch((e: unknown) => e);

  let res: Awaited<typeof response>;
  try {
    res = await response;
  } catch (e) {
    file.destroy();
    exchange.failed = true;
    const err = (e as { code?: string }).code === 'ESOCKETTIMEDOUT' ? new CloudTimeoutError(`${details.method} ${details.url}: ${(e as Error).message}`, details) : transportError(e, details);
    throw err;
  }
  if (res.status < 200 || res.status >= 300) {
    file.destroy();
    req.destroy(); // the body may be half sent: this socket cannot be reused
    throw httpError(res.status, res.body, { ...details, retryAfter: parseRetryAfter(res.headers['retry-after']) });
  }
  const sendErr = await sending;
  if (sendErr && progress.sent < size) {
    exchange.failed = true;
    throw transportError(sendErr, details);
  }
}
