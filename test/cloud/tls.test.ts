// clouds.yaml `cacert` and `verify` reach both the Keystone POST and the API calls: a tiny HTTPS
// Keystone + Nova stub with a certificate from a throw-away CA (made with openssl).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { OpenStackProvider } from '../../drivers/openstack/adapter';
import { loadCloud } from '../../lib/cloud/clouds-yaml';

const dir = mkdtempSync(join(tmpdir(), 'cloud-tls-'));
let server: https.Server;
let url = '';
const seen: string[] = [];

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

before(async () => {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test-ca');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '1', '-extfile', 'ext.cnf');
  server = https.createServer({ key: readFileSync(join(dir, 'srv.key')), cert: readFileSync(join(dir, 'srv.pem')) }, (req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    const json = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && req.url === '/identity/v3/auth/tokens') {
      const ep = (type: string, path: string) => ({ type, name: type, endpoints: [{ id: type, interface: 'public', region: 'R', region_id: 'R', url: `${url}${path}` }] });
      return json(
        201,
        {
          token: {
            expires_at: new Date(Date.now() + 3600_000).toISOString(),
            issued_at: new Date().toISOString(),
            project: { id: 'p', name: 'p', domain: { id: 'default', name: 'Default' } },
            user: { id: 'u', name: 'u' },
            catalog: [ep('compute', '/compute/v2.1'), ep('network', '/network'), ep('image', '/image')],
          },
        },
        { 'X-Subject-Token': 'tls-token' },
      );
    }
    if (req.url?.startsWith('/compute/v2.1/flavors/detail')) return json(200, { flavors: [{ id: '1', name: 'f', ram: 1, vcpus: 1, disk: 1 }] });
    json(404, { itemNotFound: { code: 404, message: 'no' } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

function provider(extra: Record<string, unknown>): OpenStackProvider {
  const file = join(dir, `clouds-${seen.length}-${Math.random()}.yaml`);
  writeFileSync(
    file,
    stringify({
      clouds: { tls: { auth: { auth_url: `${url}/identity/v3`, username: 'u', password: 'p', project_name: 'p', user_domain_name: 'Default', project_domain_name: 'Default' }, region_name: 'R', ...extra } },
    }),
  );
  return new OpenStackProvider({ name: 'tls', rate: 0, requestTimeoutMs: 3000, cloud: loadCloud({ cloud: 'tls', file, env: {}, cwd: dir, home: dir }) });
}

void describe('TLS settings from clouds.yaml', () => {
  void it('cacert: Keystone and Nova are reached over HTTPS with the private CA', async () => {
    const before = seen.length;
    assert.equal((await provider({ cacert: join(dir, 'ca.pem') }).listFlavors()).length, 1);
    assert.deepEqual(seen.slice(before), ['POST /identity/v3/auth/tokens', 'GET /compute/v2.1/flavors/detail?limit=1000']);
  });

  void it('without the CA the certificate is refused: a fatal error, not retried', async () => {
    await assert.rejects(provider({}).listFlavors(), (e: Error & { kind?: string }) => {
      assert.equal(e.kind, 'fatal', e.message);
      assert.match(e.message, /self.signed|certificate|SELF_SIGNED/i);
      return true;
    });
  });

  void it('verify: false skips verification', async () => {
    assert.equal((await provider({ verify: false }).listFlavors()).length, 1);
  });
});
