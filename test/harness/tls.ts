// Test certificates for ZooKeeper TLS (spec/libs.md §4.6): a CA, a server certificate for
// 127.0.0.1 (IP SAN, so hostname checks pass), a client certificate (ZooKeeper requires client
// auth), as PEM files for our client and kazoo, and PKCS12 stores for ZooKeeper's
// ssl.keyStore / ssl.trustStore. Made with openssl and keytool, nothing downloaded.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ZooKeeperTlsStores } from '../../tools/servers/zookeeper';

export interface TestTls {
  dir: string;
  /** PEM CA certificate (zookeeper-tls ca). */
  ca: string;
  /** PEM client certificate and key (zookeeper-tls cert, key). */
  cert: string;
  key: string;
  /** A client certificate signed by a different CA: the server must refuse it. */
  rogueCert: string;
  rogueKey: string;
  /** For startZooKeeper({ tls }). */
  stores: ZooKeeperTlsStores;
  remove(): void;
}

function run(cmd: string, args: string[], cwd: string): void {
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`], dir);
}

function makeCert(dir: string, ca: string, name: string, ext: string): void {
  writeFileSync(join(dir, `${name}.ext`), ext);
  run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
  run('openssl', ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir);
}

export function makeTestTls(): TestTls {
  const dir = mkdtempSync(join(tmpdir(), 'nodepool-tls-'));
  const password = 'nodepool-test';
  makeCa(dir, 'ca');
  makeCert(dir, 'ca', 'server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  makeCert(dir, 'ca', 'client', 'extendedKeyUsage=clientAuth\n');
  makeCa(dir, 'rogue-ca');
  makeCert(dir, 'rogue-ca', 'rogue', 'extendedKeyUsage=clientAuth\n');
  run('openssl', ['pkcs12', '-export', '-in', 'server.pem', '-inkey', 'server.key', '-certfile', 'ca.pem', '-name', 'server', '-passout', `pass:${password}`, '-out', 'keystore.p12'], dir);
  run('keytool', ['-importcert', '-noprompt', '-alias', 'ca', '-file', 'ca.pem', '-keystore', 'truststore.p12', '-storetype', 'PKCS12', '-storepass', password], dir);
  const p = (f: string) => join(dir, f);
  return {
    dir,
    ca: p('ca.pem'),
    cert: p('client.pem'),
    key: p('client.key'),
    rogueCert: p('rogue.pem'),
    rogueKey: p('rogue.key'),
    stores: { keyStore: p('keystore.p12'), trustStore: p('truststore.p12'), password },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
