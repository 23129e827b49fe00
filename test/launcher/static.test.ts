// The static driver end to end: configured hosts are registered as READY slots (one per
// max-parallel-jobs), a request for their label is served with one, and a used slot comes back
// READY under a new node id; a request mixing static and cloud labels, which no single pool can
// serve, fails as in Nodepool; a host removed from the config goes once its job is done; a host
// whose SSH key does not match the configured one is never offered. Zuul is the kazoo stand-in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useStack, eventually, withDiagnostics, type Stack } from '../harness/stack';
import { listNodes } from '../../activities/launcher/store';
import { readRequest } from '../../lib/zk/operations/requests';
import { useSshd } from '../harness/sshd';

const sshd = useSshd();
const simProvider = (cloud: string) => ({
  name: 'sim',
  cloud,
  rate: 0,
  'cloud-images': [{ name: 'noble', 'image-name': 'ubuntu-noble' }],
  pools: [{ name: 'main', 'max-servers': 2, 'host-key-checking': false, labels: [{ name: 'small', 'cloud-image': 'noble', 'flavor-name': 'm1.tiny' }] }],
});

const stack = useStack(
  (cloud) => ({
    labels: [{ name: 'small' }, { name: 'lab' }],
    providers: [
      simProvider(cloud),
      {
        name: 'bench',
        driver: 'static',
        pools: [
          {
            name: 'rack',
            // names with "fake" are not looked up in DNS (as Nodepool's set_node_ip)
            nodes: [{ name: 'fake-host-1.example.org', labels: ['lab'], username: 'zuul', 'host-key-checking': false, 'max-parallel-jobs': 2 }],
          },
        ],
      },
    ],
  }),
  async (s) => {
    await s.sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
    await s.startLauncher();
  },
);

const labNodes = async (s: Stack) => (await listNodes(s.zk)).filter((n) => n.provider === 'bench');
const readyLab = async (s: Stack) => (await labNodes(s)).filter((n) => n.state === 'ready' && !n.allocated_to);

test('a static host is registered as max-parallel-jobs READY slots; a request gets one, and after use the slot is READY again', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    await eventually('two READY slots', async () => (await readyLab(s)).length === 2);
    const slots = await readyLab(s);
    assert.deepEqual(slots.map((n) => n.slot).sort(), [0, 1]);
    for (const n of slots) {
      assert.equal(n.hostname, 'fake-host-1.example.org');
      assert.equal(n.username, 'zuul');
      assert.deepEqual(n.type, ['lab']);
      assert.equal(n.pool, 'rack');
    }
    const out = await s.zuul(['request', '--label', 'lab', '--wait', '--timeout', '60', '--use', '--release']);
    assert.equal(out.state, 'fulfilled', JSON.stringify(out));
    const used = (out.final as { nodes: string[] }).nodes[0] as string;
    assert.ok(slots.some((n) => n.id === used), 'served with a registered slot, nothing launched');
    await eventually('used node gone, its slot READY again under a new id', async () => {
      const now = await readyLab(s);
      return now.length === 2 && !now.some((n) => n.id === used);
    });
    assert.equal((await s.sim.admin.state()).servers.length, 0, 'no cloud server for a static node');
  });
});

test('max-parallel-jobs 2: two requests are served at once, the third waits for a slot and never gets a third node', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    await eventually('two READY slots', async () => (await readyLab(s)).length === 2);
    const ids = (await s.zuul(['submit', '--label', 'lab', '--count', '3'])).request_ids as string[];
    await eventually('two fulfilled', async () => {
      const states = await Promise.all(ids.map(async (id) => (await readRequest(s.zk, id))?.value.state));
      return states.filter((st) => st === 'fulfilled').length === 2;
    });
    const third = await Promise.all(ids.map(async (id) => (await readRequest(s.zk, id))?.value));
    assert.equal(third.filter((r) => r?.state === 'requested').length, 1, 'the third waits, not declined');
    let most = 0;
    const sampler = setInterval(() => void labNodes(s).then((n) => (most = Math.max(most, n.filter((x) => x.state !== 'deleted').length))), 50);
    try {
      const out = (await s.zuul(['drain', '--ids', ids.join(','), '--timeout', '90'], 120_000)) as { fulfilled: unknown[]; missing: string[]; errors: string[] };
      assert.deepEqual(out.missing, []);
      assert.deepEqual(out.errors, []);
      assert.equal(out.fulfilled.length, 3);
    } finally {
      clearInterval(sampler);
    }
    assert.ok(most <= 2, `never more than two node znodes for the host (saw ${most})`);
    await eventually('both slots READY again', async () => (await readyLab(s)).length === 2);
  });
});

test('a request for a static and a cloud label: no pool has both, so it fails', async () => {
  const s = stack();
  const out = await s.zuul(['request', '--label', 'lab', '--label', 'small', '--wait', '--timeout', '30']);
  assert.equal(out.state, 'failed', JSON.stringify(out));
});

test('a host removed from the config keeps its in-use slot until the job ends, then goes; its free slots go at once', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    await eventually('two READY slots', async () => (await readyLab(s)).length === 2);
    // a job holds one slot for a few seconds
    const job = s.zuul(['request', '--label', 'lab', '--wait', '--timeout', '60', '--use', '--job-seconds', '8', '--release']);
    await eventually('one slot in use', async () => (await labNodes(s)).some((n) => n.state === 'in-use'));
    s.writeConfig({
      labels: [{ name: 'small' }, { name: 'lab' }],
      providers: [
        simProvider(s.sim.cloudName),
        { name: 'bench', driver: 'static', pools: [{ name: 'rack', nodes: [{ name: 'fake-host-2.example.org', labels: ['lab'], 'host-key-checking': false }] }] },
      ],
    });
    await eventually('host 1: only the in-use slot left; host 2 registered', async () => {
      const nodes = await labNodes(s);
      const one = nodes.filter((n) => n.hostname === 'fake-host-1.example.org');
      const two = nodes.filter((n) => n.hostname === 'fake-host-2.example.org' && n.state === 'ready');
      return one.length === 1 && one[0]?.state === 'in-use' && two.length === 1;
    });
    assert.equal((await job).state, 'fulfilled');
    await eventually('host 1 gone after its job', async () => !(await labNodes(s)).some((n) => n.hostname === 'fake-host-1.example.org'));
  });
});

test('host-key-checking: a host whose key matches is registered with its scanned keys; one that does not match is never offered', async (t) => {
  const s = stack();
  const { port, keys } = sshd();
  await withDiagnostics(s, t, async () => {
    const wrong = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHd0jMnfFBtsuVr5K0w4Qp1U1cfoYk3ipJVWoXhRmKz1';
    s.writeConfig({
      labels: [{ name: 'small' }, { name: 'lab' }, { name: 'checked' }, { name: 'mismatch' }],
      providers: [
        simProvider(s.sim.cloudName),
        {
          name: 'bench',
          driver: 'static',
          pools: [
            {
              name: 'rack',
              nodes: [
                { name: '127.0.0.1', labels: ['checked'], 'connection-port': port, 'host-key': keys[0], timeout: 10 },
                { name: 'localhost', labels: ['mismatch'], 'connection-port': port, 'host-key': wrong, timeout: 10 },
              ],
            },
          ],
        },
      ],
    });
    const checked = await eventually('the matching host is READY', async () => (await readyLab(s)).find((n) => n.type.includes('checked')));
    assert.deepEqual([...checked.host_keys].sort(), [...keys].sort(), 'all scanned keys, as Nodepool stores them');
    const ids = (await s.zuul(['submit', '--label', 'mismatch', '--count', '1'])).request_ids as string[];
    await new Promise((r) => setTimeout(r, 5000));
    assert.equal((await labNodes(s)).filter((n) => n.type.includes('mismatch')).length, 0, 'no node for the host with the wrong key');
    assert.equal((await readRequest(s.zk, ids[0] as string))?.value.state, 'requested', 'its request waits');
    await s.zuul(['cancel', '--id', ids[0] as string]);
  });
});
