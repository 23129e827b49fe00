// The static driver's registrar on a real ZooKeeper: configured hosts become READY slots with
// the znode Nodepool 11 writes, config changes add and remove slots, a used slot comes back.
// When Nodepool 11 is installed (NODEPOOL11_VENV, default /tmp/np11-venv) every scenario is
// also played by Nodepool's own StaticNodeProvider (test/drivers/np11_static.py) on a twin
// provider in the same ZooKeeper, and the two must end in the same slots with the same fields.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isStaticProvider } from '../../drivers/registry';
import { useZooKeeper } from '../harness/servers';
import { serverReady } from '../zk/helpers';
import { ZkSession } from '../../lib/zk/session';
import { type ZkLock } from '../../lib/zk/lock';
import { setNodeState } from '../../lib/zk/codec-node';
import { lockNode, nodeIds, readNode, storeNode } from '../../lib/zk/operations/nodes';
import { nodePath } from '../../lib/zk/paths';
import { tcpReachable } from '../../lib/net';
import { parseConfigText } from '../../lib/config';
import { type StaticProvider } from '../../lib/config/types';
import { syncStaticNodes, type SyncReport } from '../../drivers/static/registrar';
import { reregisterUsedSlot } from '../../drivers/static/reregister';
import { checkHost, gathersHostKeys, type HostScanner } from '../../drivers/static/host-check';

const zk = useZooKeeper();
let s: ZkSession; // the registrar's
let zuul: ZkSession; // plays Zuul: locks nodes, marks them in-use and used
const dir = mkdtempSync(join(tmpdir(), 'static-registrar-'));

const NP11 = process.env.NODEPOOL11_VENV ?? '/tmp/np11-venv';
const NP11_PY = join(NP11, 'bin', 'python');
const haveNp11 = existsSync(NP11_PY);
const NP11_SCRIPT = join(__dirname, 'np11_static.py');

before(async () => {
  await serverReady(zk);
  s = await ZkSession.connect({ servers: zk().connectString, sessionTimeoutMs: 10_000 });
  zuul = await ZkSession.connect({ servers: zk().connectString, sessionTimeoutMs: 10_000 });
});
after(async () => {
  await s?.close();
  await zuul?.close();
  rmSync(dir, { recursive: true, force: true });
});

// ---- config -------------------------------------------------------------------------------

type HostYaml = Record<string, unknown>;

/** A nodepool.yaml with one static provider; hosts are written as JSON flow mappings. */
function configText(provider: string, hosts: HostYaml[]): string {
  return [
    'labels: [{name: a}, {name: b}, {name: c}]',
    'providers:',
    `  - name: ${provider}`,
    '    driver: static',
    '    pools:',
    '      - name: main',
    '        node-attributes: {executor-zone: z1}',
    '        nodes:',
    ...hosts.map((h) => `          - ${JSON.stringify(h)}`),
    '',
  ].join('\n');
}

function staticProvider(text: string, name: string): StaticProvider {
  const { config, issues } = parseConfigText({ file: 'nodepool.yaml', text });
  assert.ok(config, JSON.stringify(issues));
  const p = config.providers[name];
  assert.ok(isStaticProvider(p));
  return p;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

// ---- the scan, as Nodepool's nodescan behaves for the hosts used here ---------------------

const scanned: string[] = [];
/**
 * Nodepool's nodescan on these test hosts: a name containing "fake" answers with the one key
 * "ssh-rsa FAKEKEY" (nodescan's own test shortcut); any other host gets a TCP probe within
 * `timeout` (unreachable → null). No test host needs a real SSH key scan.
 */
const scan: HostScanner = async (sn) => {
  scanned.push(sn.name);
  if (sn.name.includes('fake')) return gathersHostKeys(sn) ? ['ssh-rsa FAKEKEY'] : [];
  if (!(await tcpReachable(sn.name, sn.connectionPort, sn.timeout * 1000))) return null;
  assert.ok(!gathersHostKeys(sn), `test host ${sn.name} would need a real key scan`);
  return [];
};

// ---- running either implementation --------------------------------------------------------

type Impl = 'ts' | 'np11';
const IMPLS: Impl[] = haveNp11 ? ['ts', 'np11'] : ['ts'];
const providerName = (scenario: string, impl: Impl) => `${impl}-${scenario}`;

async function np11(op: 'start' | 'cleanup' | 'delete', text: string, nodeId?: string): Promise<void> {
  const file = join(dir, `np11-${Date.now()}-${Math.random().toString(16).slice(2)}.yaml`);
  writeFileSync(file, text);
  await promisify(execFile)(NP11_PY, [NP11_SCRIPT, zk().connectString, file, op, ...(nodeId ? [nodeId] : [])], { timeout: 60_000 });
}

const EMPTY: SyncReport = { registered: [], deregistered: [], updated: [], skipped: [] };

/** One pass of the given implementation over `hosts` (ours returns its report). */
async function sync(impl: Impl, scenario: string, hosts: HostYaml[], mode: 'start' | 'cleanup' = 'start'): Promise<SyncReport> {
  const name = providerName(scenario, impl);
  const text = configText(name, hosts);
  if (impl === 'np11') {
    await np11(mode, text);
    return EMPTY;
  }
  return syncStaticNodes(s, staticProvider(text, name), { scan, mode });
}

async function reregister(impl: Impl, scenario: string, hosts: HostYaml[] | null, id: string) {
  const name = providerName(scenario, impl);
  if (impl === 'np11') {
    await np11('delete', configText(name, hosts ?? []), id);
    return null;
  }
  return reregisterUsedSlot(s, hosts ? staticProvider(configText(name, hosts), name) : null, id, { scan });
}

interface Znode {
  id: string;
  version: number;
  doc: Record<string, unknown>;
}

async function znodes(provider: string): Promise<Znode[]> {
  const out: Znode[] = [];
  for (const id of (await nodeIds(s)).sort()) {
    const got = await s.getIfExists(nodePath(id));
    if (!got || got.data.length === 0) continue;
    const doc = JSON.parse(got.data.toString()) as Record<string, unknown>;
    if (doc.provider === provider) out.push({ id, version: got.stat.version, doc });
  }
  return out;
}

/** "hostname slot state" per znode, sorted: what two implementations must agree on. */
async function slotStates(provider: string): Promise<string[]> {
  return (await znodes(provider)).map((z) => `${String(z.doc.hostname)} ${String(z.doc.slot)} ${String(z.doc.state)}`).sort();
}

async function find(provider: string, hostname: string, slot: number, state = 'ready'): Promise<Znode> {
  const z = (await znodes(provider)).find((x) => x.doc.hostname === hostname && x.doc.slot === slot && x.doc.state === state);
  assert.ok(z, `${provider}: no ${state} node for ${hostname} slot ${slot}: ${JSON.stringify(await slotStates(provider))}`);
  return z;
}

/**
 * Field by field, in key order, as Nodepool 11 wrote it: only the ids, the timestamps and the
 * provider name (twin providers) may differ. Nodepool 11 also appends `"node_properties": {}`
 * to every node; the repo's codec (NP24's field list) does not write it yet, so it is allowed
 * to be missing but not to differ.
 */
function assertSameDoc(ours: Record<string, unknown>, theirs: Record<string, unknown>, what: string): void {
  const keys = (d: Record<string, unknown>) => Object.keys(d).filter((k) => k !== 'node_properties');
  assert.deepEqual(keys(ours), keys(theirs), `${what}: keys and their order`);
  for (const k of keys(theirs)) {
    if (k === 'state_time' || k === 'created_time' || k === 'provider') continue;
    assert.deepEqual(ours[k], theirs[k], `${what}: ${k}`);
  }
  if ('node_properties' in ours) assert.deepEqual(ours.node_properties, theirs.node_properties, `${what}: node_properties`);
  else assert.deepEqual(theirs.node_properties, {}, `${what}: node_properties`);
  for (const d of [ours, theirs]) assert.equal(d.created_time, d.state_time, `${what}: created_time = state_time`);
}

/** Both twins are in the same slots and states, and their READY znodes carry the same fields. */
async function assertSameAsNodepool(scenario: string): Promise<void> {
  if (!haveNp11) return;
  const [ts, np] = [providerName(scenario, 'ts'), providerName(scenario, 'np11')];
  assert.deepEqual(await slotStates(ts), await slotStates(np), `${scenario}: slots and states`);
  for (const z of await znodes(np)) {
    if (z.doc.state !== 'ready') continue;
    const ours = await find(ts, String(z.doc.hostname), Number(z.doc.slot));
    assertSameDoc(ours.doc, z.doc, `${scenario} ${String(z.doc.hostname)} slot ${String(z.doc.slot)}`);
  }
}

// ---- Zuul's side ---------------------------------------------------------------------------

async function zuulTakes(id: string): Promise<ZkLock> {
  const lock = await lockNode(zuul, id, { blocking: false });
  assert.ok(lock, `zuul locks ${id}`);
  const cur = await readNode(zuul, id);
  assert.ok(cur);
  setNodeState(cur.value, 'in-use');
  await storeNode(zuul, cur.value, cur.version);
  return lock;
}

async function zuulReturns(id: string, lock: ZkLock): Promise<void> {
  const cur = await readNode(zuul, id);
  assert.ok(cur);
  setNodeState(cur.value, 'used');
  await storeNode(zuul, cur.value, cur.version);
  await lock.release();
}

// ---- hosts ---------------------------------------------------------------------------------

/** Not scanned (host-key-checking off): registered with its configured key; resolves. */
const LOCAL = {
  name: 'localhost',
  labels: ['a', 'b'],
  'host-key-checking': false,
  'host-key': 'ssh-ed25519 AAAAKEY',
  'max-parallel-jobs': 2,
  username: 'ci',
  'python-path': '/usr/bin/python3',
  'shell-type': 'bash',
};
/** Scanned: answers with "ssh-rsa FAKEKEY"; no public IP (Nodepool skips "fake" names). */
const FAKE = { name: 'fake-host', labels: ['c'], 'host-key': 'ssh-rsa FAKEKEY' };
/** winrm: only a port probe, no keys (the ZooKeeper port answers). */
const winrm = () => ({ name: '127.0.0.1', labels: ['a'], 'connection-type': 'winrm', 'connection-port': zk().port, timeout: 2 });

// ---- tests ---------------------------------------------------------------------------------

void test("registers one READY znode per slot, with exactly the fields Nodepool 11's static driver writes", async () => {
  const hosts = [LOCAL, FAKE, winrm()];
  scanned.length = 0;
  const report = await sync('ts', 'basic', hosts);
  assert.deepEqual(report.skipped, []);
  assert.deepEqual(report.registered.map((r) => `${r.host} ${r.slot}`).sort(), ['ci@localhost:22 0', 'ci@localhost:22 1', `zuul@127.0.0.1:${zk().port} 0`, 'zuul@fake-host:22 0']);
  assert.deepEqual(scanned.sort(), ['127.0.0.1', 'fake-host'], 'host-key-checking off: no scan');

  const local = (await find('ts-basic', 'localhost', 0)).doc;
  const { state_time, created_time, public_ipv4, public_ipv6, ...rest } = local;
  assert.equal(typeof state_time, 'number');
  assert.equal(created_time, state_time);
  assert.ok(public_ipv4 === '127.0.0.1' || public_ipv6 === '::1', 'set_node_ip: the first address localhost resolves to');
  assert.deepEqual(rest, {
    state: 'ready',
    cloud: null,
    provider: 'ts-basic',
    pool: 'main',
    type: ['a', 'b'],
    allocated_to: null,
    az: null,
    region: null,
    private_ipv4: null,
    host_id: null,
    interface_ip: 'localhost',
    connection_port: 22,
    ssh_port: 22,
    image_id: null,
    launcher: 'static driver',
    external_id: 'localhost',
    hostname: 'localhost',
    comment: null,
    user_data: null,
    hold_job: null,
    host_keys: ['ssh-ed25519 AAAAKEY'],
    username: 'ci',
    connection_type: 'ssh',
    shell_type: 'bash',
    hold_expiration: null,
    resources: null,
    slot: 0,
    attributes: { 'executor-zone': 'z1' },
    python_path: '/usr/bin/python3',
    tenant_name: null,
    driver_data: null,
    requestor: null,
  });
  assert.equal((await find('ts-basic', 'localhost', 1)).doc.slot, 1);
  const fake = (await find('ts-basic', 'fake-host', 0)).doc;
  assert.deepEqual([fake.host_keys, fake.public_ipv4, fake.username, fake.python_path, fake.shell_type, fake.type], [['ssh-rsa FAKEKEY'], null, 'zuul', 'auto', null, ['c']]);
  const win = (await find('ts-basic', '127.0.0.1', 0)).doc;
  assert.deepEqual([win.host_keys, win.public_ipv4, win.connection_type, win.connection_port, win.ssh_port], [[], '127.0.0.1', 'winrm', zk().port, zk().port]);

  if (!haveNp11) return;
  await sync('np11', 'basic', hosts);
  await assertSameAsNodepool('basic');
  // Each accepts the other's znodes as its own: nothing registered, updated or rewritten.
  const before = await znodes('ts-basic');
  await np11('start', configText('ts-basic', hosts));
  assert.deepEqual(await znodes('ts-basic'), before, "Nodepool 11 leaves our znodes alone");
  const theirs = await znodes('np11-basic');
  assert.deepEqual(await syncStaticNodes(s, staticProvider(configText('np11-basic', hosts), 'np11-basic'), { scan }), EMPTY);
  assert.deepEqual(await znodes('np11-basic'), theirs, "we leave Nodepool 11's znodes alone");
});

void test('a second pass registers nothing, at start and in the periodic cleanup', async () => {
  const hosts = [LOCAL, FAKE];
  await sync('ts', 'again', hosts);
  const before = await znodes('ts-again');
  assert.equal(before.length, 3);
  assert.deepEqual(await sync('ts', 'again', hosts), EMPTY);
  assert.deepEqual(await sync('ts', 'again', hosts, 'cleanup'), EMPTY);
  assert.deepEqual(await znodes('ts-again'), before);
});

void test('a used slot is deleted and registered again as a fresh READY znode', async () => {
  const hosts = [{ ...FAKE, 'max-parallel-jobs': 2 }];
  for (const impl of IMPLS) {
    const p = providerName('reuse', impl);
    await sync(impl, 'reuse', hosts);
    const used = await find(p, 'fake-host', 0);
    const lock = await zuulTakes(used.id);
    if (impl === 'ts') {
      const r = await reregisterUsedSlot(s, staticProvider(configText(p, hosts), p), used.id, { scan });
      assert.deepEqual(r, { deleted: false, registered: null, skipped: { host: '?', nodeId: used.id, reason: 'locked' } }, 'Zuul still holds it');
    }
    await zuulReturns(used.id, lock);
    const r = await reregister(impl, 'reuse', hosts, used.id);
    assert.equal(await readNode(s, used.id), null, `${impl}: the used znode is gone`);
    const fresh = await find(p, 'fake-host', 0);
    assert.ok(fresh.id > used.id, `${impl}: a new znode, not the old one reset`);
    if (r) assert.deepEqual(r, { deleted: true, registered: { nodeId: fresh.id, host: 'zuul@fake-host:22', slot: 0 }, skipped: null });
    assert.deepEqual(await slotStates(p), ['fake-host 0 ready', 'fake-host 1 ready']);
  }
  await assertSameAsNodepool('reuse');
});

void test('a host removed from the config loses its free slots; the one Zuul holds goes once used', async () => {
  const one = { ...FAKE, name: 'fake-one' };
  const two = { ...FAKE, name: 'fake-two', 'max-parallel-jobs': 2 };
  for (const impl of IMPLS) {
    const p = providerName('removed', impl);
    await sync(impl, 'removed', [one, two]);
    const held = await find(p, 'fake-two', 0);
    const lock = await zuulTakes(held.id);
    // The periodic pass only fills and trims configured hosts: a removed one waits for a start.
    await sync(impl, 'removed', [one], 'cleanup');
    assert.deepEqual(await slotStates(p), ['fake-one 0 ready', 'fake-two 0 in-use', 'fake-two 1 ready'], `${impl}: cleanup pass`);
    const report = await sync(impl, 'removed', [one]);
    assert.deepEqual(await slotStates(p), ['fake-one 0 ready', 'fake-two 0 in-use', 'fake-two 1 deleting'], `${impl}: after the config change`);
    if (impl === 'ts') {
      const free = await find(p, 'fake-two', 1, 'deleting');
      assert.deepEqual(report.deregistered, [{ nodeId: free.id, host: 'zuul@fake-two:22', slot: 1 }]);
      assert.deepEqual(report.skipped, [{ nodeId: held.id, host: 'zuul@fake-two:22', slot: 0, reason: 'locked: left until used' }]);
      assert.deepEqual(report.registered, []);
    }
    await zuulReturns(held.id, lock);
    const r = await reregister(impl, 'removed', [one], held.id);
    if (r) assert.deepEqual(r, { deleted: true, registered: null, skipped: { host: 'zuul@fake-two:22', nodeId: held.id, slot: 0, reason: 'host no longer configured' } });
    assert.deepEqual(await slotStates(p), ['fake-one 0 ready', 'fake-two 1 deleting'], `${impl}: the used one is not re-registered`);
  }
  await assertSameAsNodepool('removed');
});

void test('a host whose keys do not match, or that does not answer, is not registered', async () => {
  const port = await closedPort();
  const mismatch = { name: 'fake-mismatch', labels: ['a'], 'host-key': ['ssh-rsa FAKEKEY', 'ssh-ed25519 OTHER'] };
  const anyKey = { name: 'fake-anykey', labels: ['a'] };
  const unchecked = { name: 'fake-unchecked', labels: ['a'], 'host-key': 'ssh-ed25519 OTHER', 'host-key-checking': false };
  const dead = { name: '127.0.0.1', labels: ['b'], 'connection-port': port, timeout: 1 };
  for (const impl of IMPLS) {
    scanned.length = 0;
    const report = await sync(impl, 'keys', [mismatch, anyKey, unchecked, dead]);
    const p = providerName('keys', impl);
    assert.deepEqual(await slotStates(p), ['fake-anykey 0 ready', 'fake-unchecked 0 ready'], impl);
    assert.deepEqual((await find(p, 'fake-anykey', 0)).doc.host_keys, ['ssh-rsa FAKEKEY'], `${impl}: no host-key: the scanned keys`);
    assert.deepEqual((await find(p, 'fake-unchecked', 0)).doc.host_keys, ['ssh-ed25519 OTHER'], `${impl}: checking off: the configured keys`);
    if (impl === 'ts') {
      assert.deepEqual(scanned.sort(), ['127.0.0.1', 'fake-anykey', 'fake-mismatch']);
      assert.deepEqual(
        report.skipped.map((x) => `${x.host} ${String(x.slot)} ${x.reason}`).sort(),
        [`zuul@127.0.0.1:${port} 0 ConnectionTimeoutException`, 'zuul@fake-mismatch:22 0 host key mismatches (["ssh-rsa FAKEKEY"])'],
      );
    }
    // At start, a registered host that now fails its check loses its free slots.
    const changed = { ...anyKey, 'host-key': 'ssh-ed25519 OTHER' };
    await sync(impl, 'keys', [mismatch, changed, unchecked, dead]);
    assert.deepEqual(await slotStates(p), ['fake-anykey 0 deleting', 'fake-unchecked 0 ready'], `${impl}: keys changed`);
  }
  await assertSameAsNodepool('keys');
});

void test('raising max-parallel-jobs adds a slot, lowering it deregisters a free one (a busy one goes once used)', async () => {
  const par = (n: number) => [{ ...FAKE, name: 'fake-par', 'max-parallel-jobs': n }];
  for (const impl of IMPLS) {
    const p = providerName('parallel', impl);
    await sync(impl, 'parallel', par(1));
    assert.deepEqual(await slotStates(p), ['fake-par 0 ready'], impl);
    const report = await sync(impl, 'parallel', par(2));
    assert.deepEqual(await slotStates(p), ['fake-par 0 ready', 'fake-par 1 ready'], impl);
    if (impl === 'ts') assert.deepEqual([report.registered.map((r) => r.slot), report.deregistered], [[1], []]);
    await sync(impl, 'parallel', par(1));
    assert.deepEqual(await slotStates(p), ['fake-par 0 ready', 'fake-par 1 deleting'], `${impl}: lowered`);

    // Up again (a fresh slot 1: the deleting znode holds none), then down while slot 1 is busy.
    await sync(impl, 'parallel', par(2), 'cleanup');
    const busy = await find(p, 'fake-par', 1);
    const lock = await zuulTakes(busy.id);
    await sync(impl, 'parallel', par(1));
    assert.deepEqual(await slotStates(p), ['fake-par 0 ready', 'fake-par 1 deleting', 'fake-par 1 in-use'], `${impl}: busy slot kept`);
    await zuulReturns(busy.id, lock);
    const r = await reregister(impl, 'parallel', par(1), busy.id);
    if (r) assert.equal(r.skipped?.reason, 'slot beyond max-parallel-jobs');
    assert.deepEqual(await slotStates(p), ['fake-par 0 ready', 'fake-par 1 deleting'], `${impl}: not re-registered`);
  }
  await assertSameAsNodepool('parallel');
});

void test('at start, READY nodes whose config values changed are updated in place', async () => {
  const v1 = [{ ...FAKE, name: 'fake-upd', 'max-parallel-jobs': 2 }];
  const v2 = [{ ...FAKE, name: 'fake-upd', 'max-parallel-jobs': 2, labels: ['a', 'c'], 'python-path': '/usr/bin/python3', 'shell-type': 'sh' }];
  for (const impl of IMPLS) {
    const p = providerName('update', impl);
    await sync(impl, 'update', v1);
    const lock = await zuulTakes((await find(p, 'fake-upd', 1)).id);
    const ids = (await znodes(p)).map((z) => z.id);
    // The periodic pass does not update; a start does, and leaves a node Zuul holds alone.
    await sync(impl, 'update', v2, 'cleanup');
    assert.deepEqual((await find(p, 'fake-upd', 0)).doc.type, ['c'], `${impl}: cleanup pass`);
    const report = await sync(impl, 'update', v2);
    const z = (await find(p, 'fake-upd', 0)).doc;
    assert.deepEqual([z.type, z.python_path, z.shell_type], [['a', 'c'], '/usr/bin/python3', 'sh'], impl);
    assert.deepEqual((await find(p, 'fake-upd', 1, 'in-use')).doc.type, ['c'], `${impl}: the busy node is not rewritten`);
    assert.deepEqual((await znodes(p)).map((x) => x.id), ids, `${impl}: same znodes`);
    if (impl === 'ts') assert.deepEqual([report.updated.map((u) => u.slot), report.registered], [[0], []]);
    await lock.release();
  }
  await assertSameAsNodepool('update');
});

void test("checkHost follows Nodepool's rules for when to scan and what matches", async () => {
  const provider = staticProvider(
    configText('rules', [
      { name: 'h-ssh-off', labels: ['a'], 'host-key-checking': false },
      { name: 'h-winrm-off', labels: ['a'], 'connection-type': 'winrm', 'host-key-checking': false },
      { name: 'h-netcli', labels: ['a'], 'connection-type': 'network_cli', 'host-key': 'k2' },
      { name: 'h-ssh', labels: ['a'], 'host-key': ['k1', 'k3'] },
    ]),
    'rules',
  );
  const [sshOff, winrmOff, netcli, ssh] = provider.pools.main?.nodes ?? [];
  assert.ok(sshOff && winrmOff && netcli && ssh);
  const calls: string[] = [];
  const keys = (answer: string[] | null) => async (sn: { name: string }) => (calls.push(sn.name), answer);
  assert.deepEqual(await checkHost(sshOff, keys(['k1'])), { ok: true, hostKeys: [] }, 'ssh, checking off: configured keys (none), no scan');
  assert.deepEqual(await checkHost(winrmOff, keys(null)), { ok: false, reason: 'ConnectionTimeoutException' }, 'winrm is probed even with checking off');
  assert.deepEqual(await checkHost(winrmOff, keys(['ignored'])), { ok: true, hostKeys: [] });
  assert.deepEqual(await checkHost(netcli, keys(['k1', 'k2'])), { ok: true, hostKeys: ['k1', 'k2'] }, 'network_cli gathers keys too; all scanned keys kept');
  assert.deepEqual(await checkHost(ssh, keys(['k3', 'k2', 'k1'])), { ok: true, hostKeys: ['k3', 'k2', 'k1'] }, 'configured keys ⊆ scanned');
  assert.deepEqual(await checkHost(ssh, keys(['k1'])), { ok: false, reason: 'host key mismatches (["k1"])' }, 'one configured key missing');
  assert.deepEqual(calls, ['h-winrm-off', 'h-winrm-off', 'h-netcli', 'h-ssh', 'h-ssh']);
});

void test('a name that does not resolve is not registered, and at start loses its free slots', async () => {
  const hosts = [{ ...FAKE, name: 'fake-dns', 'max-parallel-jobs': 2 }];
  const provider = staticProvider(configText('ts-dns', hosts), 'ts-dns');
  await syncStaticNodes(s, provider, { scan });
  assert.deepEqual(await slotStates('ts-dns'), ['fake-dns 0 ready', 'fake-dns 1 ready']);
  const lock = await zuulTakes((await find('ts-dns', 'fake-dns', 1)).id);
  const broken = async () => {
    throw new Error('[Errno -2] Name or service not known');
  };
  const report = await syncStaticNodes(s, provider, { scan, resolve: broken, mode: 'start' });
  assert.deepEqual(await slotStates('ts-dns'), ['fake-dns 0 ready', 'fake-dns 1 in-use'], 'nothing to update: no lookup needed');
  assert.deepEqual(report, EMPTY);
  await zuulReturns((await find('ts-dns', 'fake-dns', 1, 'in-use')).id, lock);
  const r = await reregisterUsedSlot(s, provider, (await find('ts-dns', 'fake-dns', 1, 'used')).id, { scan, resolve: broken });
  assert.equal(r.deleted, true);
  assert.deepEqual([r.registered, r.skipped?.reason], [null, 'unresolvable: [Errno -2] Name or service not known']);
  assert.deepEqual(await slotStates('ts-dns'), ['fake-dns 0 ready']);
  // The next start finds slot 1 free, cannot register it, and takes the host's free slot 0 out.
  const again = await syncStaticNodes(s, provider, { scan, resolve: broken, mode: 'start' });
  assert.deepEqual(again.skipped.map((x) => [x.slot, x.reason]), [[1, 'unresolvable: [Errno -2] Name or service not known']]);
  assert.deepEqual(await slotStates('ts-dns'), ['fake-dns 0 deleting']);
});
