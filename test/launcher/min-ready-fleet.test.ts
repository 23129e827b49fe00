// min-ready with several launchers: the one `min-ready` workflow's pass runs on whichever
// launcher polls its activity, so it must finish every launcher's fulfilled min-ready requests,
// not only those of its own session (a fulfilled request left to its owner keeps its node
// allocated and uncounted, and the pass would ask for one more: overshoot). Real ZooKeeper, two
// sessions standing for two launchers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useZooKeeper } from '../harness/servers';
import { serverReady } from '../zk/helpers';
import { ZkSession } from '../../lib/zk/session';
import { parseConfigText } from '../../lib/config/load';
import { type NodepoolConfig } from '../../lib/config';
import { newNode } from '../../lib/zk/codec-node';
import { encodeRequest, newRequest } from '../../lib/zk/codec-request';
import { storeNode, readNode } from '../../lib/zk/operations/nodes';
import { submitRequest } from '../../lib/zk/operations/requests';
import { REQUESTS } from '../../lib/zk/paths';
import { listNodes } from '../../activities/launcher/store';
import { createMinReadyActivities, MIN_READY_PRIORITY } from '../../activities/launcher/min-ready';
import { MIN_READY_REQUESTOR } from '../../activities/launcher/requests';
import { type LauncherContext } from '../../activities/launcher/context';
import { type PoolRegistry } from '../../activities/launcher/pools';

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
labels:
  - name: warm
    min-ready: 2
providers:
  - name: sim
    cloud: sim
    cloud-images:
      - name: noble
        image-name: ubuntu-noble
    pools:
      - name: main
        max-servers: 8
        labels:
          - name: warm
            cloud-image: noble
            flavor-name: m1.tiny
`;

function config(): NodepoolConfig {
  const r = parseConfigText({ file: 'nodepool.yaml', text: CONFIG }, undefined, { env: {} });
  assert.ok(r.config, JSON.stringify(r.issues));
  return r.config;
}

/** The launcher context of a launcher whose session is `s` (what min-ready reads). */
function launcherOn(s: ZkSession, cfg: NodepoolConfig): LauncherContext {
  const provider = cfg.providers.sim;
  assert.ok(provider && 'pools' in provider);
  const pools = { ours: () => [{ id: 'pool-id', provider: 'sim', pool: 'main', config: provider.pools.main, providerConfig: provider }] } as unknown as PoolRegistry;
  return { zk: () => s, config: () => cfg, pools, nodes: () => listNodes(s) } as unknown as LauncherContext;
}

void test("a pass on launcher B finishes launcher A's fulfilled min-ready request instead of asking for another", async () => {
  const cfg = config();
  // one READY warm node free, and one just launched for A's (ephemeral) min-ready request
  const free = newNode({ state: 'ready', provider: 'sim', pool: 'main', type: ['warm'] });
  await storeNode(a, free);
  const req = newRequest({ node_types: ['warm'], requestor: MIN_READY_REQUESTOR, reuse: false, event_id: 'e1' });
  await submitRequest(a, req, { priority: MIN_READY_PRIORITY, ephemeral: true });
  const launched = newNode({ state: 'ready', provider: 'sim', pool: 'main', type: ['warm'], allocated_to: req.id });
  await storeNode(a, launched);
  req.state = 'fulfilled';
  req.nodes = [launched.id];
  await a.set(`${REQUESTS}/${req.id}`, encodeRequest(req));

  const pass = await createMinReadyActivities(launcherOn(b, cfg)).minReadyPass({});
  assert.deepEqual(pass, { submitted: 0, deleted: 1, failed: [] }, 'nothing more asked for');
  assert.equal((await readNode(b, launched.id))?.value.allocated_to, null, "A's node freed");
  assert.deepEqual(await b.getChildren(REQUESTS), [], "A's request deleted");
  // and the next pass, wherever it runs, sees min-ready satisfied
  assert.equal((await createMinReadyActivities(launcherOn(a, cfg)).minReadyPass({})).submitted, 0);
});

void test("a request another launcher's pass just submitted counts even before this launcher's cache has it", async () => {
  const cfg = config();
  const req = newRequest({ node_types: ['warm'], requestor: MIN_READY_REQUESTOR, reuse: false, event_id: 'e2' });
  await submitRequest(a, req, { priority: MIN_READY_PRIORITY, ephemeral: true });
  // one READY warm node of the two the test before left
  const [gone, ...ready] = (await listNodes(b)).filter((n) => n.type.includes('warm') && n.state === 'ready' && !n.allocated_to);
  await b.deleteRecursive(`/nodepool/nodes/${gone?.id}`);
  assert.equal(ready.length, 1);
  // B's request cache is empty (it has not seen A's request yet)
  const pass = await createMinReadyActivities({ ...launcherOn(b, cfg), requests: () => [] }).minReadyPass({});
  assert.equal(pass.submitted, 0, '1 READY + 1 outstanding = min-ready 2');
  assert.deepEqual(await b.getChildren(REQUESTS), [req.id]);
});
