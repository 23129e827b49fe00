// Admission (workers/launcher/admission): a backlog of waiting requests is served in Nodepool's
// order (priority prefix, relative_priority — even one Zuul revised while the request waited —,
// then sequence); a pool at max-servers is `paused` and its waiting requests stay `requested`
// with nothing declined; a request no pool can serve is declined at once however long the queue;
// a launcher killed with -9 while 200 requests wait loses none; two launchers on one config never
// put a pool over max-servers. Zuul is the kazoo stand-in (submit, revise, drain).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useStack, eventually, withDiagnostics, type Stack } from '../harness/stack';
import { registeredPools } from '../../lib/zk/operations/components';
import { readRequest } from '../../lib/zk/operations/requests';
import { listNodes } from '../../activities/launcher/store';
import { poolStatusQuery } from '../../workflows/messages';

const stack = useStack(
  (cloud) => ({
    labels: [{ name: 'one' }, { name: 'four' }],
    providers: [
      {
        name: 'sim',
        cloud,
        rate: 0,
        'cloud-images': [{ name: 'noble', 'image-name': 'ubuntu-noble' }],
        pools: [
          { name: 'one', 'max-servers': 1, 'host-key-checking': false, labels: [{ name: 'one', 'cloud-image': 'noble', 'flavor-name': 'm1.tiny' }] },
          { name: 'four', 'max-servers': 4, 'host-key-checking': false, labels: [{ name: 'four', 'cloud-image': 'noble', 'flavor-name': 'm1.tiny' }] },
        ],
      },
    ],
  }),
  async (s) => {
    await s.sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
    await s.sim.admin.setQuotas({ instances: -1, cores: -1, ram: -1 });
    await s.startLauncher();
  },
);

interface Drained {
  fulfilled: Array<{ id: string; nodes: string[]; mzxid: number }>;
  failed: string[];
  missing: string[];
  errors: string[];
}

async function submit(s: Stack, label: string, count: number, extra: string[] = []): Promise<string[]> {
  return (await s.zuul(['submit', '--label', label, '--count', String(count), ...extra])).request_ids as string[];
}

/** Plays Zuul until every request is served: uses and returns each node as soon as it is fulfilled. */
async function drain(s: Stack, ids: string[], timeoutS: number): Promise<Drained> {
  const out = (await s.zuul(['drain', '--ids', ids.join(','), '--timeout', String(timeoutS)], (timeoutS + 30) * 1000)) as unknown as Drained;
  assert.deepEqual(out.missing, [], `all served: ${JSON.stringify(out).slice(0, 500)}`);
  assert.deepEqual(out.errors, []);
  return out;
}

/** Request ids in the order the launcher wrote `fulfilled` (ZooKeeper's mzxid). */
const fulfilOrder = (d: Drained) => [...d.fulfilled].sort((a, b) => a.mzxid - b.mzxid).map((f) => f.id);
const seq = (id: string) => id.split('-')[1] as string;
const ascending = (ids: string[]) => ids.every((id, i) => i === 0 || seq(ids[i - 1] as string) < seq(id));

async function poolPaused(s: Stack, pool: string): Promise<boolean | undefined> {
  return (await registeredPools(s.zk)).find((p) => p.name === pool)?.paused;
}

test('a backlog at priority 300 and a later one at 100: the 100s are served first, each in sequence', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    const low = await submit(s, 'one', 20, ['--priority', '300']);
    const high = await submit(s, 'one', 20, ['--priority', '100']);
    // the pool's one server is taken: it is paused, and the rest wait as plain `requested`
    await eventually('pool one paused', async () => (await poolPaused(s, 'one')) === true);
    const states = await Promise.all([...low, ...high].map(async (id) => (await readRequest(s.zk, id))?.value));
    assert.equal(states.filter((r) => r?.state !== 'requested').length, 1, 'one request served, the others wait');
    for (const r of states) if (r?.state === 'requested') assert.deepEqual(r.declined_by, [], r.id);
    const order = fulfilOrder(await drain(s, [...low, ...high], 240));
    const lastHigh = Math.max(...high.map((id) => order.indexOf(id)));
    const lowFirst = order.slice(0, lastHigh).filter((id) => low.includes(id));
    assert.ok(lowFirst.length <= 1, `only the 300 already being served goes before the 100s: ${order.join(' ')}`);
    assert.ok(ascending(order.filter((id) => high.includes(id))), `100s in sequence: ${order.join(' ')}`);
    assert.ok(ascending(order.filter((id) => low.includes(id))), `300s in sequence: ${order.join(' ')}`);
    await eventually('pool one open again', async () => (await poolPaused(s, 'one')) === false);
  });
});

test('Zuul lowers relative_priority of waiting requests: they go first; a request no pool serves fails at once', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    const ids = await submit(s, 'one', 10, ['--relative-priority', '5']);
    await eventually('first served, the rest wait', async () => (await readRequest(s.zk, ids[0] as string))?.value.state === 'fulfilled');
    const revised = ids.slice(7);
    for (const id of revised) {
      const r = await s.zuul(['revise', '--id', id, '--relative-priority', '1']);
      assert.equal(r.revised, true, JSON.stringify(r));
    }
    // the Web UI's view of the pool: how many wait and why (sent at most every 2 s)
    const status = await eventually('pool workflow shows the queue', async () => {
      const q = await s.client.workflow.getHandle('pool/sim/one').query(poolStatusQuery);
      const l = Object.values(q.launchers)[0];
      // the revised three first in line (the status may still show the queue before the last revision)
      return l && l.waiting === 9 && l.paused && l.next.slice(0, 3).join() === revised.join() ? l : null;
    });
    assert.match(Object.keys(status.reasons)[0] ?? '', /at its limits/);

    const t0 = Date.now();
    const nope = await s.zuul(['request', '--label', 'no-such-label', '--wait', '--timeout', '30']);
    assert.equal(nope.state, 'failed');
    assert.ok(Date.now() - t0 < 10_000, `declined at once with 9 waiting (${Date.now() - t0} ms)`);

    const order = fulfilOrder(await drain(s, ids, 180));
    assert.deepEqual(order, [ids[0], ...revised, ...ids.slice(1, 7)]);
  });
});

test('kill -9 with 200 requests waiting: after restart all are served once, in order', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    const ids = await submit(s, 'four', 200);
    await eventually('four served, 196 waiting', async () => {
      const states = await Promise.all(ids.slice(0, 4).map(async (id) => (await readRequest(s.zk, id))?.value.state));
      return states.every((st) => st === 'fulfilled');
    });
    await s.killLauncher();
    await s.startLauncher();
    const drained = await drain(s, ids, 600);
    assert.equal(drained.fulfilled.length, 200);
    assert.deepEqual(drained.failed, []);
    const nodes = drained.fulfilled.flatMap((f) => f.nodes);
    assert.equal(new Set(nodes).size, 200, 'no node given to two requests');
    // claims are made in queue order, so node ids follow the request sequence
    const bySeq = [...drained.fulfilled].sort((a, b) => (seq(a.id) < seq(b.id) ? -1 : 1));
    const outOfOrder = bySeq.filter((f, i) => i > 0 && (f.nodes[0] as string) < ((bySeq[i - 1] as Drained['fulfilled'][0]).nodes[0] as string));
    assert.deepEqual(outOfOrder.map((f) => f.id), [], 'served in sequence');
    let left = '';
    await eventually('every used node deleted, no server left', async () => {
      const nodes = (await listNodes(s.zk)).filter((n) => n.pool === 'four');
      const servers = (await s.sim.admin.state()).servers.filter((sv) => sv.metadata.nodepool_pool_name === 'four');
      left = `nodes ${nodes.map((n) => `${n.id}:${n.state}:${n.allocated_to}`).join(' ')}; servers ${servers.map((sv) => sv.name).join(' ')}`;
      return nodes.length === 0 && servers.length === 0;
    }, 90_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${left}`);
    });
  });
});

test('two launchers on one config: one backlog, no node twice, never more than max-servers', async (t) => {
  const s = stack();
  const other = s.startOtherLauncher('b');
  await withDiagnostics(s, t, async () => {
    await other.running;
    let max = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const n = (await listNodes(s.zk)).filter((node) => node.pool === 'four').length;
        max = Math.max(max, n);
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    try {
      const ids = await submit(s, 'four', 100);
      const drained = await drain(s, ids, 600);
      assert.equal(drained.fulfilled.length, 100);
      const nodes = drained.fulfilled.flatMap((f) => f.nodes);
      assert.equal(new Set(nodes).size, 100, 'no node given to two requests');
    } finally {
      sampling = false;
      await sampler;
      await other.stop();
    }
    assert.ok(max <= 4, `at most 4 node znodes of the pool at any moment (saw ${max})`);
  });
});
