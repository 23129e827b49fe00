// A test-only workflow that calls the DIB activity with the options run.ts recommends, so the
// Temporal test can check cancellation through heartbeats and what ends up in history. The real
// diskimage workflow lives in workflows/ (issue 6). Deterministic code only.
import { type Duration } from '@temporalio/common';
import { proxyActivities } from '@temporalio/workflow';
import type { DibActivities } from '../../activities/dib/run';
import type { BuildDiskimageInput, BuildDiskimageResult } from '../../activities/dib/types';

export async function dibBuildOnce(input: BuildDiskimageInput, buildTimeoutSeconds: number, heartbeatTimeout: Duration): Promise<BuildDiskimageResult> {
  const { buildDiskimage } = proxyActivities<DibActivities>({
    startToCloseTimeout: `${buildTimeoutSeconds + 15 * 60} seconds`,
    heartbeatTimeout,
    retry: { maximumAttempts: 1 },
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
  });
  return await buildDiskimage(input);
}
