// pool/<provider>/<pool>: what an operator sees of a pool's queue in the Temporal Web UI. The
// queue itself lives in ZooKeeper and is walked by each launcher's admission (it costs nothing
// while requests wait); admission sends this workflow a summary when it changes (at most every
// few seconds): how many requests wait, why, the next ones in line, servers in use, paused.
// The summary is the workflow's current details line, a `status` query, and the NodepoolState
// search attribute (`paused` or `open`), so `WorkflowType = 'poolWorkflow' AND NodepoolState =
// 'paused'` lists the pools at quota. Nothing here decides anything.
import { condition, continueAsNew, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { NodepoolProvider, NodepoolState } from '../lib/temporal/search-attributes';
import { poolQueueSignal, poolStatusQuery, type PoolQueueStatus } from './messages';

export interface PoolWorkflowInput {
  provider: string;
  pool: string;
  /** Per launcher (hostname), carried over continue-as-new. */
  launchers?: Record<string, PoolQueueStatus>;
}

/** Updates per run: a few events each, far below the history limits. */
const UPDATES_PER_RUN = 500;
/** A launcher that has not reported for this long is gone (live ones report every 30 min). */
const STALE_MS = 3600_000;

function describe(launchers: Record<string, PoolQueueStatus>): string {
  const lines: string[] = [];
  for (const [host, s] of Object.entries(launchers).sort()) {
    const why = Object.entries(s.reasons)
      .sort((a, b) => b[1] - a[1])
      .map(([reason, n]) => `${n} × ${reason}`)
      .join('; ');
    const max = s.maxServers === null ? '∞' : String(s.maxServers);
    lines.push(
      `**${host}**: ${s.paused ? 'paused at quota' : 'open'}; ${s.nodes}/${max} servers; ${s.waiting} request(s) waiting` +
        (why ? ` (${why})` : '') +
        (s.next.length ? `; next: ${s.next.join(', ')}` : ''),
    );
  }
  return lines.join('\n\n') || 'no launcher has reported yet';
}

export async function poolWorkflow(input: PoolWorkflowInput): Promise<void> {
  const launchers: Record<string, PoolQueueStatus> = { ...(input.launchers ?? {}) };
  let updates = 0;
  let shown = -1;
  setHandler(poolQueueSignal, (s) => {
    launchers[s.launcher] = s;
    for (const [host, old] of Object.entries(launchers)) if (old.updatedAt < s.updatedAt - STALE_MS) delete launchers[host];
    updates++;
  });
  setHandler(poolStatusQuery, () => ({ provider: input.provider, pool: input.pool, launchers }));
  upsertSearchAttributes([{ key: NodepoolProvider, value: input.provider }]);
  let state = '';
  while (updates < UPDATES_PER_RUN && !workflowInfo().continueAsNewSuggested) {
    if (shown !== updates) {
      shown = updates;
      setCurrentDetails(describe(launchers));
      const next = Object.values(launchers).some((s) => s.paused) ? 'paused' : 'open';
      if (next !== state) upsertSearchAttributes([{ key: NodepoolState, value: (state = next) }]);
    }
    await condition(() => updates !== shown);
  }
  await continueAsNew<typeof poolWorkflow>({ ...input, launchers });
}
