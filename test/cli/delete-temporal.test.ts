// `nodepool delete` with Temporal up: the node's workflow (node/<id>) gets the deleteNode signal
// (reason "nodepool delete") and the CLI does not touch the node itself; with no such workflow
// it falls back to Nodepool's lock + `deleting` quietly. The workflow here has no worker: the
// server records the signal in its history, which is what we check.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { useTemporal, useZooKeeper } from '../harness/servers';
import { freshSession, seedNode, tableRows } from '../status/helpers';
import { runCli, writeConfig } from './helpers';
import { readNode } from '../../lib/zk/operations/nodes';
import { type ZkSession } from '../../lib/zk/session';
import { type TemporalDevServer } from '../../tools/servers/temporal';

const zk = useZooKeeper();
const temporal = useTemporal();
let s: ZkSession;
let config: string;
let connection: Connection;
let client: Client;
let server: TemporalDevServer;

before(async () => {
  const fresh = await freshSession(zk);
  s = fresh.s;
  config = writeConfig(fresh.server, fresh.chroot);
  // root-level before() hooks run concurrently (Node 20): wait for useTemporal's
  for (const deadline = Date.now() + 120_000; ; ) {
    try {
      server = temporal();
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection, namespace: server.namespace });
});
after(async () => {
  await connection?.close();
  await s?.close();
});
const env = (): Record<string, string> => ({ TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace });

void test('delete signals node/<id> with deleteNode {reason: "nodepool delete"}', async () => {
  const n = await seedNode(s);
  const handle = await client.workflow.start('nodeWorkflow', { taskQueue: 'nobody-polls-this', workflowId: `node/${n.id}`, args: [{ nodeId: n.id, mode: 'adopt' }] });
  const r = await runCli(config, ['delete', n.id], { env: env() });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  // the workflow (not the CLI) marks the node; without a worker nothing happened to it
  assert.equal((await readNode(s, n.id))?.value.state, 'ready');
  assert.equal(tableRows(r.stdout)[0]?.[0], n.id);
  const history = await handle.fetchHistory();
  const signals = (history.events ?? []).map((e) => e.workflowExecutionSignaledEventAttributes).filter((a) => a);
  assert.equal(signals.length, 1);
  assert.equal(signals[0]?.signalName, 'deleteNode');
  const payload = signals[0]?.input?.payloads?.[0]?.data;
  assert.deepEqual(JSON.parse(Buffer.from(payload ?? []).toString()), { reason: 'nodepool delete' });
  await handle.terminate('test done');
});

void test('delete of a node without a workflow falls back to lock + deleting, without a warning', async () => {
  const n = await seedNode(s);
  const r = await runCli(config, ['delete', n.id], { env: env() });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal((await readNode(s, n.id))?.value.state, 'deleting');
  assert.equal(tableRows(r.stdout)[0]?.[6], 'deleting');
});
