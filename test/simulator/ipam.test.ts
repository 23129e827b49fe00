// Address management: subnet plans from a CIDR, the O(1) allocator's order and reuse, and the
// cursor across a restart with a state file (including a state file of the /24 days).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startSimulator } from '../../simulator';
import { IpAllocator, netmask, subnetPlan } from '../../simulator/ipam';
import { Api } from './helpers';

void describe('ipam', () => {
  void it('plans a subnet from a CIDR as Neutron does, and refuses nonsense', () => {
    assert.deepEqual(subnetPlan('10.0.0.0/16'), { cidr: '10.0.0.0/16', gatewayIp: '10.0.0.1', allocationPool: { start: '10.0.0.2', end: '10.0.255.254' } });
    assert.deepEqual(subnetPlan('203.0.112.0/20', '203.0.113.1', '203.0.113.2').allocationPool, { start: '203.0.113.2', end: '203.0.127.254' });
    assert.equal(netmask('10.0.0.0/16'), '255.255.0.0');
    assert.equal(netmask('10.0.0.0/22'), '255.255.252.0');
    assert.throws(() => subnetPlan('10.0.0.1/16'), /host bits set/);
    assert.throws(() => subnetPlan('10.0.0.0/31'), /prefix length/);
    assert.throws(() => subnetPlan('10.0.300.0/24'), /not an IPv4 address/);
    assert.throws(() => subnetPlan('10.0.0.0/24', '10.0.1.1'), /outside the network/);
  });

  void it('hands out addresses in order past .255, then reuses released ones oldest first', () => {
    const pool = { start: '10.0.0.2', end: '10.0.1.3' }; // 258 addresses
    const a = new IpAllocator(pool, 0x0a000002, ['10.0.0.2']); // cursor on the DHCP port's address
    const got = Array.from({ length: 257 }, () => a.take());
    assert.equal(got[0], '10.0.0.3');
    assert.equal(got[252], '10.0.0.255');
    assert.equal(got[253], '10.0.1.0');
    assert.equal(got[256], '10.0.1.3');
    assert.equal(a.take(), null);
    a.release('10.0.0.9');
    a.release('10.0.0.4');
    a.release('10.0.0.9'); // twice is once
    a.release('192.168.0.1'); // not ours: ignored
    assert.deepEqual([a.take(), a.take(), a.take()], ['10.0.0.9', '10.0.0.4', null]);
  });

  void it('a restart keeps the cursor (no early reuse); a /24 state file still loads', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-ipam-'));
    const stateFile = path.join(dir, 'state.json');
    try {
      let sim = await startSimulator({ stateFile });
      const api = new Api(sim);
      await api.login();
      const ports = [];
      for (let i = 0; i < 3; i++) ports.push(await sim.admin.leakPort({}));
      assert.deepEqual(ports.map((p) => p.fixed_ips[0]?.ip_address), ['10.0.0.3', '10.0.0.4', '10.0.0.5']);
      assert.equal((await api.network('DELETE', `/ports/${ports[1]?.id}`)).status, 204);
      await sim.stop();

      sim = await startSimulator({ stateFile });
      assert.equal((await sim.admin.leakPort({})).fixed_ips[0]?.ip_address, '10.0.0.6', 'the freed .4 waits for the pool to wrap');
      await sim.stop();

      // The shape before subnets had a CIDR: a /24 prefix and the last host number handed out.
      const saved = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { networks: Record<string, unknown>[]; ipCounters: Record<string, number> };
      for (const n of saved.networks) {
        n.cidrPrefix = n.name === 'public' ? '203.0.113' : '10.0.0';
        delete n.cidr;
        delete n.gatewayIp;
        delete n.allocationPool;
      }
      fs.writeFileSync(stateFile, JSON.stringify(saved));
      sim = await startSimulator({ stateFile });
      const legacy = new Api(sim);
      await legacy.login();
      const subnets = (await legacy.network<{ subnets: { name: string; cidr: string; allocation_pools: unknown }[] }>('GET', '/subnets')).body.subnets;
      const priv = subnets.find((s) => s.name === 'private-subnet');
      assert.deepEqual([priv?.cidr, priv?.allocation_pools], ['10.0.0.0/24', [{ start: '10.0.0.2', end: '10.0.0.254' }]]);
      assert.equal((await sim.admin.leakPort({})).fixed_ips[0]?.ip_address, '10.0.0.7');
      await sim.stop();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
