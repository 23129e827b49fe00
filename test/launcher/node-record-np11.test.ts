// The node znode our launcher writes for a cloud node, field by field against the one Nodepool 11
// writes for the same label on the same simulated cloud, with floating IPs on (the pool default
// `auto-floating-ip: true`: servers boot on the simulator's private network and get a floating IP
// from its external network `public`).
//
// Both launchers run side by side on one ZooKeeper (plain port for ours, TLS port for Nodepool,
// which cannot do without) and one simulator, with twin providers that differ only in their names:
// NP_PROVIDER for Nodepool 11, OUR_PROVIDER for ours. Side by side rather than one after the other
// on the same provider name, so both nodes are made in the same cloud at the same time and neither
// launcher ever sees the other's node as its own (leaked-node cleanup, quota, reuse); each request
// is steered with Zuul's provider preference (`--provider`), which both launchers honour while the
// preferred provider's pool is registered. The price is that `provider` is compared by relation.
//
// Skipped unless Nodepool 11 is installed (NODEPOOL11_VENV, default /tmp/np11-venv:
// python3 -m venv /tmp/np11-venv && /tmp/np11-venv/bin/pip install nodepool==11.0.0 cachetools).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { startStack, withDiagnostics, eventually, type StackHandle } from '../harness/stack';
import { makeTestTls, type TestTls } from '../harness/tls';
import { spawnNodepoolLauncher } from '../../bench/backlog/targets';
import { stopProcess } from '../../tools/servers/process';
import { decodeComponent } from '../../lib/zk/codec-component';
import { componentKindPath, nodeLockPath, nodePath } from '../../lib/zk/paths';
import { type SimFloatingIp, type SimServer } from '../../simulator/types';

const NP11 = process.env.NODEPOOL11_VENV ?? '/tmp/np11-venv';
const NP11_BIN = join(NP11, 'bin', 'nodepool-launcher');
const SKIP = existsSync(NP11_BIN)
  ? false
  : `Nodepool 11 is not installed: ${NP11_BIN} is missing (python3 -m venv ${NP11} && ${NP11}/bin/pip install nodepool==11.0.0 cachetools)`;

/** Two labels: the cloud image's defaults, and one that sets every login field it can. */
const LABELS = [
  { name: 'fip', image: { name: 'noble', 'image-name': 'ubuntu-noble' } },
  {
    name: 'fip-login',
    image: { name: 'noble-login', 'image-name': 'ubuntu-noble', username: 'ci', 'python-path': '/usr/bin/python3', 'shell-type': 'sh', 'connection-port': 2222 },
  },
] as const;
type LabelSpec = (typeof LABELS)[number];
const NP_PROVIDER = 'np11';
const OUR_PROVIDER = 'ours';
const POOL = 'main';
/** The simulator's only region (clouds.yaml region_name). */
const REGION = 'RegionOne';

/** The same provider for both launchers but for its name. */
function provider(name: string, cloud: string): Record<string, unknown> {
  return {
    name,
    cloud,
    'region-name': REGION,
    rate: 0,
    'boot-timeout': 60,
    'cloud-images': LABELS.map((l) => l.image),
    pools: [
      {
        name: POOL,
        'max-servers': 5,
        // nothing listens on the simulator's addresses: no key scan
        'host-key-checking': false,
        networks: ['private'],
        'node-attributes': { 'executor-zone': 'z1' },
        labels: LABELS.map((l) => ({ name: l.name, 'cloud-image': l.image.name, 'flavor-name': 'm1.tiny' })),
      },
    ],
  };
}

const config = (name: string) => (cloud: string) => ({ labels: LABELS.map((l) => ({ name: l.name })), providers: [provider(name, cloud)] });

type Doc = Record<string, unknown>;

/** One side of the comparison: its node znode and what the simulator has for it. */
interface Side {
  provider: string;
  /** The id of the pool component its launcher registered for POOL. */
  poolId: string;
  requestId: string;
  nodeId: string;
  doc: Doc;
  server: SimServer;
  fip: SimFloatingIp | undefined;
  lockContenders: number;
}

type Rule =
  /** Same JSON value (the default for every key not listed below). */
  | { kind: 'same' }
  /** Same JSON type only: the value legitimately differs. */
  | { kind: 'type'; why: string }
  /** Same JSON type, and each side's value stands in `check`'s relation to its own node. */
  | { kind: 'relation'; what: string; check: (v: unknown, s: Side) => boolean };

const TYPE_ONLY: Record<string, string> = {
  state_time: 'a timestamp: when each launcher last wrote its node',
  created_time: 'a timestamp: when each launcher made its node',
  hostname: "a host name differs by machine and node (neither launcher sets it for a cloud node: null on both sides)",
};

const RELATIONS: Record<string, Extract<Rule, { kind: 'relation' }>> = {
  provider: { kind: 'relation', what: 'its own provider (twin providers on one ZooKeeper)', check: (v, s) => v === s.provider },
  // <fqdn>-PoolWorker.<provider>-<pool>-<uuid hex>: new per launcher start, so never the same
  launcher: {
    kind: 'relation',
    what: 'the id of its pool component, <fqdn>-PoolWorker.<provider>-<pool>-<uuid>',
    check: (v, s) => v === s.poolId && new RegExp(`^[^ ]+-PoolWorker\\.${s.provider}-${POOL}-[0-9a-f]{32}$`).test(String(v)),
  },
  allocated_to: { kind: 'relation', what: 'its own request id', check: (v, s) => v === s.requestId },
  external_id: { kind: 'relation', what: "the simulator's server id (metadata nodepool_node_id = node id)", check: (v, s) => v === s.server.id },
  az: { kind: 'relation', what: "the server's availability zone", check: (v, s) => typeof v === 'string' && v === s.server.availabilityZone },
  host_id: { kind: 'relation', what: "the server's hostId", check: (v, s) => typeof v === 'string' && v === s.server.hostId },
  public_ipv4: {
    kind: 'relation',
    what: "the floating IP attached to the server's port (simulator state)",
    check: (v, s) => !!s.fip && v === s.fip.floating_ip_address && s.fip.status === 'ACTIVE',
  },
  interface_ip: { kind: 'relation', what: '= public_ipv4 (the floating IP)', check: (v, s) => !!s.fip && v === s.doc.public_ipv4 && v === s.fip.floating_ip_address },
  private_ipv4: {
    kind: 'relation',
    what: "the server's fixed 10.0.x address, the floating IP's fixed_ip_address",
    check: (v, s) => typeof v === 'string' && v.startsWith('10.0.') && v === s.fip?.fixed_ip_address && s.server.addresses.some((a) => a.ip === v),
  },
};

const ruleOf = (key: string): Rule => {
  if (TYPE_ONLY[key] !== undefined) return { kind: 'type', why: TYPE_ONLY[key] };
  return RELATIONS[key] ?? { kind: 'same' };
};

/** What must hold on both sides whatever the other says (the config and the cloud decide it). */
function expected(cloud: string, l: LabelSpec): Record<string, unknown> {
  const image: Record<string, unknown> = l.image;
  return {
    state: 'ready',
    cloud,
    pool: POOL,
    type: [l.name],
    region: REGION,
    // host-key-checking false: no scan, no keys
    host_keys: [],
    connection_type: 'ssh',
    connection_port: image['connection-port'] ?? 22,
    ssh_port: image['connection-port'] ?? 22,
    // Nodepool leaves the username unset unless the image names one (Zuul's readers default to zuul)
    username: image.username ?? null,
    python_path: image['python-path'] ?? 'auto',
    shell_type: image['shell-type'] ?? null,
    attributes: { 'executor-zone': 'z1' },
    tenant_name: 'example',
    image_id: l.image.name,
    resources: { cores: 1, instances: 1, ram: 512 },
    public_ipv6: '',
    hold_job: null,
    hold_expiration: null,
    comment: null,
    user_data: null,
    driver_data: null,
    slot: null,
    node_properties: {},
  };
}

const jsonType = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const show = (v: unknown): string => {
  const s = v === undefined ? '(missing)' : JSON.stringify(v);
  return s.length > 44 ? `${s.slice(0, 41)}...` : s;
};

interface Row {
  key: string;
  ours: unknown;
  theirs: unknown;
  rule: string;
  problem: string | null;
}

function compare(ours: Side, theirs: Side, want: Record<string, unknown>): Row[] {
  const keys = [...new Set([...Object.keys(theirs.doc), ...Object.keys(ours.doc)])];
  return keys.map((key) => {
    const [a, b] = [ours.doc[key], theirs.doc[key]];
    const rule = ruleOf(key);
    const row: Row = { key, ours: a, theirs: b, rule: rule.kind === 'relation' ? `relation: ${rule.what}` : rule.kind === 'type' ? 'type only' : 'same value', problem: null };
    const problems: string[] = [];
    if (!(key in ours.doc)) problems.push('missing in ours');
    else if (!(key in theirs.doc)) problems.push("not in Nodepool 11's");
    else if (jsonType(a) !== jsonType(b)) problems.push(`type ${jsonType(a)} vs ${jsonType(b)}`);
    else if (rule.kind === 'same' && !isDeepStrictEqual(a, b)) problems.push('values differ');
    else if (rule.kind === 'relation') {
      if (!rule.check(a, ours)) problems.push(`ours is not ${rule.what}`);
      if (!rule.check(b, theirs)) problems.push(`Nodepool's is not ${rule.what}`);
    }
    if (key in want) {
      if (key in ours.doc && !isDeepStrictEqual(a, want[key])) problems.push(`ours is not ${JSON.stringify(want[key])}`);
      if (key in theirs.doc && !isDeepStrictEqual(b, want[key])) problems.push(`Nodepool's is not ${JSON.stringify(want[key])}`);
    }
    row.problem = problems.length ? problems.join('; ') : null;
    return row;
  });
}

function table(rows: Row[]): string {
  const head = ['key', 'ours', 'Nodepool 11', 'compared', ''];
  const body = rows.map((r) => [r.key, show(r.ours), show(r.theirs), r.rule.length > 50 ? `${r.rule.slice(0, 47)}...` : r.rule, r.problem ? `DIFFERS: ${r.problem}` : 'ok']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}

/** Until a pool component of each provider is registered (so each launcher sees the other's). */
async function bothPoolsRegistered(s: StackHandle, np11: ChildProcess, np11Log: string): Promise<Map<string, string>> {
  return eventually(
    `pool components of ${NP_PROVIDER} and ${OUR_PROVIDER}`,
    async () => {
      if (np11.exitCode !== null) throw new Error(`Nodepool 11 exited with ${np11.exitCode}:\n${readFileSync(np11Log, 'utf8').slice(-3000)}`);
      const providers = new Map<string, string>();
      for (const child of await s.zk.getChildren(componentKindPath('pool'))) {
        const path = `${componentKindPath('pool')}/${child}`;
        const got = await s.zk.getIfExists(path);
        const c = got ? decodeComponent(path, got.data) : null;
        if (c?.kind === 'pool' && c.name === POOL) providers.set(c.provider_name, c.id);
      }
      return providers.has(NP_PROVIDER) && providers.has(OUR_PROVIDER) && providers;
    },
    120_000,
  );
}

async function request(s: StackHandle, providerName: string, label: string): Promise<{ requestId: string; nodeId: string }> {
  const out = await s.zuul(['request', '--label', label, '--provider', providerName, '--wait', '--timeout', '150'], 180_000);
  assert.equal(out.state, 'fulfilled', `${providerName}: ${JSON.stringify(out)}`);
  const nodes = (out.final as { nodes: string[] }).nodes;
  assert.equal(nodes.length, 1, JSON.stringify(out));
  return { requestId: out.request_id as string, nodeId: nodes[0] as string };
}

async function side(s: StackHandle, providerName: string, poolId: string, r: { requestId: string; nodeId: string }): Promise<Side> {
  const got = await s.zk.getIfExists(nodePath(r.nodeId));
  assert.ok(got, `node ${r.nodeId} is gone`);
  const doc = JSON.parse(got.data.toString('utf8')) as Doc;
  const state = await s.sim.admin.state();
  const server = state.servers.find((x) => x.metadata.nodepool_node_id === r.nodeId);
  assert.ok(server, `a server with nodepool_node_id ${r.nodeId}: ${JSON.stringify(state.servers.map((x) => [x.id, x.name, x.metadata]))}`);
  const ports = new Set(server.addresses.map((a) => a.portId));
  const fip = state.floatingIps.find((f) => f.port_id !== null && ports.has(f.port_id));
  const lock = await s.zk.getIfExists(nodeLockPath(r.nodeId));
  const lockContenders = lock ? (await s.zk.getChildren(nodeLockPath(r.nodeId))).length : 0;
  return { provider: providerName, poolId, ...r, doc, server, fip, lockContenders };
}

void test("a ready cloud node with a floating IP: our znode has Nodepool 11's keys, types and values", { skip: SKIP, timeout: 8 * 60_000 }, async (t) => {
  let tls: TestTls | undefined;
  let s: StackHandle | undefined;
  let np11: ChildProcess | undefined;
  try {
    tls = makeTestTls();
    s = await startStack(config(OUR_PROVIDER), { bootDelayMs: 1000, zooKeeperTls: tls.stores });
    const stack = s;
    await stack.sim.admin.leakImage({ name: 'ubuntu-noble', properties: {} });
    await stack.sim.admin.setQuotas({ floatingIps: -1 });
    await stack.startLauncher();
    const started = await spawnNodepoolLauncher({
      venv: NP11,
      dir: stack.dir,
      zkServer: stack.zkServer,
      tls,
      cloudsFile: join(stack.dir, 'clouds.yaml'),
      config: config(NP_PROVIDER)(stack.sim.cloudName),
      configName: 'nodepool-np11.yaml',
      logName: 'np11-launcher.log',
    });
    np11 = started.child;
    const np11Log = started.launcherLog;
    const np11Child = np11;
    await withDiagnostics(stack, t, async () => {
      try {
        const poolIds = await bothPoolsRegistered(stack, np11Child, np11Log);
        // let each launcher's view of the registered pools catch up before the requests steer by them
        await new Promise((r) => setTimeout(r, 2000));
        // all four requests at once: each label from each launcher
        const requests = await Promise.all(LABELS.flatMap((l) => [NP_PROVIDER, OUR_PROVIDER].map(async (p) => ({ label: l, provider: p, r: await request(stack, p, l.name) }))));
        // a fulfilled request's node is written no more until Zuul takes it; give a late write a moment
        await new Promise((r) => setTimeout(r, 1000));
        const problems: string[] = [];
        for (const l of LABELS) {
          const of = async (p: string) => {
            const got = requests.find((x) => x.label === l && x.provider === p);
            assert.ok(got);
            return side(stack, p, poolIds.get(p) ?? '', got.r);
          };
          const theirs = await of(NP_PROVIDER);
          const ours = await of(OUR_PROVIDER);
          const rows = compare(ours, theirs, expected(stack.sim.cloudName, l));
          t.diagnostic(`label ${l.name}: node ${ours.nodeId} (ours, request ${ours.requestId}) vs node ${theirs.nodeId} (Nodepool 11, request ${theirs.requestId}):\n${table(rows)}`);
          const order = (d: Doc) => Object.keys(d).join(',');
          if (order(ours.doc) !== order(theirs.doc)) t.diagnostic(`label ${l.name}: key order differs (JSON readers do not care):\n  ours: ${order(ours.doc)}\n  np11: ${order(theirs.doc)}`);
          t.diagnostic(
            `label ${l.name}: servers: ours ${ours.server.name} (${ours.server.id}), Nodepool 11 ${theirs.server.name} (${theirs.server.id}); ` +
              `lock contenders after fulfilment: ours ${ours.lockContenders}, Nodepool 11 ${theirs.lockContenders}`,
          );
          for (const r of rows) if (r.problem) problems.push(`${l.name} ${r.key}: ${r.problem} (ours ${JSON.stringify(r.ours)}, Nodepool 11 ${JSON.stringify(r.theirs)})`);
          if (!isDeepStrictEqual(Object.keys(ours.doc).sort(), Object.keys(theirs.doc).sort())) problems.push(`${l.name}: the key sets differ`);
          // neither launcher keeps its node locked once the request is fulfilled: Zuul locks it next
          if (ours.lockContenders !== theirs.lockContenders) problems.push(`${l.name}: lock contenders ours ${ours.lockContenders}, Nodepool 11 ${theirs.lockContenders}`);
          // the server each launcher made: Nodepool's name and metadata; ours also carries Nodepool
          // 2019's two keys (a documented extra: README "Nodes", drivers/openstack/README.md)
          for (const x of [ours, theirs]) {
            if (x.server.name !== `np${x.nodeId}`) problems.push(`${l.name} ${x.provider}: server name ${x.server.name}`);
            const meta: Record<string, string> = {
              groups: `${x.provider},${l.image.name},${l.name}`,
              nodepool_node_id: x.nodeId,
              nodepool_pool_name: POOL,
              nodepool_provider_name: x.provider,
              ...(x === ours ? { nodepool_image_name: l.image.name, nodepool_node_label: l.name } : {}),
            };
            if (!isDeepStrictEqual({ ...x.server.metadata }, meta)) problems.push(`${l.name} ${x.provider}: server metadata ${JSON.stringify(x.server.metadata)}, not ${JSON.stringify(meta)}`);
          }
        }
        t.diagnostic(`compared by type only: ${Object.entries(TYPE_ONLY).map(([k, why]) => `${k} (${why})`).join('; ')}`);
        assert.deepEqual(problems, [], 'every key agrees as its rule says');
      } catch (err) {
        t.diagnostic(`Nodepool 11's log (${np11Log}):\n${readFileSync(np11Log, 'utf8').slice(-4000)}`);
        throw err;
      }
    });
  } finally {
    if (np11) await stopProcess(np11, 15_000);
    await s?.stop();
    tls?.remove();
  }
});
