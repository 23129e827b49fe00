// pkgcloud 2.2.0's own high-level methods hang or crash on a wrong envelope (libs.md §1.8), so
// running them against the simulator checks its response shapes the way the Provider's transport sees them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pkgcloud from 'pkgcloud';
import { useSimulator, waitFor } from './helpers';

type Cb<T> = (err: unknown, v: T) => void;
interface PkgServer {
  id: string;
  name: string;
  status: string;
  original: { status: string; metadata: Record<string, string> };
}
/** The high-level methods exercised here (the project's pkgcloud.d.ts only declares the transport). */
interface PkgCompute {
  getFlavors(cb: Cb<{ id: string; name: string; ram: number }[]>): void;
  getServers(opts: Record<string, unknown>, cb: Cb<PkgServer[]>): void;
  getServer(id: string, cb: Cb<PkgServer>): void;
  createServer(details: Record<string, unknown>, cb: Cb<{ id: string }>): void;
  destroyServer(id: string, cb: Cb<unknown>): void;
  getLimits(cb: Cb<{ absolute: Record<string, number> }>): void;
}
interface PkgNetwork {
  getPorts(cb: Cb<{ id: string; deviceId: string; status: string }[]>): void;
  getNetworks(cb: Cb<{ id: string; name: string }[]>): void;
}

const call = <T>(fn: (cb: Cb<T>) => void): Promise<T> =>
  new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('pkgcloud callback never called (hang)')), 5000);
    fn((err, v) => {
      clearTimeout(t);
      if (err) reject(err instanceof Error ? err : new Error(JSON.stringify(err)));
      else resolve(v);
    });
  });

void describe('pkgcloud 2.2.0 against the simulator', () => {
  const { sim } = useSimulator();

  const options = () => {
    const c = sim().credentials;
    return {
      provider: 'openstack',
      authUrl: sim().authUrl,
      keystoneAuthVersion: 'v3',
      username: c.username,
      password: c.password,
      domainName: 'Default',
      tenantName: c.projectName,
      projectDomainName: 'Default',
      region: 'RegionOne',
    };
  };

  void it('compute: flavors, create, get, list, limits, destroy', async () => {
    const compute = pkgcloud.compute.createClient(options()) as unknown as PkgCompute;
    const flavors = await call<{ id: string; name: string; ram: number }[]>((cb) => compute.getFlavors(cb));
    assert.ok(flavors.some((f) => f.name === 'm1.small' && f.ram === 2048));
    const image = (await sim().admin.state()).images[0]?.id;
    const created = await call<{ id: string }>((cb) =>
      compute.createServer({ name: 'np0000000007', flavor: '1', image, metadata: { nodepool_node_id: '0000000007' } }, cb),
    );
    const s = await waitFor(async () => {
      const x = await call<PkgServer>((cb) => compute.getServer(created.id, cb));
      return x.original.status === 'ACTIVE' ? x : undefined;
    });
    assert.equal(s.status, 'RUNNING');
    assert.deepEqual(s.original.metadata, { nodepool_node_id: '0000000007' });
    const list = await call<PkgServer[]>((cb) => compute.getServers({ name: '^np', limit: 10 }, cb));
    assert.deepEqual(list.map((x) => x.id), [created.id]);
    const limits = await call<{ absolute: Record<string, number> }>((cb) => compute.getLimits(cb));
    assert.equal(limits.absolute.totalInstancesUsed, 1);
    await call((cb) => compute.destroyServer(created.id, cb));
    await waitFor(async () => ((await sim().admin.state()).servers.length === 0 ? true : undefined));
    await assert.rejects(call((cb) => compute.getServer(created.id, cb)), (e: { statusCode?: number }) => e.statusCode === 404);
  });

  void it('network: networks and ports', async () => {
    const network = pkgcloud.network.createClient(options()) as unknown as PkgNetwork;
    const nets = await call<{ id: string; name: string }[]>((cb) => network.getNetworks(cb));
    assert.deepEqual(nets.map((n) => n.name).sort(), ['private', 'public']);
    const ports = await call<{ id: string; deviceId: string; status: string }[]>((cb) => network.getPorts(cb));
    assert.equal(ports.length, (await sim().admin.state()).ports.length);
  });

  void it('authenticates with an application credential through a custom Identity', async () => {
    const { Identity } = await import('pkgcloud/lib/pkgcloud/openstack/context');
    const c = sim().credentials;
    class AppCredIdentity extends Identity {
      override _buildAuthenticationPayload(): void {
        this._authenticationPayload = {
          auth: { identity: { methods: ['application_credential'], application_credential: { id: c.applicationCredentialId, secret: c.applicationCredentialSecret } } },
        };
      }
    }
    const compute = pkgcloud.compute.createClient({
      provider: 'openstack',
      authUrl: sim().authUrl,
      keystoneAuthVersion: 'v3',
      region: 'RegionOne',
      identity: AppCredIdentity,
    }) as unknown as PkgCompute;
    const flavors = await call<unknown[]>((cb) => compute.getFlavors(cb));
    assert.equal(flavors.length, (await sim().admin.state()).flavors.length);
  });
});
