// Server status per provider, not per server: launches and deletes wait on one shared
// `GET servers/detail` listing (drivers/openstack/adapter/server-status.ts), and launches share
// one cached cloud-image lookup. Counted with the simulator's per-route request counter.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { ServerWaitTimeoutError } from '../../drivers/errors';
import { type OpenStackProvider } from '../../drivers/openstack/adapter';
import { ServerStatusWatcher } from '../../drivers/openstack/adapter/server-status';
import { type CloudServer, type CreateServerRequest } from '../../drivers/provider';
import { useSimulator } from './sim';

const fixture = useSimulator();

const GET_ONE = 'GET compute /v2.1/servers/{id}';
const DETAIL = 'GET compute /v2.1/servers/detail';
const IMAGES = 'GET image /v2/images';

const booted = (s: CloudServer | null): boolean => s === null || s.status === 'ACTIVE' || s.status === 'ERROR';
const gone = (s: CloudServer | null): boolean => s === null || s.status === 'DELETED';

function request(nodeId: string): CreateServerRequest {
  return { nodeId, poolName: 'main', label: 'small', imageName: 'cirros', image: { cloudImage: 'cirros' }, flavor: { minRam: 1024 } };
}

async function counts(): Promise<Record<string, number>> {
  return (await fixture().sim.admin.state()).requests;
}

function delta(before: Record<string, number>, after: Record<string, number>, key: string): number {
  return (after[key] ?? 0) - (before[key] ?? 0);
}

async function cirros(): Promise<string> {
  const { sim } = fixture();
  const found = (await sim.admin.state()).images.find((i) => i.name === 'cirros');
  return found ? found.id : (await sim.admin.leakImage({ name: 'cirros' })).id;
}

/** What launchServer did before: GET servers/{id}, 100 ms doubling to 2 s, until ACTIVE or ERROR. */
async function pollEach(p: OpenStackProvider, id: string): Promise<CloudServer | null> {
  let pause = 100;
  for (;;) {
    const s = await p.getServer(id);
    if (booted(s)) return s;
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 2000);
  }
}

void describe('server status from one listing per provider', () => {
  beforeEach(() => fixture().sim.admin.reset());

  void it('20 concurrent launches (1 s boot) wait on a handful of servers/detail listings, no GET per server, one image lookup', async (t) => {
    const { sim } = fixture();
    await cirros();
    await sim.admin.setQuotas({ instances: -1, cores: -1, ram: -1 });
    await sim.admin.setBootDelay(1000);
    const ids = Array.from({ length: 20 }, (_, i) => `00000001${String(i).padStart(2, '0')}`);

    // the old way, for the record
    const old = fixture().provider();
    let before = await counts();
    const oldServers = await Promise.all(ids.map((n) => old.createServer(request(n))));
    await Promise.all(oldServers.map((s) => pollEach(old, s.id)));
    let after = await counts();
    const oldFigures = { getOne: delta(before, after, GET_ONE), detail: delta(before, after, DETAIL) };
    for (const s of oldServers) await old.deleteServer(s.id);

    const p = fixture().provider();
    before = await counts();
    const t0 = performance.now();
    const results = await Promise.all(
      ids.map(async (n) => {
        const s = await p.createServer(request(`1${n.slice(1)}`));
        return p.waitForServer(s.id, booted, { timeoutMs: 10_000 });
      }),
    );
    const took = performance.now() - t0;
    after = await counts();
    const figures = { getOne: delta(before, after, GET_ONE), detail: delta(before, after, DETAIL), images: delta(before, after, IMAGES) };
    t.diagnostic(`per-server polling: ${JSON.stringify(oldFigures)}; shared listing: ${JSON.stringify(figures)} in ${Math.round(took)} ms`);
    assert.ok(results.every((s) => s?.status === 'ACTIVE'), 'all ACTIVE');
    assert.equal(figures.getOne, 0, 'no GET servers/{id}');
    assert.ok(figures.detail >= 3 && figures.detail <= 10, `a handful of listings (${figures.detail})`);
    assert.equal(figures.images, 1, 'one cloud-image lookup for 20 launches');
    assert.ok(oldFigures.getOne >= 60, `per-server polling made ${oldFigures.getOne} GETs`);
    assert.equal(p.serverStatus.waiting, 0);
    // nobody waits: the listing stops
    const quiet = (await counts())[DETAIL] ?? 0;
    await new Promise((r) => setTimeout(r, 700));
    assert.equal((await counts())[DETAIL] ?? 0, quiet, 'no listing while nobody waits');
  });

  void it('a single launch on an idle provider sees ACTIVE within the boot delay + 300 ms', async () => {
    const { sim } = fixture();
    await cirros();
    await sim.admin.setBootDelay(1000);
    const p = fixture().provider();
    await p.listFlavors(); // authenticated, as a running launcher is
    const s = await p.createServer(request('0000000200'));
    const t0 = performance.now();
    const got = await p.waitForServer(s.id, booted, { timeoutMs: 5000 });
    const took = performance.now() - t0;
    assert.equal(got?.status, 'ACTIVE');
    assert.ok(took < 1300, `ACTIVE seen ${Math.round(took)} ms after the create returned`);
  });

  void it('a server that goes ERROR is reported with its fault', async () => {
    const { sim } = fixture();
    await cirros();
    await sim.admin.setBootDelay(300);
    await sim.admin.addServerRule({ nameRegex: '^np0000000210$', outcome: 'error', faultMessage: 'No valid host was found. There are not enough hosts available.' });
    const p = fixture().provider();
    const [bad, good] = await Promise.all([p.createServer(request('0000000210')), p.createServer(request('0000000211'))]);
    const [b, g] = await Promise.all([p.waitForServer(bad.id, booted, { timeoutMs: 5000 }), p.waitForServer(good.id, booted, { timeoutMs: 5000 })]);
    assert.equal(b?.status, 'ERROR');
    assert.match(b?.fault?.message ?? '', /No valid host/);
    assert.equal(g?.status, 'ACTIVE');
  });

  void it('a deleted server is seen gone, and only once the cloud no longer lists it', async () => {
    const { sim } = fixture();
    await cirros();
    await sim.admin.setDeleteDelay(600);
    const p = fixture().provider();
    const s = await p.createServer(request('0000000220'));
    await p.waitForServer(s.id, booted, { timeoutMs: 5000 });
    const before = await counts();
    assert.equal(await p.deleteServer(s.id), true);
    const t0 = performance.now();
    assert.equal(await p.waitForServer(s.id, gone, { timeoutMs: 5000 }), null);
    const took = performance.now() - t0;
    assert.ok(took >= 450, `gone after the delete delay (${Math.round(took)} ms)`);
    assert.ok(!(await sim.admin.state()).servers.some((x) => x.id === s.id), 'really gone from the cloud');
    // one GET before the DELETE (the server's floating IPs go first, as in Nodepool's delete);
    // the wait for it to be gone reads only the shared listing
    assert.equal(delta(before, await counts(), GET_ONE), 1);
  });

  void it('transient listing errors are waited out; a stuck server times out; an aborted wait leaves', async () => {
    const { sim } = fixture();
    await cirros();
    const p = fixture().provider();
    await sim.admin.setBootDelay(200);
    const s = await p.createServer(request('0000000230'));
    await sim.admin.injectFault({ service: 'compute', method: 'GET', pathRegex: '/servers/detail$', status: 503, times: 2 });
    assert.equal((await p.waitForServer(s.id, booted, { timeoutMs: 5000 }))?.status, 'ACTIVE');
    assert.ok(p.serverStatus.stats.failures >= 2);

    await sim.admin.addServerRule({ nameRegex: '^np0000000231$', outcome: 'stuck-build' });
    const stuck = await p.createServer(request('0000000231'));
    await assert.rejects(p.waitForServer(stuck.id, booted, { timeoutMs: 600 }), (e: unknown) => {
      assert.ok(e instanceof ServerWaitTimeoutError);
      assert.equal(e.lastSeen?.status, 'BUILD');
      return true;
    });

    const ac = new AbortController();
    const waiting = p.waitForServer(stuck.id, booted, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(p.serverStatus.waiting, 1);
    ac.abort(new Error('activity cancelled'));
    await assert.rejects(waiting, /activity cancelled/);
    assert.equal(p.serverStatus.waiting, 0, 'the waiter is removed');
    await new Promise((r) => setTimeout(r, 100)); // a listing in flight may finish
    const quiet = (await counts())[DETAIL] ?? 0;
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await counts())[DETAIL] ?? 0, quiet, 'no listing once the last waiter left');
  });

  void it('a non-transient listing error (403 forbidden) fails the waiters', async () => {
    const { sim } = fixture();
    await cirros();
    await sim.admin.addServerRule({ nameRegex: '^np0000000240$', outcome: 'stuck-build' });
    const p = fixture().provider();
    const s = await p.createServer(request('0000000240'));
    await sim.admin.injectFault({ service: 'compute', method: 'GET', pathRegex: '/servers/detail$', status: 403, times: -1 });
    await assert.rejects(p.waitForServer(s.id, booted, { timeoutMs: 5000 }), { kind: 'fatal', status: 403 });
  });

  void it('the cloud-image lookup is cached per provider and dropped when Nova no longer finds the image', async () => {
    const { sim } = fixture();
    const first = await cirros();
    const p = fixture().provider();
    let before = await counts();
    const a = await p.createServer(request('0000000250'));
    await p.createServer(request('0000000251'));
    assert.equal(delta(before, await counts(), IMAGES), 1, 'second launch reuses the lookup');
    // the image is replaced behind our back (another client deletes it and uploads a new one)
    assert.equal(await fixture().provider().deleteImage(first), true);
    const second = (await sim.admin.leakImage({ name: 'cirros' })).id;
    before = await counts();
    await assert.rejects(p.createServer(request('0000000252')), (e: Error & { status?: number }) => e.status === 400 && /could not be found/.test(e.message));
    const c = await p.createServer(request('0000000252'));
    assert.equal(delta(before, await counts(), IMAGES), 1, 'looked up again after the 400');
    const st = await sim.admin.state();
    assert.equal(st.servers.find((x) => x.id === c.id)?.imageId, second);
    assert.equal(st.servers.find((x) => x.id === a.id)?.imageId, first);
  });

  void it('the interval respects the provider rate (a listing uses at most half the call budget)', () => {
    assert.equal(fixture().provider({ rate: 0 }).serverStatus.interval(), 250);
    assert.equal(fixture().provider({ rate: 0.05 }).serverStatus.interval(), 250);
    assert.equal(fixture().provider({ rate: 1 }).serverStatus.interval(), 2000);
    assert.equal(fixture().provider({ rate: 0, statusIntervalMs: 400 }).serverStatus.interval(), 400);
  });
});

void describe('ServerStatusWatcher ordering', () => {
  /** A list() the test answers by hand. */
  function manualList() {
    const calls: { resolve: (v: CloudServer[]) => void; reject: (e: unknown) => void }[] = [];
    const list = () => new Promise<CloudServer[]>((resolve, reject) => calls.push({ resolve, reject }));
    return { calls, list };
  }
  const server = (id: string, status: string): CloudServer => ({ id, name: id, status, metadata: {}, addresses: {}, volumeIds: [] });
  const tick = () => new Promise((r) => setTimeout(r, 0));

  void it('a listing that started before the waiter registered never reports its server gone', async () => {
    const { calls, list } = manualList();
    const w = new ServerStatusWatcher({ list, intervalMs: 20 });
    const other = w.waitFor('a', booted);
    await tick();
    assert.equal(calls.length, 1, 'the first waiter lists right away');
    // 'b' is created and registers while that listing is in flight
    let settled: CloudServer | null | undefined;
    const b = w.waitFor('b', booted).then((s) => (settled = s));
    calls[0]!.resolve([server('a', 'BUILD')]);
    await tick();
    assert.equal(settled, undefined, 'absent from an older listing: not gone');
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(calls.length, 2);
    calls[1]!.resolve([server('a', 'ACTIVE'), server('b', 'BUILD')]);
    assert.equal((await other)?.status, 'ACTIVE');
    await new Promise((r) => setTimeout(r, 40));
    calls[2]!.resolve([]);
    await b;
    assert.equal(settled, null, 'absent from a later listing: gone');
    assert.equal(w.waiting, 0);
  });

  void it('a present server is reported even from a listing that started earlier', async () => {
    const { calls, list } = manualList();
    const w = new ServerStatusWatcher({ list, intervalMs: 20 });
    const first = w.waitFor('a', booted);
    await tick();
    const second = w.waitFor('b', booted);
    calls[0]!.resolve([server('a', 'ACTIVE'), server('b', 'ERROR')]);
    assert.equal((await first)?.status, 'ACTIVE');
    assert.equal((await second)?.status, 'ERROR');
    assert.equal(calls.length, 1);
  });

  void it('a transient error keeps the waiters; a thrown predicate fails only its waiter', async () => {
    const { calls, list } = manualList();
    const w = new ServerStatusWatcher({ list, intervalMs: 20 });
    const ok = w.waitFor('a', booted);
    const bad = w.waitFor('a', () => {
      throw new Error('bad predicate');
    });
    await tick();
    calls[0]!.reject(new Error('socket hang up'));
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(w.waiting, 2);
    calls[1]!.resolve([server('a', 'ACTIVE')]);
    assert.equal((await ok)?.status, 'ACTIVE');
    await assert.rejects(bad, /bad predicate/);
  });
});
