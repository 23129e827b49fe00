// Seeding a real ZooKeeper with Nodepool records through the codecs, for the status, web app and
// CLI tests. Every test gets its own chroot so tests in one file cannot see each other's data.
import { randomUUID } from 'node:crypto';
import { newNode } from '../../lib/zk/codec-node';
import { newRequest } from '../../lib/zk/codec-request';
import { ZkSession } from '../../lib/zk/session';
import { storeBuild, storeUpload } from '../../lib/zk/operations/images';
import { storeNode } from '../../lib/zk/operations/nodes';
import { submitRequest } from '../../lib/zk/operations/requests';
import { registerComponent } from '../../lib/zk/operations/components';
import { type ImageBuild, type ImageUpload } from '../../lib/model/image';
import { type Node } from '../../lib/model/node';
import { type NodeRequest } from '../../lib/model/node-request';
import { type ZooKeeperServer } from '../../tools/servers/zookeeper';
import { serverReady } from '../zk/helpers';

export { eventually, sleep } from '../zk/helpers';

/** A session in a fresh chroot of the test ZooKeeper; returns the chroot too (for CLI configs). */
export async function freshSession(zk: () => ZooKeeperServer): Promise<{ s: ZkSession; chroot: string; server: ZooKeeperServer }> {
  const server = await serverReady(zk);
  const chroot = `/t-${randomUUID().slice(0, 8)}`;
  return { s: await ZkSession.connect({ servers: server.connectString, chroot }), chroot, server };
}

export async function seedNode(s: ZkSession, fields: Partial<Node> = {}): Promise<Node> {
  const n = newNode({ state: 'ready', provider: 'fake-provider', pool: 'main', type: ['fake-label'], external_id: 'fake', public_ipv4: 'fake', public_ipv6: '', ...fields });
  const stateTime = n.state_time;
  await storeNode(s, n);
  n.state_time = stateTime;
  return n;
}

export async function seedRequest(s: ZkSession, fields: Partial<NodeRequest> = {}, priority = '100'): Promise<NodeRequest> {
  const r = newRequest({ node_types: ['fake-label'], requestor: 'test', event_id: 'e1', ...fields });
  await submitRequest(s, r, { priority, ephemeral: false });
  return r;
}

export async function seedBuild(s: ZkSession, image: string, fields: Partial<ImageBuild> = {}): Promise<ImageBuild> {
  const b: ImageBuild = {
    image,
    id: '',
    state: 'ready',
    state_time: Date.now() / 1000,
    builder: 'builder01',
    builder_id: null,
    formats: ['qcow2'],
    username: 'zuul',
    python_path: null,
    shell_type: null,
    extra: new Map(),
    ...fields,
  };
  await storeBuild(s, b);
  return b;
}

export async function seedUpload(s: ZkSession, b: ImageBuild, provider: string, fields: Partial<ImageUpload> = {}): Promise<ImageUpload> {
  const u: ImageUpload = {
    image: b.image,
    build_id: b.id,
    provider,
    id: '',
    state: 'ready',
    state_time: Date.now() / 1000,
    external_id: `ext-${b.id.slice(0, 4)}`,
    external_name: `${b.image}-123`,
    format: 'qcow2',
    username: 'zuul',
    python_path: null,
    shell_type: null,
    extra: new Map(),
    ...fields,
  };
  await storeUpload(s, u);
  return u;
}

export async function seedPool(s: ZkSession, provider: string, labels: string[]): Promise<void> {
  await registerComponent(s, {
    kind: 'pool',
    hostname: 'nl01',
    state: 'running',
    version: 'test',
    model_api: 0,
    id: `nl01-PoolWorker.${provider}-main`,
    name: 'main',
    provider_name: provider,
    supported_labels: labels,
    priority: 100,
    paused: false,
  });
}

/** Ages change every second: compare tables with every DD:HH:MM:SS cell masked (same width). */
export const maskAges = (text: string): string => text.replace(/\b\d{2}:\d{2}:\d{2}:\d{2}\b/g, 'DD:HH:MM:SS');

/** Cells of each body row of a PrettyTable (not the header). */
export function tableRows(text: string): string[][] {
  const lines = text.trimEnd().split('\n');
  return lines
    .slice(3)
    .filter((l) => l.startsWith('|'))
    .map((l) => l.slice(1, -1).split('|').map((c) => c.trim()));
}
