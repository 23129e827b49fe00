// ApplicationFailures the workflow switches on by `type` (see DIB_FAILURE). All are
// non-retryable: a DIB failure is a build that the workflow records as FAILED and retries on its
// own schedule, never a blind activity retry that would reuse a half-written build id.
import { ApplicationFailure } from '@temporalio/common';
import { DIB_FAILURE } from './types';

export function dibFailed(image: string, buildId: string, rc: number | null, signal: string | null, logPath: string, lastLines: string[]): ApplicationFailure {
  const how = rc !== null ? `exit code ${rc}` : `signal ${signal ?? 'unknown'}`;
  return ApplicationFailure.create({
    message: `DIB failed for ${image}-${buildId} (${how}); log: ${logPath}`,
    type: DIB_FAILURE.failed,
    nonRetryable: true,
    details: [{ rc: rc ?? 1, signal, logPath, lastLines }],
  });
}

export function dibTimeout(image: string, buildId: string, timeoutSeconds: number, logPath: string): ApplicationFailure {
  return ApplicationFailure.create({
    message: `Build timeout for image ${image}, build ${buildId} after ${timeoutSeconds} s (log: ${logPath})`,
    type: DIB_FAILURE.timeout,
    nonRetryable: true,
    // Nodepool reports rc=1 for a timeout (status.rc gauge).
    details: [{ rc: 1, timeoutSeconds, logPath }],
  });
}

export function dibExecFailed(command: string, error: string): ApplicationFailure {
  return ApplicationFailure.create({
    message: `Failed to exec '${command}'. Error: '${error}'`,
    type: DIB_FAILURE.exec,
    nonRetryable: true,
    details: [{ command, error }],
  });
}

export function dibOutputMissing(image: string, buildId: string, missing: string[], logPath: string): ApplicationFailure {
  return ApplicationFailure.create({
    message: `DIB exited 0 for ${image}-${buildId} but wrote no ${missing.join(', ')} file; log: ${logPath}`,
    type: DIB_FAILURE.missingOutput,
    nonRetryable: true,
    details: [{ missing, logPath }],
  });
}

export function dibConfigError(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: DIB_FAILURE.config, nonRetryable: true });
}
