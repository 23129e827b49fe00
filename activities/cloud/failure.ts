// CloudError -> Temporal ApplicationFailure, for cloud activities to throw. Only `retryable` errors
// are retried by Temporal (honouring a cloud's Retry-After); `quota`, `notFound` and `fatal` are
// non-retryable and reach the workflow by type (QuotaExceededError, NotFoundError, ...), which
// decides: wait for quota, treat a missing server as deleted, fail the launch attempt.
import { ApplicationFailure } from '@temporalio/common';
import { isCloudError } from '../../drivers/errors';

export function toApplicationFailure(e: unknown): unknown {
  if (!isCloudError(e)) return e;
  return ApplicationFailure.create({
    message: e.message,
    type: e.name,
    nonRetryable: e.nonRetryable,
    details: [{ kind: e.kind, status: e.status ?? null, code: e.code ?? null }],
    ...(e.retryAfter !== undefined && e.kind === 'retryable' ? { nextRetryDelay: `${Math.ceil(e.retryAfter)}s` } : {}),
  });
}
