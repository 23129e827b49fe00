// Fidelity check: Debian's real `openstack` CLI (python3-openstackclient 6.0, openstacksdk,
// novaclient, keystoneauth) must accept the simulator, and what it shows must be what the
// simulator holds.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startSimulator, writeCloudsYaml, type Simulator } from '../../simulator';

const OPENSTACK = '/usr/bin/openstack';
const run = promisify(execFile);

void describe('openstack CLI against the simulator', { skip: !fs.existsSync(OPENSTACK) && `${OPENSTACK} not installed` }, () => {
  let sim: Simulator;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const cloud = 'sim-cli';

  /** Runs `openstack --os-cloud <cloud> ... -f json` and parses the output. */
  async function osc<T = Record<string, unknown>>(...args: string[]): Promise<T> {
    const out = await osRaw(...args, '-f', 'json');
    return JSON.parse(out) as T;
  }
  async function osRaw(...args: string[]): Promise<string> {
    try {
      const { stdout } = await run(OPENSTACK, ['--os-cloud', cloud, ...args], { env, timeout: 60_000, maxBuffer: 1 << 24 });
      return stdout;
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`openstack ${args.join(' ')} failed: ${err.message}\n${err.stderr ?? ''}`);
    }
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-cli-'));
    sim = await startSimulator({ cloudName: cloud, bootDelayMs: 300, deleteDelayMs: 300 });
    const file = path.join(dir, 'clouds.yaml');
    await writeCloudsYaml(file, cloud, sim.cloudsYaml());
    await writeCloudsYaml(file, `${cloud}-appcred`, sim.appCredentialCloudsYaml());
    // A clean environment: no OS_* variables from the caller, caches in the temp dir.
    env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')));
    Object.assign(env, { OS_CLIENT_CONFIG_FILE: file, HOME: dir, XDG_CACHE_HOME: path.join(dir, 'cache') });
  });

  after(async () => {
    await sim?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  void it('token issue', async () => {
    const t = await osc<{ id: string; project_id: string; user_id: string; expires: string }>('token', 'issue');
    assert.equal(t.project_id, sim.credentials.projectId);
    assert.ok(t.id.length > 20);
    assert.ok(Date.parse(t.expires) > Date.now() + 30 * 60_000, 'token lives long enough for pkgcloud');
    assert.ok((await sim.admin.state()).tokens >= 1);
  });

  void it('token issue with an application credential (auth_type v3applicationcredential)', async () => {
    const { stdout } = await run(OPENSTACK, ['--os-cloud', `${cloud}-appcred`, 'token', 'issue', '-f', 'json'], { env, timeout: 60_000 });
    const t = JSON.parse(stdout) as { project_id: string; user_id: string };
    assert.equal(t.project_id, sim.credentials.projectId);
    const { stdout: f } = await run(OPENSTACK, ['--os-cloud', `${cloud}-appcred`, 'flavor', 'list', '-f', 'json'], { env, timeout: 60_000 });
    assert.equal((JSON.parse(f) as unknown[]).length, (await sim.admin.state()).flavors.length);
  });

  void it('flavor list', async () => {
    const flavors = await osc<{ ID: string; Name: string; RAM: number; VCPUs: number }[]>('flavor', 'list');
    const held = (await sim.admin.state()).flavors;
    assert.deepEqual(
      flavors.map((f) => [f.ID, f.Name, f.RAM, f.VCPUs]).sort(),
      held.map((f) => [f.id, f.name, f.ram, f.vcpus]).sort(),
    );
    assert.ok(flavors.some((f) => f.Name === 'm1.small' && f.RAM === 2048));
  });

  let imageId = '';
  const imageBytes = crypto.randomBytes(3 * 1024 * 1024 + 17);

  void it('image create --file streams the upload and records md5 and sha512', async () => {
    const file = path.join(dir, 'disk.qcow2');
    fs.writeFileSync(file, imageBytes);
    const img = await osc<{ id: string; name: string; disk_format: string }>(
      'image', 'create', '--file', file, '--disk-format', 'qcow2', '--property', 'nodepool_build_id=0000000001', 'cli-image',
    );
    imageId = img.id;
    assert.equal(img.name, 'cli-image');
    const held = (await sim.admin.state()).images.find((i) => i.id === imageId);
    assert.ok(held, 'image held by the simulator');
    assert.equal(held.status, 'active');
    assert.equal(held.size, imageBytes.length);
    assert.equal(held.checksum, crypto.createHash('md5').update(imageBytes).digest('hex'));
    assert.equal(held.os_hash_algo, 'sha512');
    assert.equal(held.os_hash_value, crypto.createHash('sha512').update(imageBytes).digest('hex'));
    assert.equal(held.properties.nodepool_build_id, '0000000001');
    assert.ok(held.file && fs.readFileSync(held.file).equals(imageBytes), 'bytes on disk are the uploaded bytes');
  });

  void it('image list and image show', async () => {
    const list = await osc<{ ID: string; Name: string; Status: string }[]>('image', 'list');
    const held = (await sim.admin.state()).images;
    assert.deepEqual(list.map((i) => [i.ID, i.Name, i.Status]), held.map((i) => [i.id, i.name, i.status]));
    const shown = await osc<{ id: string; checksum: string; size: number; properties: Record<string, string> }>('image', 'show', imageId);
    assert.equal(shown.checksum, held[0]?.checksum);
    assert.equal(shown.size, imageBytes.length);
    assert.equal(shown.properties.nodepool_build_id, '0000000001');
  });

  let serverId = '';

  void it('server create --wait goes BUILD -> ACTIVE with an address on the private network', async () => {
    const s = await osc<{ id: string; status: string; name: string; flavor: string; addresses: Record<string, string[]> }>(
      'server', 'create', '--flavor', 'm1.small', '--image', 'cli-image', '--network', 'private',
      '--property', 'nodepool_node_id=0000000042', '--wait', 'np0000000042',
    );
    serverId = s.id;
    assert.equal(s.status, 'ACTIVE');
    assert.equal(s.flavor, 'm1.small (2)');
    const st = await sim.admin.state();
    const held = st.servers.find((x) => x.id === serverId);
    assert.ok(held);
    assert.equal(held.status, 'ACTIVE');
    assert.equal(held.imageId, imageId);
    assert.equal(held.metadata.nodepool_node_id, '0000000042');
    assert.deepEqual(s.addresses, { private: [held.addresses[0]?.ip] });
    assert.match(held.addresses[0]?.ip ?? '', /^10\.0\.0\.\d+$/);
    assert.deepEqual(st.usage, { instances: 1, cores: 1, ram: 2048, floatingIps: 0, volumes: 0, gigabytes: 0 });
  });

  void it('server show', async () => {
    const s = await osc<Record<string, unknown>>('server', 'show', serverId);
    const held = (await sim.admin.state()).servers.find((x) => x.id === serverId);
    assert.ok(held);
    assert.equal(s.name, held.name);
    assert.equal(s.status, held.status);
    assert.equal(s['OS-EXT-AZ:availability_zone'], held.availabilityZone);
    assert.equal(s['OS-EXT-STS:vm_state'], 'active');
    assert.equal(s['OS-EXT-STS:task_state'], null);
    assert.equal(s.image, `cli-image (${imageId})`);
    assert.deepEqual(s.properties, held.metadata);
  });

  void it('console log show (os-getConsoleOutput)', async () => {
    const all = await osRaw('console', 'log', 'show', serverId);
    assert.match(all, /np0000000042 login:/);
    const two = await osRaw('console', 'log', 'show', '--lines', '2', serverId);
    assert.equal(two.trim().split('\n').length, 2);
  });

  void it('server set --property', async () => {
    await osRaw('server', 'set', '--property', 'k=v', '--property', 'groups=p1,img,label', serverId);
    const held = (await sim.admin.state()).servers.find((x) => x.id === serverId);
    assert.deepEqual(held?.metadata, { nodepool_node_id: '0000000042', k: 'v', groups: 'p1,img,label' });
    const s = await osc<{ properties: Record<string, string> }>('server', 'show', serverId);
    assert.deepEqual(s.properties, held?.metadata);
  });

  void it('server list with a name filter', async () => {
    const list = await osc<{ ID: string; Name: string; Status: string }[]>('server', 'list', '--name', '^np00000000');
    assert.deepEqual(list.map((s) => [s.ID, s.Name, s.Status]), [[serverId, 'np0000000042', 'ACTIVE']]);
    assert.deepEqual(await osc('server', 'list', '--name', '^nomatch'), []);
  });

  void it('port list (all, and filtered by server and device owner)', async () => {
    const st = await sim.admin.state();
    const all = await osc<{ ID: string; Status: string }[]>('port', 'list');
    assert.deepEqual(all.map((p) => p.ID).sort(), st.ports.map((p) => p.id).sort());
    const mine = await osc<{ ID: string; Status: string }[]>('port', 'list', '--server', serverId);
    const held = st.ports.filter((p) => p.device_id === serverId);
    assert.equal(held.length, 1);
    assert.deepEqual(mine.map((p) => [p.ID, p.Status]), [[held[0]?.id, 'ACTIVE']]);
    const owned = await osc<{ ID: string }[]>('port', 'list', '--device-owner', 'network:dhcp');
    assert.deepEqual(owned.map((p) => p.ID), st.ports.filter((p) => p.device_owner === 'network:dhcp').map((p) => p.id));
  });

  let fipId = '';

  void it('floating ip create, set --port, list', async () => {
    const created = await osc<{ id: string; floating_ip_address: string; status: string }>('floating', 'ip', 'create', 'public');
    fipId = created.id;
    assert.equal(created.status, 'DOWN');
    const port = (await sim.admin.state()).ports.find((p) => p.device_id === serverId);
    assert.ok(port);
    await osRaw('floating', 'ip', 'set', '--port', port.id, fipId);
    const list = await osc<{ ID: string; 'Floating IP Address': string; 'Fixed IP Address': string; Port: string }[]>('floating', 'ip', 'list');
    const held = (await sim.admin.state()).floatingIps;
    assert.deepEqual(
      list.map((f) => [f.ID, f['Floating IP Address'], f['Fixed IP Address'], f.Port]),
      held.map((f) => [f.id, f.floating_ip_address, f.fixed_ip_address, f.port_id]),
    );
    assert.equal(held[0]?.port_id, port.id);
    assert.equal(held[0]?.fixed_ip_address, port.fixed_ips[0]?.ip_address);
    // Nova shows the floating address on the server too.
    const s = await osc<{ addresses: Record<string, string[]> }>('server', 'show', serverId);
    assert.deepEqual(s.addresses.private, [port.fixed_ips[0]?.ip_address, created.floating_ip_address]);
  });

  void it('network list and network show', async () => {
    const list = await osc<{ ID: string; Name: string; Subnets: string[] }[]>('network', 'list');
    const held = (await sim.admin.state()).networks;
    assert.deepEqual(
      list.map((n) => [n.ID, n.Name, n.Subnets]).sort(),
      held.map((n) => [n.id, n.name, [n.subnetId]]).sort(),
    );
    const pub = await osc<{ 'router:external': boolean; id: string }>('network', 'show', 'public');
    assert.equal(pub['router:external'], true);
    assert.equal(pub.id, held.find((n) => n.name === 'public')?.id);
  });

  void it('availability zone list --compute', async () => {
    const zones = await osc<{ 'Zone Name': string; 'Zone Status': string }[]>('availability', 'zone', 'list', '--compute');
    const held = (await sim.admin.state()).availabilityZones;
    assert.deepEqual(zones.map((z) => z['Zone Name']), held);
    assert.ok(zones.every((z) => z['Zone Status'] === 'available'));
  });

  void it('limits show --absolute reflects quota and usage', async () => {
    const rows = await osc<{ Name: string; Value: number }[]>('limits', 'show', '--absolute');
    const v = Object.fromEntries(rows.map((r) => [r.Name, r.Value]));
    const st = await sim.admin.state();
    assert.equal(v.maxTotalInstances, st.quotas.instances);
    assert.equal(v.totalInstancesUsed, 1);
    assert.equal(v.totalRAMUsed, 2048);
  });

  void it('server create --boot-from-volume: volume list shows the in-use root volume; both go on delete', async () => {
    const s = await osc<{ id: string; status: string; image: string; volumes_attached: unknown }>(
      'server', 'create', '--flavor', 'm1.tiny', '--image', imageId, '--boot-from-volume', '5', '--network', 'private', '--wait', 'np-bfv',
    );
    assert.equal(s.status, 'ACTIVE');
    const vols = await osc<{ ID: string; Status: string; Size: number; 'Attached to': unknown }[]>('volume', 'list');
    const held = (await sim.admin.state()).volumes;
    assert.deepEqual(vols.map((v) => [v.ID, v.Status, v.Size]), held.map((v) => [v.id, v.status, v.size]));
    assert.deepEqual(held.map((v) => [v.serverId, v.size, v.imageId]), [[s.id, 5, imageId]]);
    await osRaw('server', 'delete', '--wait', s.id);
    // openstackclient's --boot-from-volume sets delete_on_termination false, as in real clouds: the volume stays.
    const left = (await sim.admin.state()).volumes;
    assert.deepEqual(left.map((v) => [v.status, v.serverId]), [['available', null]]);
    await osRaw('volume', 'delete', left[0]?.id ?? '');
    assert.deepEqual((await sim.admin.state()).volumes, []);
  });

  void it('quota show reads Nova, Neutron and Cinder quota sets', async () => {
    const q = await osc<Record<string, number>>('quota', 'show');
    const st = await sim.admin.state();
    assert.equal(q.instances, st.quotas.instances);
    assert.equal(q.cores, st.quotas.cores);
    assert.equal(q.ram, st.quotas.ram);
    assert.equal(q['floating-ips'], st.quotas.floatingIps);
    assert.equal(q.volumes, st.quotas.volumes);
  });

  void it('a quota refusal reaches the CLI with Nova’s message; an ERROR server shows its fault', async () => {
    await sim.admin.setQuotas({ instances: 1 });
    await assert.rejects(
      osRaw('server', 'create', '--flavor', 'm1.tiny', '--image', imageId, '--network', 'private', 'np-over'),
      /Quota exceeded for instances: Requested 1, but already used 1 of 1 instances \(HTTP 403\)/,
    );
    await sim.admin.setQuotas({ instances: 10 });
    await sim.admin.addServerRule({ nameRegex: '^np-broken$', outcome: 'error', faultMessage: 'No valid host was found. There are not enough hosts available.' });
    // OSC 6.0 reports a server that went ERROR during --wait on stdout and still exits 0.
    const out = await osRaw('server', 'create', '--flavor', 'm1.tiny', '--image', imageId, '--network', 'private', '--wait', 'np-broken');
    assert.match(out, /Error creating server/);
    const s = await osc<{ status: string; fault: { message: string } }>('server', 'show', 'np-broken');
    assert.equal(s.status, 'ERROR');
    assert.equal(s.fault.message, 'No valid host was found. There are not enough hosts available.');
    await osRaw('server', 'delete', '--wait', 'np-broken');
  });

  void it('server delete --wait removes the server, its port, and frees the floating IP', async () => {
    await osRaw('server', 'delete', '--wait', serverId);
    const st = await sim.admin.state();
    assert.equal(st.servers.length, 0);
    assert.equal(st.ports.filter((p) => p.device_id === serverId).length, 0);
    assert.deepEqual(st.floatingIps.map((f) => [f.id, f.port_id, f.status]), [[fipId, null, 'DOWN']]);
    assert.deepEqual(await osc('server', 'list'), []);
    await osRaw('floating', 'ip', 'delete', fipId);
    assert.equal((await sim.admin.state()).floatingIps.length, 0);
  });

  void it('image delete', async () => {
    const file = (await sim.admin.state()).images[0]?.file;
    await osRaw('image', 'delete', imageId);
    assert.equal((await sim.admin.state()).images.length, 0);
    assert.ok(file && !fs.existsSync(file), 'image file removed from disk');
  });

  void it('a revoked token is refused; the CLI gets a new one with its password', async () => {
    const { id } = await osc<{ id: string }>('token', 'issue');
    await sim.admin.revokeTokens();
    assert.equal((await sim.admin.state()).tokens, 0);
    // A token-only invocation (no clouds.yaml entry, so no password to fall back on).
    const tokenOnly = (token: string) =>
      run(OPENSTACK, ['--os-auth-url', sim.authUrl, '--os-auth-type', 'v3token', '--os-token', token, '--os-project-id', sim.credentials.projectId,
        '--os-region-name', 'RegionOne', 'flavor', 'list', '-f', 'json'], { env: { ...env, OS_CLIENT_CONFIG_FILE: '/dev/null' }, timeout: 60_000 });
    await assert.rejects(tokenOnly(id), /requires authentication|HTTP 401/);
    const fresh = await osc<{ id: string }>('token', 'issue');
    assert.ok((JSON.parse((await tokenOnly(fresh.id)).stdout) as unknown[]).length > 0);
    const flavors = await osc<unknown[]>('flavor', 'list');
    assert.ok(flavors.length > 0);
  });
});
