// Two launchers on one config both sync its static providers (at start, on a config change and in
// their periodic cleanup pass): the syncs must not both fill a free slot. Real ZooKeeper, two
// sessions standing for two launchers, a host scan that takes a while.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useZooKeeper } from '../harness/servers';
import { serverReady } from '../zk/helpers';
import { ZkSession } from '../../lib/zk/session';
import { parseConfigText } from '../../lib/config';
import { isStaticProvider } from '../../drivers/registry';
import { StaticSlots } from '../../drivers/static/slots-service';
import { type HostScanner } from '../../drivers/static/host-check';
import { listNodes } from '../../activities/launcher/store';

const zk = useZooKeeper();
let a: ZkSession;
let b: ZkSession;

before(async () => {
  await serverReady(zk);
  a = await ZkSession.connect({ servers: zk().connectString });
  b = await ZkSession.connect({ servers: zk().connectString });
});
after(async () => {
  await a?.close();
  await b?.close();
});

const CONFIG = `
labels: [{name: a}]
providers:
  - name: metal
    driver: static
    pools:
      - name: main
        nodes:
          - {name: 127.0.0.1, labels: [a], max-parallel-jobs: 3, host-key: 'ssh-ed25519 AAAA'}
`;

/** Answers with the configured key after a moment (Nodepool's nodescan takes a while too). */
const slowScan: HostScanner = async () => {
  await new Promise((r) => setTimeout(r, 300));
  return ['ssh-ed25519 AAAA'];
};

void test('two launchers syncing one static provider at once fill each slot once', async () => {
  const { config, issues } = parseConfigText({ file: 'nodepool.yaml', text: CONFIG });
  assert.ok(config, JSON.stringify(issues));
  const provider = config.providers.metal;
  assert.ok(isStaticProvider(provider));
  const onA = new StaticSlots(() => a, slowScan);
  const onB = new StaticSlots(() => b, slowScan);
  const [ra, rb] = await Promise.all([onA.sync(provider, 'start'), onB.sync(provider, 'start'), onB.sync(provider, 'cleanup')]);
  assert.equal(ra.registered.length + rb.registered.length, 3, 'three slots registered in all');
  const nodes = await listNodes(a);
  assert.deepEqual(nodes.map((n) => n.slot).sort(), [0, 1, 2], 'one READY node per slot');
  // and the periodic passes of both launchers leave it so
  await Promise.all([onA.sync(provider, 'cleanup'), onB.sync(provider, 'cleanup')]);
  assert.equal((await listNodes(a)).length, 3);
});
