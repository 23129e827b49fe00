// The web app as nodepool-launcher runs it (workers/launcher.ts, no --no-webapp): webapp.port and
// listen_address from nodepool.yaml, /ready turning 200 once the launcher's first pass is done,
// /healthz on the launcher's own ZooKeeper session, and listings of the launcher's tree.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useTemporal, useZooKeeper } from '../harness/servers';
import { eventually, seedNode } from '../status/helpers';
import { serverReady } from '../zk/helpers';
import { freePort, spawnServer, stopProcess } from '../../tools/servers/process';
import { repoRoot } from '../../tools/servers/paths';
import { ZkSession } from '../../lib/zk/session';

const zk = useZooKeeper();
const temporal = useTemporal();
let launcher: ChildProcess | undefined;
let s: ZkSession;
let port: number;
let logFile: string;

before(async () => {
  const server = await serverReady(zk);
  s = await ZkSession.connect({ servers: server.connectString });
  port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'np-webapp-'));
  const config = join(dir, 'nodepool.yaml');
  writeFileSync(config, `zookeeper-servers:\n  - host: 127.0.0.1\n    port: ${server.port}\nwebapp:\n  port: ${port}\n  listen_address: 127.0.0.1\nlabels: []\nproviders: []\n`);
  // root-level before() hooks run concurrently (Node 20): wait for useTemporal's
  const t = await eventually('temporal dev server', () => {
    try {
      return temporal();
    } catch {
      return null;
    }
  }, 120_000);
  logFile = join(dir, 'launcher.log');
  launcher = spawnServer(process.execPath, ['--import', 'tsx', join(repoRoot, 'workers', 'launcher.ts'), '-c', config, '-f', '-p', join(dir, 'launcher.pid')], logFile, {
    cwd: repoRoot,
    env: { ...process.env, NODE_OPTIONS: '', TEMPORAL_ADDRESS: t.address, TEMPORAL_NAMESPACE: t.namespace, NODEPOOL_MIN_READY_INTERVAL: '1' },
  });
});
after(async () => {
  if (launcher) await stopProcess(launcher, 15_000);
  await s?.close();
});

const url = (path: string): string => `http://127.0.0.1:${port}${path}`;

void test('the launcher serves /ready, /healthz and the listings on webapp.port', async () => {
  const ready = await eventually(
    'launcher /ready 200',
    async () => {
      const res = await fetch(url('/ready')).catch(() => null);
      return res?.status === 200 ? res : null;
    },
    90_000,
  ).catch((e: Error) => {
    throw new Error(`${e.message}\n${readFileSync(logFile, 'utf8').slice(-4000)}`);
  });
  assert.equal(await ready.text(), 'OK');
  const health = await fetch(url('/healthz'));
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok', zookeeper: 'connected' });
  const n = await seedNode(s);
  const nodes = (await (await fetch(url(`/node-list?node_id=${n.id}`), { headers: { Accept: 'application/json' } })).json()) as Array<{ id: string }>;
  assert.deepEqual(
    nodes.map((x) => x.id),
    [n.id],
  );
  assert.equal((await fetch(url('/node-list/'))).status, 404);
});
