// Picks the replay corpus from a directory of recorded histories (tools/replay/record.ts): per
// workflow type, one history for each distinct path, the shortest of each, so every path the
// workflows took in the recording run is replayed without keeping thousands of near-copies. A
// path is the order of what the workflow commanded (activities by type, timers, markers such as
// patches and local activities, children, signals sent, search attributes, completion), repeats
// collapsed, plus the set of signals it received.
//   npx tsx tools/replay/select.ts <recorded dir> <corpus dir, e.g. test/replay/v0.1.0>
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface JsonEvent {
  eventType?: string;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string } };
  workflowExecutionSignaledEventAttributes?: { signalName?: string };
  markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, unknown> };
  startChildWorkflowExecutionInitiatedEventAttributes?: { workflowType?: { name?: string } };
  workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } };
}

/** An event's kind: its type and what it names (not ids, times or payloads). */
function kind(e: JsonEvent): string {
  const named =
    e.activityTaskScheduledEventAttributes?.activityType?.name ??
    e.workflowExecutionSignaledEventAttributes?.signalName ??
    e.markerRecordedEventAttributes?.markerName ??
    e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name;
  return named ? `${e.eventType}:${named}` : String(e.eventType);
}

/** Events that record a workflow command: what a code change can make replay disagree with. */
const COMMANDS = new Set([
  'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED',
  'EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED',
  'EVENT_TYPE_TIMER_STARTED',
  'EVENT_TYPE_TIMER_CANCELED',
  'EVENT_TYPE_MARKER_RECORDED',
  'EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED',
  'EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
  'EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
  'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
  'EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED',
  'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
  'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
  'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED',
]);

function pathOf(events: readonly JsonEvent[]): string {
  const commands: string[] = [];
  for (const e of events) {
    if (!COMMANDS.has(String(e.eventType))) continue;
    const k = kind(e);
    if (commands[commands.length - 1] !== k) commands.push(k);
  }
  const signals = [...new Set(events.map((e) => e.workflowExecutionSignaledEventAttributes?.signalName).filter(Boolean))].sort();
  return `${commands.join('>')}|${signals.join(',')}`;
}

export function selectCorpus(from: string, to: string): Record<string, number> {
  const best = new Map<string, { file: string; size: number; type: string }>();
  for (const file of readdirSync(from).filter((f) => f.endsWith('.json'))) {
    const text = readFileSync(join(from, file), 'utf8');
    const events = (JSON.parse(text) as { events?: JsonEvent[] }).events ?? [];
    const type = events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? 'unknown';
    const key = `${type}|${pathOf(events)}`;
    const prev = best.get(key);
    if (!prev || text.length < prev.size) best.set(key, { file, size: text.length, type });
  }
  mkdirSync(to, { recursive: true });
  const counts: Record<string, number> = {};
  for (const { file, type } of best.values()) {
    counts[type] = (counts[type] ?? 0) + 1;
    // one line: a third of the pretty-printed size
    writeFileSync(join(to, `${type}-${String(counts[type]).padStart(3, '0')}.json`), JSON.stringify(JSON.parse(readFileSync(join(from, file), 'utf8'))));
  }
  return counts;
}

if (require.main === module) {
  const [from, to] = process.argv.slice(2);
  if (!from || !to) {
    console.error('usage: tools/replay/select.ts <recorded dir> <corpus dir>');
    process.exit(2);
  }
  console.log(JSON.stringify(selectCorpus(from, to)));
}
