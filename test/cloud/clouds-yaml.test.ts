// clouds.yaml loading: os-client-config search order, secure.yaml deep merge, region selection,
// auth types, defaults, error messages, and that credentials never serialise.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, beforeEach, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { CloudsYamlError, loadCloud } from '../../lib/cloud/clouds-yaml';
import { cloudsYamlCandidates } from '../../lib/cloud/search-path';

const root = mkdtempSync(join(tmpdir(), 'clouds-yaml-'));
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
interface Layout {
  cwd: string;
  home: string;
  env: NodeJS.ProcessEnv;
}
let L: Layout;

beforeEach(() => {
  const base = join(root, String(n++));
  L = { cwd: join(base, 'cwd'), home: join(base, 'home'), env: {} };
  mkdirSync(L.cwd, { recursive: true });
  mkdirSync(join(L.home, '.config', 'openstack'), { recursive: true });
});

function write(path: string, doc: unknown): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, typeof doc === 'string' ? doc : stringify(doc));
  return path;
}

const passwordCloud = (extra: Record<string, unknown> = {}, auth: Record<string, unknown> = {}) => ({
  auth: {
    auth_url: 'https://keystone.example:5000/v3',
    username: 'ci',
    password: 'hunter2',
    project_name: 'ci-project',
    user_domain_name: 'Default',
    project_domain_name: 'Default',
    ...auth,
  },
  region_name: 'RegionOne',
  ...extra,
});

const load = (cloud: string, region?: string) => loadCloud({ cloud, region, cwd: L.cwd, home: L.home, env: L.env });

void describe('clouds.yaml search order', () => {
  void it('lists OS_CLIENT_CONFIG_FILE, ./, ~/.config/openstack, /etc/openstack in that order', () => {
    L.env.OS_CLIENT_CONFIG_FILE = '/x/my.yaml';
    const c = cloudsYamlCandidates({ cwd: L.cwd, home: L.home, env: L.env });
    assert.equal(c[0], '/x/my.yaml');
    assert.equal(c[1], join(L.cwd, 'clouds.yaml'));
    const homeIdx = c.indexOf(join(L.home, '.config', 'openstack', 'clouds.yaml'));
    const etcIdx = c.indexOf('/etc/openstack/clouds.yaml');
    assert.ok(homeIdx > 1 && etcIdx > homeIdx);
  });

  void it('prefers OS_CLIENT_CONFIG_FILE over ./clouds.yaml over ~/.config/openstack', () => {
    write(join(L.home, '.config', 'openstack', 'clouds.yaml'), { clouds: { c: passwordCloud({ region_name: 'home' }) } });
    assert.equal(load('c').region, 'home');
    write(join(L.cwd, 'clouds.yaml'), { clouds: { c: passwordCloud({ region_name: 'cwd' }) } });
    assert.equal(load('c').region, 'cwd');
    L.env.OS_CLIENT_CONFIG_FILE = write(join(L.cwd, 'elsewhere', 'x.yaml'), { clouds: { c: passwordCloud({ region_name: 'env' }) } });
    const cfg = load('c');
    assert.equal(cfg.region, 'env');
    assert.equal(cfg.sourceFile, L.env.OS_CLIENT_CONFIG_FILE);
  });

  void it('falls through a missing OS_CLIENT_CONFIG_FILE, and names every path tried when nothing exists', () => {
    L.env.OS_CLIENT_CONFIG_FILE = join(L.cwd, 'nope.yaml');
    assert.throws(() => load('c'), (e: Error) => e instanceof CloudsYamlError && e.message.includes('nope.yaml') && e.message.includes('cloud "c"'));
    write(join(L.cwd, 'clouds.yml'), { clouds: { c: passwordCloud() } });
    assert.equal(load('c').sourceFile, join(L.cwd, 'clouds.yml'));
  });
});

void describe('secure.yaml', () => {
  void it('is deep-merged over clouds.yaml (only the password in it)', () => {
    const cloud = passwordCloud();
    delete (cloud.auth as Record<string, unknown>).password;
    write(join(L.cwd, 'clouds.yaml'), { clouds: { c: cloud } });
    assert.throws(() => load('c'), /password is missing/);
    write(join(L.cwd, 'secure.yaml'), { clouds: { c: { auth: { password: 's3cret' } } } });
    const cfg = load('c');
    assert.equal(cfg.auth.revealSecret(), 's3cret');
    assert.equal(cfg.auth.username, 'ci');
    assert.equal(cfg.auth.projectName, 'ci-project');
    assert.equal(cfg.secureFile, join(L.cwd, 'secure.yaml'));
  });

  void it('is found beside an OS_CLIENT_CONFIG_FILE, and OS_CLIENT_SECURE_FILE wins', () => {
    const dir = join(L.cwd, 'conf');
    L.env.OS_CLIENT_CONFIG_FILE = write(join(dir, 'clouds.yaml'), { clouds: { c: passwordCloud() } });
    write(join(dir, 'secure.yaml'), { clouds: { c: { auth: { password: 'beside' } } } });
    assert.equal(load('c').auth.revealSecret(), 'beside');
    L.env.OS_CLIENT_SECURE_FILE = write(join(L.cwd, 'other', 's.yaml'), { clouds: { c: { auth: { password: 'env' } } } });
    assert.equal(load('c').auth.revealSecret(), 'env');
  });
});

void describe('region selection', () => {
  void it('uses region-name, else region_name, else the first of regions:', () => {
    write(join(L.cwd, 'clouds.yaml'), {
      clouds: {
        plain: passwordCloud({ region_name: 'R1' }),
        multi: { ...passwordCloud(), region_name: undefined, regions: ['DFW', { name: 'ORD', values: { image_format: 'raw' } }] },
      },
    });
    assert.equal(load('plain').region, 'R1');
    assert.equal(load('plain', 'R9').region, 'R9', 'without regions: any region-name is taken');
    assert.equal(load('multi').region, 'DFW');
    const ord = load('multi', 'ORD');
    assert.equal(ord.region, 'ORD');
    assert.equal(ord.imageFormat, 'raw', 'region values merge over the cloud');
    assert.equal(load('multi', 'DFW').imageFormat, 'qcow2');
  });

  void it('rejects a region-name not in regions:, naming file, cloud and choices', () => {
    const f = write(join(L.cwd, 'clouds.yaml'), { clouds: { multi: { ...passwordCloud(), regions: ['DFW', 'ORD'] } } });
    assert.throws(
      () => load('multi', 'IAD'),
      (e: Error) => e.message.includes(f) && e.message.includes('cloud "multi"') && e.message.includes('IAD') && e.message.includes('DFW, ORD'),
    );
  });
});

void describe('auth and options', () => {
  void it('password auth: strips /v3 from auth_url; defaults image_format qcow2, verify true, interface public', () => {
    write(join(L.cwd, 'clouds.yaml'), { clouds: { c: passwordCloud() } });
    const cfg = load('c');
    assert.equal(cfg.auth.type, 'password');
    assert.equal(cfg.auth.authUrl, 'https://keystone.example:5000');
    assert.equal(cfg.imageFormat, 'qcow2');
    assert.equal(cfg.verify, true);
    assert.equal(cfg.interface, 'public');
    assert.equal(cfg.cacert, undefined);
    assert.equal(cfg.private, false);
  });

  void it('domain_name fills user and project domains; cacert, verify, interface, private are read', () => {
    const cloud = passwordCloud({ cacert: '/etc/ssl/ca.pem', verify: false, interface: 'internal', private: true, image_format: 'raw' });
    delete (cloud.auth as Record<string, unknown>).user_domain_name;
    delete (cloud.auth as Record<string, unknown>).project_domain_name;
    (cloud.auth as Record<string, unknown>).domain_name = 'ci-domain';
    write(join(L.cwd, 'clouds.yaml'), { clouds: { c: cloud } });
    const cfg = load('c');
    assert.equal(cfg.auth.userDomainName, 'ci-domain');
    assert.equal(cfg.auth.projectDomainName, 'ci-domain');
    assert.equal(cfg.cacert, '/etc/ssl/ca.pem');
    assert.equal(cfg.verify, false);
    assert.equal(cfg.interface, 'internal');
    assert.equal(cfg.private, true);
    assert.equal(cfg.imageFormat, 'raw');
  });

  void it('v3applicationcredential: id + secret, no project needed', () => {
    write(join(L.cwd, 'clouds.yaml'), {
      clouds: {
        app: {
          auth_type: 'v3applicationcredential',
          auth: { auth_url: 'https://k/identity/v3/', application_credential_id: 'abc', application_credential_secret: 'shh' },
        },
        bad: { auth_type: 'v3applicationcredential', auth: { auth_url: 'https://k', application_credential_secret: 'shh' } },
      },
    });
    const cfg = load('app');
    assert.equal(cfg.auth.type, 'v3applicationcredential');
    assert.equal(cfg.auth.applicationCredentialId, 'abc');
    assert.equal(cfg.auth.revealSecret(), 'shh');
    assert.equal(cfg.auth.authUrl, 'https://k/identity');
    assert.equal(cfg.region, undefined);
    assert.throws(() => load('bad'), /application_credential_id/);
  });

  void it('clear errors: unknown cloud lists the known ones; unsupported auth_type; missing auth_url; v2 identity', () => {
    const f = write(join(L.cwd, 'clouds.yaml'), {
      clouds: {
        a: passwordCloud(),
        tok: { ...passwordCloud(), auth_type: 'token' },
        nourl: { auth: { username: 'u', password: 'p', project_name: 'x' } },
        v2: { ...passwordCloud(), identity_api_version: 2 },
      },
    });
    assert.throws(() => load('zzz'), (e: Error) => e.message.includes(f) && e.message.includes('"zzz" not found') && e.message.includes('a, tok'));
    assert.throws(() => load('tok'), /cloud "tok": auth_type "token" is not supported/);
    assert.throws(() => load('nourl'), /cloud "nourl": auth.auth_url is missing/);
    assert.throws(() => load('v2'), /Keystone v3 only/);
  });

  void it('never serialises or inspects the secret', () => {
    write(join(L.cwd, 'clouds.yaml'), { clouds: { c: passwordCloud() } });
    const cfg = load('c');
    const json = JSON.stringify(cfg);
    assert.ok(!json.includes('hunter2'), json);
    assert.ok(json.includes('[redacted]'));
    assert.ok(!inspect(cfg, { depth: 10 }).includes('hunter2'));
    assert.ok(!inspect(cfg.auth, { showHidden: true }).includes('hunter2'));
    assert.ok(!JSON.stringify({ ...cfg.auth }).includes('hunter2'));
  });
});
