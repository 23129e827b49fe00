// Two launchers, one config (how Nodepool sites get redundancy): a storm served by two
// nodepool-launcher processes, the stats leader killed with -9 in the middle. Every request is
// fulfilled once, one server per node, the pool never above max-servers, no lock left behind;
// min-ready and cleanup run once for both (one workflow each, min-ready never overshoots); the
// fleet-wide gauges come from the elected stats leader alone, and the other launcher takes over
// when it dies; each launcher's web app lists the whole pool, not just its own nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { useStack, eventually, type LauncherProcess, type Stack } from '../harness/stack';
import { assertNoLocks } from '../harness/invariants';
import { listNodes } from '../../activities/launcher/store';
import { isLocked, lockContenders } from '../../lib/zk/lock';
import { REQUESTS, REQUESTS_LOCK, STATS_ELECTION } from '../../lib/zk/paths';
import { freePort } from '../../tools/servers/process';
import { type Node } from '../../lib/model';

const MAX_SERVERS = 8;
const MIN_READY = 2;
const STORM = 30;
/**
 * A small workflow cache, as on a busy site where hundreds of node workflows push min-ready's out:
 * its passes then run on either launcher, not always on the one whose session made its requests.
 */
const SMALL_CACHE = { NODEPOOL_WORKFLOW_CACHE: '4' };

const stack = useStack(
  (cloud) => ({
    labels: [{ name: 'storm' }, { name: 'warm', 'min-ready': MIN_READY }],
    providers: [
      {
        name: 'sim',
        cloud,
        rate: 0,
        'cloud-images': [{ name: 'noble', 'image-name': 'ubuntu-noble' }],
        pools: [
          {
            name: 'main',
            'max-servers': MAX_SERVERS,
            'host-key-checking': false,
            labels: ['storm', 'warm'].map((name) => ({ name, 'cloud-image': 'noble', 'flavor-name': 'm1.tiny' })),
          },
        ],
      },
    ],
  }),
  async (s) => {
    await s.sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
    await s.sim.admin.setQuotas({ instances: -1, cores: -1, ram: -1 });
    await s.sim.admin.setBootDelay(1000);
  },
);

/** A statsd server of one launcher: every line it got, with when. */
class StatsdCapture {
  readonly lines: Array<{ at: number; line: string }> = [];
  private readonly socket: Socket = createSocket('udp4');

  async start(): Promise<number> {
    this.socket.on('message', (m) => {
      const at = Date.now();
      for (const line of m.toString().split('\n')) if (line) this.lines.push({ at, line });
    });
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', () => r()));
    this.socket.unref();
    return this.socket.address().port;
  }

  /** Arrival times of the stats leader's node gauges. */
  nodeGauges(): number[] {
    return this.lines.filter((l) => l.line.startsWith('nodepool.nodes.')).map((l) => l.at);
  }

  has(prefix: string): boolean {
    return this.lines.some((l) => l.line.startsWith(prefix));
  }

  close(): void {
    this.socket.close();
  }
}

interface Drained {
  fulfilled: Array<{ id: string; nodes: string[] }>;
  failed: string[];
  missing: string[];
  errors: string[];
}

const warmFree = (nodes: Node[]) => nodes.filter((n) => n.type.includes('warm') && n.state === 'ready' && !n.allocated_to);

async function webapp(port: number, path: string): Promise<Array<Record<string, unknown>>> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { Accept: 'application/json' } });
  assert.equal(res.status, 200, `${path} on port ${port}`);
  return (await res.json()) as Array<Record<string, unknown>>;
}

/** Running workflows of a type (there must be one for the whole fleet, not one per launcher). */
async function running(s: Stack, type: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of s.client.workflow.list({ query: `WorkflowType = '${type}' AND ExecutionStatus = 'Running'` })) ids.push(wf.workflowId);
  return ids;
}

test('two launchers on one config: a storm with the stats leader killed -9', async (t) => {
  const s = stack();
  const statsA = new StatsdCapture();
  const statsB = new StatsdCapture();
  const [portA, portB, webA, webB] = [await statsA.start(), await statsB.start(), await freePort(), await freePort()];
  let b: LauncherProcess | undefined;
  const logs = () => [s.launcherLog, b?.log].map((f) => (f ? `== ${f}\n${readFileSync(f, 'utf8').slice(-3000)}` : '')).join('\n');
  try {
    // A first, so it is first in line in the stats election
    await s.startLauncher({ ...SMALL_CACHE, STATSD_HOST: '127.0.0.1', STATSD_PORT: String(portA) }, [], [], { webappPort: webA });
    await eventually('min-ready filled by A', async () => warmFree(await listNodes(s.zk)).length === MIN_READY, 90_000);
    b = s.startOtherLauncher('b', { env: { ...SMALL_CACHE, STATSD_HOST: '127.0.0.1', STATSD_PORT: String(portB) }, webappPort: webB });
    await b.running;
    const pidA = s.launcherPid as number;
    const pidB = b.pid as number;

    // --- the election: both contend, kazoo naming, "<hostname>-<pid>"; A (first in line) leads
    const contenders = await eventually('both launchers in the stats election', async () => {
      const c = await lockContenders(s.zk, STATS_ELECTION);
      return c.length === 2 ? c : null;
    });
    assert.ok(contenders[0]?.endsWith(`-${pidA}`) && contenders[1]?.endsWith(`-${pidB}`), `contenders ${contenders.join(', ')}`);
    for (const child of await s.zk.getChildren(STATS_ELECTION)) assert.match(child, /^[0-9a-f]{32}__lock__\d{10}$/);
    await eventually('the leader sends the node gauges', async () => statsA.nodeGauges().length > 0);
    await eventually('both send their max_servers', async () => statsA.has('nodepool.provider.sim.max_servers:8|g') && statsB.has('nodepool.provider.sim.max_servers:8|g'));
    assert.ok(statsA.has('nodepool.provider.sim.pool.main.addressable_requests:'), 'the leader sends addressable_requests');
    assert.ok(statsA.has('nodepool.label.warm.nodes.ready:2|g'));

    // --- one min-ready and one cleanup workflow for both launchers
    assert.deepEqual(await running(s, 'minReadyWorkflow'), ['min-ready']);
    assert.deepEqual(await running(s, 'cleanupWorkflow'), ['cleanup/sim']);

    // --- sampling from here on: servers and nodes of the pool, min-ready's nodes
    let maxServers = 0;
    let maxNodes = 0;
    const serversOf = new Map<string, Set<string>>();
    // min-ready's own nodes: warm, not yet taken by Zuul (unallocated or a min-ready request's)
    let maxWarm = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [nodes, state] = await Promise.all([listNodes(s.zk), s.sim.admin.state()]);
        const servers = state.servers.filter((sv) => sv.metadata.nodepool_pool_name === 'main');
        maxServers = Math.max(maxServers, servers.length);
        maxNodes = Math.max(maxNodes, nodes.filter((n) => n.pool === 'main').length);
        for (const sv of servers) {
          const id = sv.metadata.nodepool_node_id ?? '?';
          serversOf.set(id, (serversOf.get(id) ?? new Set()).add(sv.id));
        }
        maxWarm = Math.max(maxWarm, nodes.filter((n) => n.type.includes('warm') && ['init', 'building', 'ready'].includes(n.state) && (!n.allocated_to || n.allocated_to.startsWith('900-'))).length);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      // --- Zuul takes a min-ready node twice with both launchers up: min-ready (whichever
      // launcher runs its pass) replaces each exactly once
      for (let i = 0; i < 2; i++) {
        const took = await s.zuul(['request', '--label', 'warm', '--wait', '--use', '--release', '--timeout', '60']);
        assert.equal(took.state, 'fulfilled');
        await eventually('min-ready refilled', async () => {
          const nodes = await listNodes(s.zk);
          return warmFree(nodes).length === MIN_READY && !nodes.some((n) => n.type.includes('warm') && (n.state === 'building' || n.state === 'init'));
        }, 90_000);
      }

      // --- a few storm requests held (not yet returned): both web apps list every node. Two are
      // submitted while B is stopped for a moment (well inside its ZooKeeper session), two while
      // A is, so each launcher surely has nodes the other's web app must list
      const inState = (ids: string[], states: string[], timeoutMs: number) =>
        eventually(`held requests ${states.join('/')}`, async () => {
          const reqs = (await s.zuul(['list-requests'])) as Record<string, { state: string }>;
          return ids.every((id) => states.includes(reqs[id]?.state ?? ''));
        }, timeoutMs);
      const held: string[] = [];
      for (const paused of [pidB, pidA]) {
        process.kill(paused, 'SIGSTOP');
        try {
          const two = (await s.zuul(['submit', '--label', 'storm', '--count', '2'])).request_ids as string[];
          held.push(...two);
          // accepted (its nodes made) by the launcher still running; a few seconds at most
          await inState(two, ['pending', 'fulfilled'], 4000).catch(() => undefined);
        } finally {
          process.kill(paused, 'SIGCONT');
        }
      }
      await inState(held, ['fulfilled'], 90_000);
      const inZk = (await listNodes(s.zk)).filter((n) => n.state !== 'deleting' && n.state !== 'deleted');
      const launcherOf = new Map(inZk.map((n) => [n.id, n.launcher]));
      for (const port of [webA, webB]) {
        await eventually(`web app ${port} lists every node`, async () => {
          const listed = await webapp(port, '/node-list');
          const ids = new Set(listed.map((n) => n.id as string));
          return inZk.every((n) => ids.has(n.id)) ? true : null;
        }, 10_000);
        const requests = new Set((await webapp(port, '/request-list')).map((r) => r.id as string));
        assert.ok(held.every((id) => requests.has(id)), `web app ${port} lists every request`);
        assert.deepEqual((await webapp(port, '/label-list')).map((l) => l.label), ['storm', 'warm']);
      }
      const launchers = new Set(launcherOf.values());
      assert.equal(launchers.size, 2, `nodes of both launchers (and both web apps list them): ${JSON.stringify([...launcherOf])}`);

      // --- the storm: 30 requests (the 4 held among them), Zuul using and returning each
      const more = (await s.zuul(['submit', '--label', 'storm', '--count', String(STORM - held.length)])).request_ids as string[];
      const ids = [...held, ...more];
      const drain = s.zuul(['drain', '--ids', ids.join(','), '--timeout', '400', '--job-seconds', '1'], 460_000) as unknown as Promise<Drained>;
      await eventually('storm under way', async () => {
        const left = new Set(await s.zk.getChildren(REQUESTS));
        return ids.filter((id) => !left.has(id)).length >= 8;
      }, 120_000);

      // --- kill -9 the stats leader mid-storm
      const leader = (await lockContenders(s.zk, STATS_ELECTION))[0];
      assert.ok(leader?.endsWith(`-${pidA}`), `A leads (${leader})`);
      const killedAt = Date.now();
      await s.killLauncher();
      await eventually('B takes over the gauges', async () => statsB.nodeGauges().length > 0, 60_000);
      assert.ok(statsB.nodeGauges().every((at) => at > killedAt), 'B sent no node gauges while A led');
      assert.ok(statsA.nodeGauges().every((at) => at <= killedAt + 100), 'A sent none after it died');
      assert.deepEqual((await lockContenders(s.zk, STATS_ELECTION)).map((c) => c.endsWith(`-${pidB}`)), [true], 'only B in the election');

      const drained = await drain;
      assert.deepEqual(drained.missing, [], `all served: ${JSON.stringify(drained).slice(0, 500)}`);
      assert.deepEqual(drained.errors, []);
      assert.deepEqual(drained.failed, []);
      assert.equal(drained.fulfilled.length, STORM);
      assert.equal(new Set(drained.fulfilled.map((f) => f.id)).size, STORM, 'each request fulfilled once');
      const nodeIds = drained.fulfilled.flatMap((f) => f.nodes);
      assert.equal(nodeIds.length, STORM);
      assert.equal(new Set(nodeIds).size, STORM, 'no node given to two requests');

      // --- after: used nodes gone with their servers, min-ready refilled (the storm took its
      // nodes' room: at max-servers the oldest unused READY node is deleted), nothing locked
      await eventually('storm nodes gone, min-ready refilled', async () => {
        const nodes = await listNodes(s.zk);
        const minReadyRequests = (await s.zk.getChildren(REQUESTS)).filter((id) => id.startsWith('900-'));
        const servers = (await s.sim.admin.state()).servers;
        return nodes.length === MIN_READY && warmFree(nodes).length === MIN_READY && minReadyRequests.length === 0 && servers.length === MIN_READY;
      }, 120_000);
      await assertNoLocks(s, ids, nodeIds);
      for (const id of await s.zk.getChildren(REQUESTS_LOCK).catch(() => [])) assert.equal(await isLocked(s.zk, `${REQUESTS_LOCK}/${id}`), false, `request lock ${id} left`);
      await new Promise((r) => setTimeout(r, 3000));
      const nodes = await listNodes(s.zk);
      assert.equal(nodes.length, MIN_READY, `only the min-ready nodes are left: ${nodes.map((n) => `${n.id}:${n.type[0]}:${n.state}`).join(' ')}`);
      assert.equal(warmFree(nodes).length, MIN_READY, 'min-ready keeps exactly its count');
      for (const n of nodes) assert.equal(await isLocked(s.zk, `/nodepool/nodes/${n.id}/lock`), false, `node ${n.id} unlocked`);
      const servers = (await s.sim.admin.state()).servers;
      assert.deepEqual(servers.map((sv) => sv.metadata.nodepool_node_id).sort(), nodes.map((n) => n.id).sort(), 'one server per node, none stray');
      assert.deepEqual(await running(s, 'minReadyWorkflow'), ['min-ready']);
      assert.deepEqual(await running(s, 'cleanupWorkflow'), ['cleanup/sim']);
      // B's web app still answers for everything
      const listed = new Set((await webapp(webB, '/node-list')).map((n) => n.id as string));
      assert.ok(nodes.every((n) => listed.has(n.id)), 'B lists every node');
    } finally {
      sampling = false;
      await sampler;
    }
    assert.ok(maxServers <= MAX_SERVERS, `at most ${MAX_SERVERS} servers at once (saw ${maxServers})`);
    assert.ok(maxNodes <= MAX_SERVERS, `at most ${MAX_SERVERS} nodes of the pool at once (saw ${maxNodes})`);
    const twice = [...serversOf].filter(([, set]) => set.size > 1).map(([id]) => id);
    assert.deepEqual(twice, [], 'no node ever had two servers');
    assert.ok(maxWarm <= MIN_READY, `min-ready never had more than ${MIN_READY} nodes of its own (saw ${maxWarm})`);
  } catch (err) {
    t.diagnostic(logs());
    throw err;
  } finally {
    await b?.stop();
    statsA.close();
    statsB.close();
  }
});
