// What the cluster tests (test/cluster/*.test.ts) share: whether the cluster's binaries are there
// (the tests skip, saying why, when they are not), every workflow of ours scanned for failed
// workflow tasks and runs that ended badly (test/harness/invariants.ts), history outlines, log
// lines, and the cluster's memory for the report.
import { readFileSync, existsSync } from 'node:fs';
import { type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { temporalClusterBinaries, type TemporalCluster } from '../../tools/servers/temporal-cluster';
import { scanWorkflows, type WorkflowScan } from '../harness/invariants';

/** Why the cluster tests cannot run here (printed once), or false. */
export function clusterSkipReason(): string | false {
  const bins = temporalClusterBinaries();
  const skip = 'missing' in bins ? bins.missing : false;
  if (skip) console.log(`# skipping the Temporal cluster tests: ${skip}`);
  return skip;
}

/** The workflow startTemporalCluster starts and terminates to prove the cluster works: not ours. */
const NOT_OURS = "WorkflowType != 'clusterReadyProbe'";

/** Every run of every workflow of ours on the server (test/harness/invariants.ts scanWorkflows). */
export const scanOurWorkflows = (client: Client): Promise<WorkflowScan> => scanWorkflows(client, NOT_OURS);

const mib = (kib: number | undefined) => (kib === undefined ? '-' : `${(kib / 1024).toFixed(0)} MiB`);

/** Each service's RSS and PSS, and PostgreSQL's with its backends. */
export function memoryReport(c: TemporalCluster): string {
  return Object.entries(c.memory())
    .map(([svc, m]) => `${svc} rss ${mib(m?.rssKiB)} pss ${mib(m?.pssKiB)}${m && m.processes > 1 ? ` (${m.processes} processes)` : ''}`)
    .join('; ');
}

/** Whether a process is alive (signal 0). */
export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A run's history, one line per event: seconds since its start, the event type, the activity
 * type of a scheduled activity, the failure of a failed or timed-out one (for a failure's report).
 */
export async function historyOutline(client: Client, workflowId: string, runId?: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const seconds = (e: (typeof events)[number]) => Number(e.eventTime?.seconds ?? 0) + (e.eventTime?.nanos ?? 0) / 1e9;
  const t0 = events[0] ? seconds(events[0]) : 0;
  const scheduled = new Map<string, string>();
  return events
    .map((e) => {
      const type = (temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
      const s = e.activityTaskScheduledEventAttributes;
      if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '?');
      const failure = e.activityTaskFailedEventAttributes?.failure ?? e.activityTaskTimedOutEventAttributes?.failure ?? e.workflowTaskFailedEventAttributes?.failure;
      const of = e.activityTaskStartedEventAttributes?.scheduledEventId ?? e.activityTaskCompletedEventAttributes?.scheduledEventId ?? e.activityTaskFailedEventAttributes?.scheduledEventId ?? e.activityTaskTimedOutEventAttributes?.scheduledEventId;
      const activity = s?.activityType?.name ?? (of ? scheduled.get(String(of)) : undefined);
      const signal = e.workflowExecutionSignaledEventAttributes?.signalName;
      return `  ${String(e.eventId).padStart(3)} +${(seconds(e) - t0).toFixed(1)}s ${type}${activity ? ` ${activity}` : ''}${signal ? ` ${signal}` : ''}${localActivity(e.markerRecordedEventAttributes)}${failure ? `: ${failure.message ?? ''}` : ''}`;
    })
    .join('\n');
}

/** A local activity's marker: its type, attempt, and its result or failure. */
function localActivity(m: temporal.api.history.v1.IMarkerRecordedEventAttributes | null | undefined): string {
  if (!m) return '';
  const text = (key: string) => {
    const data = m.details?.[key]?.payloads?.[0]?.data;
    return data ? Buffer.from(data).toString('utf8') : undefined;
  };
  let info: { activity_type?: string; attempt?: number } = {};
  try {
    info = JSON.parse(text('data') ?? '{}') as typeof info;
  } catch {
    // not a local activity's marker
  }
  const result = text('result');
  const out = m.failure ? `failed: ${m.failure.cause?.message || m.failure.message || ''}` : result !== undefined ? `-> ${result.slice(0, 80)}` : '';
  return ` ${m.markerName ?? ''}${info.activity_type ? ` ${info.activity_type} (attempt ${info.attempt ?? '?'})` : ''} ${out}`;
}

/** The JSON log lines of these files with this `msg`. */
export function logLines(files: Array<string | undefined>, msg: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const f of files) {
    if (!f || !existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (!line.includes(msg)) continue;
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        if (j.msg === msg) out.push(j);
      } catch {
        // not one of ours (the SDK's core logs plain lines)
      }
    }
  }
  return out;
}
