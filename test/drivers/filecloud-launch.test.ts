// The driver boundary end to end: the launcher and its cleanup run unchanged against filecloud, a
// second cloud driver written only for the tests (drivers/filecloud/: one folder and one registry
// line). Real ZooKeeper, Temporal and launcher child process; Zuul is the kazoo stand-in; the
// cloud's servers and images are files the test reads and plants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useStack, eventually, withDiagnostics, type Stack } from '../harness/stack';
import { listNodes } from '../../activities/launcher/store';
import { FileCloud, readServers, setFault, writeServer } from '../../drivers/filecloud/adapter';
import { cleanupStatusQuery, cleanupWorkflowId, type CleanupStatus } from '../../workflows/cleanup-messages';

const stateDir = mkdtempSync(join(tmpdir(), 'filecloud-'));
const INTERVAL_S = 2;

const stack = useStack(
  () => ({
    labels: [{ name: 'small' }],
    diskimages: [{ name: 'fake-image' }],
    providers: [
      {
        name: 'files',
        driver: 'filecloud',
        cloud: stateDir,
        rate: 0,
        'launch-retries': 2,
        'cloud-images': [{ name: 'debian' }],
        diskimages: [{ name: 'fake-image' }],
        pools: [{ name: 'main', 'max-servers': 4, 'host-key-checking': false, labels: [{ name: 'small', 'cloud-image': 'debian', 'flavor-name': 'small' }] }],
      },
    ],
  }),
  async (s) => {
    await s.startLauncher({ NODEPOOL_TEST_DRIVERS: '1', NODEPOOL_CLEANUP_INTERVAL: String(INTERVAL_S) });
  },
);

const liveServers = () => readServers(stateDir).filter((sv) => sv.status !== 'DELETED');

test('a request is served by a filecloud server; the used node deletes its server', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    // Zuul runs a 5 s job on the node, then returns it used
    const job = s.zuul(['request', '--label', 'small', '--wait', '--timeout', '90', '--use', '--job-seconds', '5', '--release']);
    const node = await eventually('an in-use node', async () => (await listNodes(s.zk)).find((n) => n.state === 'in-use'), 90_000);
    const server = liveServers().find((sv) => sv.id === node.external_id);
    assert.ok(server, `server ${node.external_id} is a file in ${stateDir}`);
    assert.equal(server.name, `np${node.id}`);
    assert.deepEqual([server.metadata.nodepool_provider_name, server.metadata.nodepool_node_id], ['files', node.id]);
    assert.deepEqual([node.provider, node.interface_ip], ['files', '127.0.0.1']);
    const out = await job;
    assert.equal(out.state, 'fulfilled', JSON.stringify(out));
    await eventually('used node and its server gone', async () =>
      !(await listNodes(s.zk)).some((n) => n.id === node.id) && !liveServers().some((sv) => sv.id === node.external_id));
  });
});

test('servers that go to ERROR: the request fails once its launch attempts are spent, and no server is left behind', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    setFault(stateDir, { createServer: 'error' });
    try {
      const out = await s.zuul(['request', '--label', 'small', '--wait', '--timeout', '90']);
      assert.equal(out.state, 'failed', JSON.stringify(out));
      await eventually('no ERROR server left', async () => !liveServers().some((sv) => sv.status === 'ERROR'));
    } finally {
      setFault(stateDir, null);
    }
  });
});

const status = (s: Stack): Promise<CleanupStatus> => s.client.workflow.getHandle(cleanupWorkflowId('files')).query(cleanupStatusQuery);

test('cleanup runs against filecloud: a leaked server and a leaked image go, another deployment’s server stays', async (t) => {
  const s = stack();
  await withDiagnostics(s, t, async () => {
    await eventually('cleanup workflow answers', async () => status(s).catch(() => null));
    const server = (id: string, provider: string, nodeId: string) => ({
      id,
      name: `np${nodeId}`,
      status: 'ACTIVE',
      metadata: { nodepool_provider_name: provider, nodepool_node_id: nodeId },
      addresses: {},
      volumeIds: [],
    });
    writeServer(stateDir, server('leaked-1', 'files', '9000000001'));
    writeServer(stateDir, server('other-1', 'other-nodepool', '9000000002'));
    const cloud = new FileCloud({ name: 'files', stateDir });
    const image = await cloud.uploadImage({
      name: 'fake-image-leaked',
      path: s.configPath,
      diskFormat: 'raw',
      properties: { nodepool_provider_name: 'files', nodepool_build_id: '0000000099', nodepool_upload_id: '0000000001' },
    });
    await eventually(
      'leaked server and image deleted',
      async () => !liveServers().some((sv) => sv.id === 'leaked-1') && (await cloud.getImage(image.id)) === null,
      2 * INTERVAL_S * 1000 + 30_000,
    );
    assert.ok(liveServers().some((sv) => sv.id === 'other-1'), 'a server of another Nodepool stays');
  });
});
