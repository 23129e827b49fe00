// Chaos: a storm of N one-node requests (default 100) written at once the way Zuul writes them,
// served by a real nodepool-launcher process on the OpenStack simulator while things go wrong:
//   - a share of every cloud call fails (default 20 %: 429, 500, 502 and 503 in equal parts, on
//     Keystone, Nova, Neutron and Glance alike; simulator faults with `probability`), and a few
//     Nova calls hang (never answered: the launcher's per-call timeout, 60 s, gives up on them);
//   - the launcher is killed with -9 twice (started again 2 s later), and ZooKeeper is stopped for
//     5 s once, at about 20 %, 45 % and 70 % of the requests answered (or 45 s after the event
//     before, whichever comes first).
// (ZooKeeper takes a few seconds more to start: sessions, with their 10 s timeout, may expire.)
// Nobody returns the nodes: the storm is over when every request is answered and the cloud and
// ZooKeeper agree. What makes it long: a request whose launcher was killed while holding it waits
// for lost-request cleanup (every NODEPOOL_CLEANUP_INTERVAL seconds, 60 by default), and a server
// delete that keeps meeting faults is retried with a backoff growing to 5 minutes.
//
//   npx tsx bench/chaos.ts [--n 100] [--fail-percent 20] [--hangs 3] [--boot-ms 2000] [--timeout-minutes 20]
//
//   --n N                 requests in the storm; default 100
//   --fail-percent P      share of cloud calls answered with an error; default 20
//   --hangs H             Nova calls that are never answered; default 3
//   --boot-ms MS          simulator BUILD -> ACTIVE delay (launches stay in flight); default 2000
//   --timeout-minutes M   give up waiting for the storm to settle after M minutes; default 20
//
// While it runs it prints each chaos event and, every 30 s, progress. Then, as seen when the storm
// settled (or at the timeout):
//   fulfilled, failed:    requests in each final state; failed ones are split by cause: a node that
//                         used up its launch-retries (from the launcher's log), or the decline reason
//   fulfilled, node gone: fulfilled requests with a node that no longer exists, is not READY or is
//                         allocated to another request (Zuul could not use what it was given)
//   requests lost:        neither fulfilled nor failed, by state (`vanished`: the znode is gone)
//   leaked servers:       servers whose node znode does not exist
//   duplicate servers:    servers beyond the first for one node id
//   nodes without server: READY node znodes with no server in the cloud
//   unattached floating IPs: floating IPs not attached to any port
//   locks left:           storm requests' and node znodes' locks still held
//   spare READY nodes:    READY nodes allocated to no request
//   when all were answered: leaks, duplicates, locks and nodes not READY at the moment the last
//                         request was answered (what the launcher's cleanup still had to do)
//   minutes to settle:    first request written -> every request answered, every node READY, no
//                         leaked or duplicate server, node without server, unattached floating IP
//                         or lock, and the three chaos events done
//   launch attempts failed: from the launcher's log, by failure kind
//   failed workflow tasks: node workflow runs whose history has a failed workflow task (such a run
//                         is stuck until a worker can run it, e.g. nondeterminism), by cause
//   cloud calls:          the simulator's count over the storm, how many the injected faults
//                         answered, and how many hung
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { temporal } from '@temporalio/proto';
import { startStack, type StackHandle } from '../test/harness/stack';
import { decodeNode } from '../lib/zk/codec-node';
import { decodeRequest } from '../lib/zk/codec-request';
import { isLocked } from '../lib/zk/lock';
import { nodeLockPath, nodePath, requestLockPath, requestPath } from '../lib/zk/paths';
import { type FaultSpec } from '../simulator/types';
import { nodeIdsNow } from './backlog/measure';
import { ZuulStandIn } from './backlog/zuul';
import { LABEL, stormConfig } from './storm/targets';

const { values: opts } = parseArgs({
  options: {
    n: { type: 'string', default: '100' },
    'fail-percent': { type: 'string', default: '20' },
    hangs: { type: 'string', default: '3' },
    'boot-ms': { type: 'string', default: '2000' },
    'timeout-minutes': { type: 'string', default: '20' },
  },
});
const whole = (flag: string, min: number): number => {
  const x = Number(opts[flag as keyof typeof opts]);
  if (!Number.isInteger(x) || x < min) throw new Error(`--${flag} wants a whole number >= ${min}, not ${String(opts[flag as keyof typeof opts])}`);
  return x;
};
const N = whole('n', 1);
const FAIL_PERCENT = Number(opts['fail-percent']);
if (!(FAIL_PERCENT >= 0 && FAIL_PERCENT < 100)) throw new Error('--fail-percent wants a number from 0 to below 100');
const HANGS = whole('hangs', 0);
const BOOT_MS = whole('boot-ms', 0);
const TIMEOUT_MS = whole('timeout-minutes', 1) * 60_000;
/** Where to write the histories of runs with a failed workflow task (to replay and debug them). */
const SAVE_DIR = process.env.NODEPOOL_CHAOS_SAVE;
const ERROR_STATUSES = [429, 500, 502, 503];
const SERVICES: FaultSpec['service'][] = ['identity', 'compute', 'network', 'image'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const line = (label: string, value: string | number) => console.log(`${`${label}:`.padEnd(26)}${value}`);

/** What the bench sees at one moment: ZooKeeper and the cloud. */
interface Look {
  states: Map<string, string>;
  /** Fulfilled requests with a node that is gone, not READY, or allocated to another request. */
  nodeGone: string[];
  nodes: Map<string, { state: string; allocatedTo: string | null }>;
  servers: number;
  leaked: string[];
  duplicates: number;
  nodesWithoutServer: number;
  unattachedFips: number;
  locks: number;
}

async function look(s: StackHandle, ids: string[]): Promise<Look> {
  const states = new Map<string, string>();
  const nodesOf = new Map<string, string[]>();
  await Promise.all(
    ids.map(async (id) => {
      const got = await s.zk.getIfExists(requestPath(id));
      const req = got ? decodeRequest(id, got.data) : null;
      states.set(id, req?.state ?? 'gone');
      if (req?.state === 'fulfilled') nodesOf.set(id, req.nodes);
    }),
  );
  const nodes = new Map<string, { state: string; allocatedTo: string | null }>();
  const nodeIds = await nodeIdsNow(s.zk);
  await Promise.all(
    nodeIds.map(async (id) => {
      const got = await s.zk.getIfExists(nodePath(id));
      if (!got || got.data.length === 0) return;
      const n = decodeNode(id, got.data);
      nodes.set(id, { state: n.state, allocatedTo: n.allocated_to });
    }),
  );
  const cloud = await s.sim.admin.state();
  const perNode = new Map<string, number>();
  const leaked: string[] = [];
  for (const sv of cloud.servers) {
    const id = sv.metadata.nodepool_node_id ?? '';
    if (!nodes.has(id)) leaked.push(sv.name);
    else perNode.set(id, (perNode.get(id) ?? 0) + 1);
  }
  let duplicates = 0;
  for (const k of perNode.values()) duplicates += k - 1;
  const nodesWithoutServer = [...nodes].filter(([id, n]) => n.state === 'ready' && !perNode.has(id)).length;
  let locks = 0;
  const lockPaths = [...ids.filter((id) => states.get(id) !== 'gone').map(requestLockPath), ...[...nodes.keys()].map(nodeLockPath)];
  await Promise.all(
    lockPaths.map(async (p) => {
      if (await isLocked(s.zk, p)) locks++;
    }),
  );
  const nodeGone = [...nodesOf].filter(([id, ns]) => ns.some((n) => nodes.get(n)?.state !== 'ready' || nodes.get(n)?.allocatedTo !== id)).map(([id]) => id);
  return {
    states,
    nodeGone,
    nodes,
    servers: cloud.servers.length,
    leaked,
    duplicates,
    nodesWithoutServer,
    unattachedFips: cloud.floatingIps.filter((f) => !f.port_id).length,
    locks,
  };
}

const count = (l: Look, state: string) => [...l.states.values()].filter((x) => x === state).length;
const answered = (l: Look) => count(l, 'fulfilled') + count(l, 'failed');
const settled = (l: Look) =>
  answered(l) === l.states.size &&
  [...l.nodes.values()].every((n) => n.state === 'ready') &&
  l.leaked.length + l.duplicates + l.nodesWithoutServer + l.unattachedFips + l.locks === 0;

/** Why requests failed and how launch attempts failed, from the launcher's log (all its runs). */
function fromLog(file: string): { exhaustedNodes: Set<string>; nodesOf: Map<string, Set<string>>; attemptKinds: Map<string, number>; failReasons: Map<string, string> } {
  const exhaustedNodes = new Set<string>();
  const nodesOf = new Map<string, Set<string>>();
  const attemptKinds = new Map<string, number>();
  const failReasons = new Map<string, string>();
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (!text.startsWith('{')) continue;
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(text) as Record<string, unknown>;
    } catch {
      continue; // a line cut short by kill -9
    }
    const msg = String(j.msg ?? '');
    const attempt = /^Launch attempt (\d+)\/(\d+) failed for node (\d+)$/.exec(msg);
    if (attempt) {
      const kind = String(j.kind ?? '?');
      attemptKinds.set(kind, (attemptKinds.get(kind) ?? 0) + 1);
      if (attempt[1] === attempt[2]) exhaustedNodes.add(attempt[3] as string);
    } else if (msg === 'accepted node request' && typeof j.requestId === 'string') {
      const set = nodesOf.get(j.requestId) ?? new Set<string>();
      for (const n of (j.nodes as string[] | undefined) ?? []) set.add(n);
      nodesOf.set(j.requestId, set);
    } else if (msg === 'declined node request' && j.result === 'failed' && typeof j.requestId === 'string') {
      failReasons.set(j.requestId, String(j.reason ?? '?'));
    }
  }
  return { exhaustedNodes, nodesOf, attemptKinds, failReasons };
}

/** Node workflow runs with a failed workflow task (a run stuck on it: e.g. nondeterminism), by cause and message. */
async function failedWorkflowTasks(s: StackHandle): Promise<{ runs: number; failed: number; causes: Map<string, number> }> {
  const causes = new Map<string, number>();
  let runs = 0;
  let failed = 0;
  for await (const wf of s.client.workflow.list({ query: 'WorkflowType = "nodeWorkflow"' })) {
    runs++;
    const history = await s.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    const first = (history.events ?? []).find((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    if (!first) continue;
    failed++;
    if (SAVE_DIR) {
      mkdirSync(SAVE_DIR, { recursive: true });
      writeFileSync(`${SAVE_DIR}/${wf.workflowId.replace(/\//g, '_')}-${wf.runId}.json`, JSON.stringify(temporal.api.history.v1.History.toObject(history as temporal.api.history.v1.History, { enums: String, longs: String, defaults: false }), null, 1));
    }
    const a = first.workflowTaskFailedEventAttributes;
    const cause = temporal.api.enums.v1.WorkflowTaskFailedCause[a?.cause ?? 0]?.replace('WORKFLOW_TASK_FAILED_CAUSE_', '') ?? String(a?.cause);
    const key = `${cause}: ${(a?.failure?.message ?? '').slice(0, 160)}`;
    causes.set(key, (causes.get(key) ?? 0) + 1);
  }
  return { runs, failed, causes };
}

async function injectFaults(s: StackHandle): Promise<string | undefined> {
  let hangId: string | undefined;
  // first in the list, so a hang is drawn before the errors (about one Nova call in a hundred, until used up)
  if (HANGS > 0) hangId = await s.sim.admin.injectFault({ service: 'compute', hang: true, times: HANGS, probability: 0.01 });
  if (FAIL_PERCENT > 0) {
    // k faults in a row, each hitting what the ones before spared: 1 - (1 - p)^k = FAIL_PERCENT
    const p = 1 - (1 - FAIL_PERCENT / 100) ** (1 / ERROR_STATUSES.length);
    for (const service of SERVICES) {
      for (const status of ERROR_STATUSES) await s.sim.admin.injectFault({ service, status, times: -1, probability: p });
    }
  }
  return hangId;
}

async function main(): Promise<void> {
  const s = await startStack((cloud) => stormConfig(cloud, { n: N, bootDelayMs: BOOT_MS, privateNetwork: false }), { bootDelayMs: BOOT_MS });
  try {
    await s.sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
    await s.sim.admin.setQuotas({ instances: -1, cores: -1, ram: -1 });
    await s.startLauncher();
    console.log(
      `chaos storm: ${N} requests, ${FAIL_PERCENT} % of cloud calls failing (${ERROR_STATUSES.join('/')}), ${HANGS} Nova calls hanging, ` +
        `boot ${BOOT_MS} ms; launcher kill -9 twice, ZooKeeper restart once`,
    );
    const callsBefore = Object.values((await s.sim.admin.state()).requests).reduce((a, b) => a + b, 0);
    const hangId = await injectFaults(s);

    const zuul = new ZuulStandIn(s.zk);
    const t0 = Date.now();
    for (let i = 0; i < N; i++) await zuul.submit(LABEL);
    const ids = zuul.ids;
    const at = () => `+${((Date.now() - t0) / 1000).toFixed(1)} s`.padEnd(9);

    const events: Array<{ at: number; what: string; run: () => Promise<void> }> = [
      { at: 0.2, what: 'launcher killed -9', run: () => restartLauncher(s) },
      { at: 0.45, what: 'ZooKeeper stopped', run: () => restartZooKeeper(s) },
      { at: 0.7, what: 'launcher killed -9', run: () => restartLauncher(s) },
    ];
    let lastEventAt = t0;
    let lastProgressAt = t0;
    let last: Look | undefined;
    let settledAt: number | undefined;
    let firstAnswered: Look | undefined;
    while (Date.now() - t0 < TIMEOUT_MS) {
      try {
        last = await look(s, ids);
      } catch (err) {
        console.log(`${at()} (look failed: ${(err as Error).message})`);
        await sleep(1000);
        continue;
      }
      if (!firstAnswered && answered(last) === N) firstAnswered = last;
      const next = events[0];
      if (next && (answered(last) >= next.at * N || Date.now() - lastEventAt >= 45_000)) {
        events.shift();
        const building = [...last.nodes.values()].filter((n) => n.state === 'building').length;
        const before = `${count(last, 'fulfilled')} fulfilled, ${count(last, 'failed')} failed, ${building} building`;
        const started = Date.now();
        await next.run();
        console.log(`${at()} ${next.what} (${before}); back after ${((Date.now() - started) / 1000).toFixed(1)} s`);
        lastEventAt = Date.now();
        continue;
      }
      if (!next && settled(last)) {
        settledAt = Date.now();
        break;
      }
      if (Date.now() - lastProgressAt >= 30_000) {
        lastProgressAt = Date.now();
        const byState = new Map<string, number>();
        for (const n of last.nodes.values()) byState.set(n.state, (byState.get(n.state) ?? 0) + 1);
        const nodes = [...byState].map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
        console.log(`${at()} ${count(last, 'fulfilled')} fulfilled, ${count(last, 'failed')} failed; nodes: ${nodes}; ${last.servers} servers`);
      }
      await sleep(1000);
    }
    if (!last) throw new Error('never got a look at ZooKeeper and the cloud');
    const end = last;

    const log = fromLog(s.launcherLog);
    const failedIds = ids.filter((id) => end.states.get(id) === 'failed');
    const exhausted = failedIds.filter((id) => [...(log.nodesOf.get(id) ?? [])].some((n) => log.exhaustedNodes.has(n))).length;
    const otherReasons = new Map<string, number>();
    for (const id of failedIds) {
      if ([...(log.nodesOf.get(id) ?? [])].some((n) => log.exhaustedNodes.has(n))) continue;
      const r = log.failReasons.get(id) ?? 'reason not in the log';
      otherReasons.set(r, (otherReasons.get(r) ?? 0) + 1);
    }
    const state = await s.sim.admin.state();
    const calls = Object.values(state.requests).reduce((a, b) => a + b, 0) - callsBefore;
    const faults = await s.sim.admin.faults();
    const hit = faults.reduce((a, f) => a + f.hits, 0) + (hangId && !faults.some((f) => f.id === hangId) ? HANGS : 0);
    const hangs = hangId ? (faults.find((f) => f.id === hangId)?.hits ?? HANGS) : 0;
    const wft = await failedWorkflowTasks(s);
    const spare = [...end.nodes.values()].filter((n) => n.state === 'ready' && !n.allocatedTo).length;

    console.log('');
    line('fulfilled', `${count(end, 'fulfilled')} of ${N}`);
    line('fulfilled, node gone', `${end.nodeGone.length}${end.nodeGone.length ? ' (fulfilled with a node that is gone, not READY or not theirs: Zuul cannot use it)' : ''}`);
    line(
      'failed',
      `${failedIds.length} (launch-retries exhausted: ${exhausted}${[...otherReasons].map(([r, k]) => `; ${r}: ${k}`).join('')})`,
    );
    const lostStates = new Map<string, number>();
    for (const st of end.states.values()) if (st !== 'fulfilled' && st !== 'failed') lostStates.set(st, (lostStates.get(st) ?? 0) + 1);
    line('requests lost', `${N - answered(end)}${lostStates.size ? ` (${[...lostStates].map(([k, v]) => `${v} ${k === 'gone' ? 'vanished' : k}`).join(', ')})` : ''}`);
    line('leaked servers', `${end.leaked.length}${end.leaked.length ? ` (${end.leaked.slice(0, 5).join(', ')}${end.leaked.length > 5 ? ', ...' : ''})` : ''}`);
    line('duplicate servers', end.duplicates);
    line('nodes without server', end.nodesWithoutServer);
    line('unattached floating IPs', end.unattachedFips);
    line('locks left', end.locks);
    line('spare READY nodes', `${spare} (not allocated to a request)`);
    if (firstAnswered) {
      line(
        'when all were answered',
        `${firstAnswered.leaked.length} leaked, ${firstAnswered.duplicates} duplicate servers, ${firstAnswered.locks} locks held, ` +
          `${[...firstAnswered.nodes.values()].filter((n) => n.state !== 'ready').length} nodes not READY`,
      );
    }
    line('minutes to settle', settledAt ? ((settledAt - t0) / 60_000).toFixed(1) : `not settled after ${TIMEOUT_MS / 60_000} (figures as at the timeout)`);
    line('launch attempts failed', `${[...log.attemptKinds.values()].reduce((a, b) => a + b, 0)} (${[...log.attemptKinds].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'})`);
    line('failed workflow tasks', `${wft.failed} of ${wft.runs} node workflow runs`);
    for (const [k, v] of wft.causes) console.log(`${''.padEnd(26)}${v}× ${k}`);
    line('cloud calls', `${calls}, ${hit} answered by injected faults (${calls ? ((hit / calls) * 100).toFixed(1) : '0'} %), ${hangs} hung`);
    console.log(`launcher log: ${s.launcherLog}`);
  } finally {
    await s.sim.admin.clearFaults().catch(() => undefined);
    await s.stop();
  }
}

async function restartLauncher(s: StackHandle): Promise<void> {
  await s.killLauncher();
  await sleep(2000);
  await s.startLauncher();
}

async function restartZooKeeper(s: StackHandle): Promise<void> {
  await s.zkServer.stop();
  await sleep(5000);
  await s.zkServer.start();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
