// Query of the cleanup/<provider> workflow, shared with the CLI (`nodepool cleanup-preview`).
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CleanupPassResult, CleanupSightings } from '../activities/cleanup/types';

export interface CleanupStatus {
  provider: string;
  /** Passes since the workflow started (across continue-as-new). */
  passes: number;
  phase: 'running' | 'waiting' | 'draining' | 'done';
  lastPass: (Omit<CleanupPassResult, 'next'> & { at: string }) | null;
  /** What the next pass deletes if it still finds it leaked (second sighting). */
  pending: CleanupSightings;
}

export const cleanupStatusQuery = defineQuery<CleanupStatus>('status');
/** Runs the next pass now (tests, after a config reload). */
export const cleanupPokeSignal = defineSignal('poke');
/** From the launcher at start and on reload: the interval it wants; also runs a pass now. */
export const cleanupConfigureSignal = defineSignal<[{ intervalSeconds?: number }]>('configure');

export const cleanupWorkflowId = (provider: string): string => `cleanup/${provider}`;
