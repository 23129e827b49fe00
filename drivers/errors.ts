// Cloud errors as four kinds a Temporal activity maps onto retry policy:
//   retryable: 429, 5xx, 409, timeouts, connection resets — try again with backoff;
//   quota:     the cloud refused for quota — the node workflow waits, it does not burn an attempt;
//   notFound:  the thing is gone — callers decide (delete treats it as success);
//   fatal:     bad request, forbidden, bad credentials, unsupported — retrying will not help.
// `type` is the ApplicationFailure type; only `retryable` should be retried by Temporal.

export type CloudErrorKind = 'retryable' | 'quota' | 'notFound' | 'fatal';

export interface CloudErrorDetails {
  status?: number;
  /** e.g. ECONNRESET, ESOCKETTIMEDOUT. */
  code?: string;
  method?: string;
  /** The URL without query string. */
  url?: string;
  /** Seconds, from a Retry-After header. */
  retryAfter?: number;
  requestId?: string;
  cause?: unknown;
}

export abstract class CloudError extends Error {
  abstract readonly kind: CloudErrorKind;
  readonly status?: number;
  readonly code?: string;
  readonly method?: string;
  readonly url?: string;
  readonly retryAfter?: number;
  readonly requestId?: string;

  constructor(message: string, details: CloudErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.code = details.code;
    this.method = details.method;
    this.url = details.url;
    this.retryAfter = details.retryAfter;
    this.requestId = details.requestId;
  }

  /** The ApplicationFailure type name. */
  get type(): string {
    return this.name;
  }

  get nonRetryable(): boolean {
    return this.kind !== 'retryable';
  }
}

export class RetryableCloudError extends CloudError {
  readonly kind = 'retryable' as const;
  override name = 'RetryableCloudError';
}

/** The request did not finish within the per-call timeout (the connection was aborted). */
export class CloudTimeoutError extends RetryableCloudError {
  override name = 'CloudTimeoutError';
}

export class QuotaExceededError extends CloudError {
  readonly kind = 'quota' as const;
  override name = 'QuotaExceededError';
}

export class NotFoundError extends CloudError {
  readonly kind = 'notFound' as const;
  override name = 'NotFoundError';
}

export class FatalCloudError extends CloudError {
  readonly kind = 'fatal' as const;
  override name = 'FatalCloudError';
}

/** Keystone refused the credentials (or a token was refused twice in a row). */
export class AuthenticationError extends FatalCloudError {
  override name = 'AuthenticationError';
}

/** A wait for a server's status (ServerStatusWatcher.waitFor) ran out of time. Not a CloudError:
 *  the caller decides what it means (launch-timeout, delete timeout). */
export class ServerWaitTimeoutError extends Error {
  override name = 'ServerWaitTimeoutError';

  constructor(
    readonly serverId: string,
    readonly timeoutMs: number,
    /** The server as last listed, null when it was listed as gone, undefined when never seen. */
    readonly lastSeen?: { status: string } | null,
  ) {
    super(`server ${serverId} did not reach the awaited state within ${timeoutMs} ms (last seen: ${lastSeen === undefined ? 'never' : (lastSeen?.status ?? 'gone')})`);
  }
}

/** Nodepool's quota test: "quota exceeded" / "number of ports exceeded" in the create error,
 *  and a server fault mentioning quota (e.g. "exceeds … quota"). */
export const QUOTA_MESSAGE = /quota exceeded|exceeds?\b.*\bquota|number of ports exceeded/i;

export function isQuotaMessage(message: string): boolean {
  return QUOTA_MESSAGE.test(message);
}

export function isCloudError(e: unknown): e is CloudError {
  return e instanceof CloudError;
}

export function errorKind(e: unknown): CloudErrorKind {
  return isCloudError(e) ? e.kind : 'fatal';
}

/** The error a launch attempt ends with when its server went ERROR: quota when the fault mentions
 *  quota (Nodepool: the node is aborted and relaunched without using up an attempt), fatal otherwise
 *  (a failed attempt: the workflow deletes the server and tries again, up to launch-retries). */
export function serverErrorToCloudError(server: { id: string; status: string; fault?: { message: string } }): CloudError | undefined {
  if (server.status !== 'ERROR') return undefined;
  const msg = server.fault?.message ?? '';
  const text = `server ${server.id} went ERROR${msg ? `: ${msg}` : ''}`;
  return /quota/i.test(msg) ? new QuotaExceededError(text) : new FatalCloudError(text);
}
