// Turns OpenStack HTTP statuses, error bodies and transport failures into the four CloudError
// kinds. Nova/Neutron/Keystone errors are JSON envelopes; Glance errors are plain text or HTML.
import {
  type CloudError,
  type CloudErrorDetails,
  CloudTimeoutError,
  FatalCloudError,
  isCloudError,
  isQuotaMessage,
  NotFoundError,
  QuotaExceededError,
  RetryableCloudError,
} from '../../errors';

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** The human message inside an OpenStack error body, whatever the service. */
export function errorMessage(body: unknown): string {
  if (body === undefined || body === null || body === '') return '';
  if (typeof body === 'string') {
    const trimmed = body.trim();
    if (trimmed.startsWith('{')) {
      try {
        return errorMessage(JSON.parse(trimmed));
      } catch {
        /* plain text after all */
      }
    }
    // Glance/webob: "404 Not Found\n\nNo image found with ID x\n\n   "; HTML: strip the tags.
    return trimmed.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 500);
  }
  if (typeof body === 'object') {
    const o = body as Record<string, unknown>;
    if (typeof o.message === 'string') return o.message;
    // pkgcloud wraps a non-JSON error body as {err: "<text>"}
    if (typeof o.err === 'string') return errorMessage(o.err);
    // Nova {"badRequest":{"message"}}, Neutron {"NeutronError":{"message"}}, Keystone {"error":{"message"}}
    for (const v of Object.values(o)) {
      if (v && typeof v === 'object' && typeof (v as Record<string, unknown>).message === 'string') {
        return (v as { message: string }).message;
      }
    }
    if (typeof o.faultstring === 'string') return o.faultstring;
    return JSON.stringify(o).slice(0, 500);
  }
  return String(body);
}

export function httpError(status: number, body: unknown, details: CloudErrorDetails): CloudError {
  const msg = errorMessage(body);
  const text = `${details.method ?? 'GET'} ${details.url ?? ''} -> HTTP ${status}${msg ? `: ${msg}` : ''}`;
  const d = { ...details, status };
  if (status === 404) return new NotFoundError(text, d);
  if ((status === 403 || status === 413 || status === 409 || status === 400) && isQuotaMessage(msg)) {
    return new QuotaExceededError(text, d);
  }
  // 429 rate limit, 5xx (but 501 Not Implemented), 409 conflict with a transient state
  // (Nova task_state, Neutron port in use), 408.
  if (status === 429 || status === 408 || status === 409 || (status >= 500 && status !== 501)) {
    return new RetryableCloudError(text, d);
  }
  // Nova used to answer 413 overLimit with Retry-After for rate limits.
  if (status === 413 && details.retryAfter !== undefined) return new RetryableCloudError(text, d);
  return new FatalCloudError(text, d);
}

export function transportError(err: unknown, details: CloudErrorDetails): CloudError {
  const e = err as { code?: string; message?: string; connect?: boolean };
  const code = e?.code;
  const text = `${details.method ?? 'GET'} ${details.url ?? ''} failed: ${code ?? ''} ${e?.message ?? String(err)}`.replace(/\s+/g, ' ');
  const d = { ...details, code, cause: err };
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return new CloudTimeoutError(text, d);
  if (code && RETRYABLE_CODES.has(code)) return new RetryableCloudError(text, d);
  if (/socket hang up|ECONNRESET|aborted/i.test(e?.message ?? '')) return new RetryableCloudError(text, d);
  return new FatalCloudError(text, d);
}

/** Retry-After is seconds or an HTTP date. */
export function parseRetryAfter(v: unknown): number | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const n = Number(v);
  if (Number.isFinite(n)) return Math.max(0, n);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, (t - Date.now()) / 1000);
}

/** Runs a delete; false when the thing was already gone (404). Other errors keep their kind. */
export async function deleteQuietly(run: () => Promise<unknown>): Promise<boolean> {
  try {
    await run();
    return true;
  } catch (e) {
    if (isCloudError(e) && e.kind === 'notFound') return false;
    throw e;
  }
}
