// openstacksdk is what Nodepool itself talks to clouds with: run the calls its OpenStack adapter
// makes (image upload with hash dedupe, server create/poll/console/delete, limits, AZs, DOWN
// ports, unattached floating-IP cleanup) through Debian's openstacksdk 0.101 against the simulator.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startSimulator, writeCloudsYaml, type Simulator } from '../../simulator';

const PYTHON = '/usr/bin/python3';
const run = promisify(execFile);
const hasSdk = (): boolean => fs.existsSync(PYTHON) && fs.existsSync('/usr/lib/python3/dist-packages/openstack');

interface Seen {
  image: { id: string; status: string; checksum: string; props: Record<string, string> };
  reupload_same_id: boolean;
  flavors: string[];
  azs: string[];
  limits: { max_total_instances: number; total_instances_used: number };
  created: string;
  server: { status: string; private_v4: string; az: string; meta: Record<string, string> };
  servers_listed: string[];
  console: string;
  down_ports: number;
  unattached_fips_deleted: number;
  after_delete: string[];
  images_left: string[];
}

void describe('openstacksdk (Nodepool’s client) against the simulator', { skip: !hasSdk() && 'no Debian openstacksdk' }, () => {
  let sim: Simulator;
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-sdk-'));
    sim = await startSimulator({ bootDelayMs: 200, deleteDelayMs: 200, cloudName: 'sdk' });
    await writeCloudsYaml(path.join(dir, 'clouds.yaml'), 'sdk', sim.cloudsYaml());
  });

  after(async () => {
    await sim?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  void it('runs the Nodepool adapter’s calls end to end', async () => {
    const data = crypto.randomBytes(200_000);
    const img = path.join(dir, 'image.qcow2');
    fs.writeFileSync(img, data);
    const env = { ...process.env, OS_CLIENT_CONFIG_FILE: path.join(dir, 'clouds.yaml'), HOME: dir };
    const { stdout } = await run(PYTHON, [path.join(__dirname, 'openstacksdk_nodepool.py'), 'sdk', img], { env, timeout: 120_000 });
    const seen = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Seen;
    const md5 = crypto.createHash('md5').update(data).digest('hex');
    assert.equal(seen.image.status, 'active');
    assert.equal(seen.image.checksum, md5);
    assert.equal(seen.image.props['owner_specified.openstack.md5'], md5);
    assert.equal(seen.image.props['owner_specified.openstack.sha256'], crypto.createHash('sha256').update(data).digest('hex'));
    assert.equal(seen.image.props.nodepool_build_id, '0000000001');
    assert.equal(seen.reupload_same_id, true, 'same name and hashes: openstacksdk reuses the image');
    assert.deepEqual(seen.flavors, ['m1.large', 'm1.medium', 'm1.small', 'm1.tiny', 'm1.xlarge', 'nodepool-8gb']);
    assert.deepEqual(seen.azs, ['nova', 'az1', 'az2']);
    assert.deepEqual(seen.limits, { max_total_instances: 10, total_instances_used: 0 });
    assert.equal(seen.server.status, 'ACTIVE');
    assert.match(seen.server.private_v4, /^10\.0\.0\.\d+$/);
    assert.equal(seen.server.az, 'az1');
    assert.deepEqual(seen.server.meta, { nodepool_node_id: '0000000001', nodepool_provider_name: 'sim' });
    assert.deepEqual(seen.servers_listed, ['np0000000001']);
    assert.match(seen.console, /login:/);
    assert.equal(seen.down_ports, 0);
    assert.equal(seen.unattached_fips_deleted, 1);
    assert.deepEqual(seen.after_delete, []);
    assert.deepEqual(seen.images_left, []);
    const st = await sim.admin.state();
    assert.deepEqual([st.servers.length, st.images.length, st.floatingIps.length], [0, 0, 0]);
    assert.ok((st.requests['PUT image /v2/images/{id}/file'] ?? 0) === 1, 'uploaded once');
  });
});
