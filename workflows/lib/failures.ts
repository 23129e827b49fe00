// How a failed activity is seen by the launch logic: Nodepool treats quota errors differently
// from everything else (abort and relaunch, without using up an attempt).
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';

export type FailureKind = 'quota' | 'timeout' | 'other';

export function failureKind(err: unknown): FailureKind {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    if (cause.type === 'Quota') return 'quota';
    if (cause.type === 'Timeout') return 'timeout';
  }
  if (cause instanceof TimeoutFailure) return 'timeout';
  return 'other';
}

/** Nodepool's statsd result key for a failed attempt (nodepool.launch.<result>). */
export function failureStatsKey(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure && cause.type) {
    const byType: Record<string, string> = {
      Quota: 'error.quota',
      Timeout: 'error.servercreatetimeout',
      ServerError: 'error.status',
      Keyscan: 'error.keyscan',
      NoImage: 'error.nodepool',
    };
    return byType[cause.type] ?? 'error.unknown';
  }
  return 'error.unknown';
}

export function failureMessage(err: unknown): string {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}

/** The server a failed launch attempt made, when the activity named it (details[0].serverId). */
export function failureServerId(err: unknown): string | null {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (!(cause instanceof ApplicationFailure)) return null;
  const d: unknown = cause.details?.[0];
  return d && typeof d === 'object' && typeof (d as { serverId?: unknown }).serverId === 'string' ? (d as { serverId: string }).serverId : null;
}
