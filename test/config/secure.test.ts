// The secure file (-s) merges into the main config and never leaks into messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../lib/config';
import { fixture, issueLines } from './helpers';

const MAIN = fixture('secure', 'main.yaml');

void test('secure file: ZooKeeper servers replace the main list, TLS comes from it (port defaults to 2281)', async () => {
  const { config, mtimes } = await loadConfig(MAIN, fixture('secure', 'secure.yaml'), { env: {} });
  assert.deepEqual(config.zookeeperServers, [{ host: 'secret-zk.internal', port: 2281, chroot: '/np' }]);
  assert.equal(config.zookeeperHosts, 'secret-zk.internal:2281/np');
  assert.equal(config.zookeeperTls?.key, '/etc/nodepool/secure/key.pem');
  assert.deepEqual(config.diskimages['fake-image']?.envVars, { TMPDIR: '/opt/dib_tmp', REG_PASSWORD: 's3cr3t-registry-pw' });
  assert.deepEqual(config.diskimages['fake-image']?.secureEnvVarNames, ['REG_PASSWORD']);
  assert.deepEqual(Object.keys(mtimes).sort(), [MAIN, fixture('secure', 'secure.yaml')].sort());
});

void test('without a secure file the main servers stay, with the plain default port', async () => {
  const { config } = await loadConfig(MAIN, undefined, { env: {} });
  assert.deepEqual(config.zookeeperServers, [{ host: 'public-zk.example.org', port: 2181, chroot: '' }]);
  assert.equal(config.diskimages['fake-image']?.release, '21');
  assert.equal(config.providers['fake-provider']?.driver, 'openstack', "Nodepool's fake driver is OpenStack here");
});

void test('an empty secure file is allowed', async () => {
  const { config } = await loadConfig(MAIN, fixture('secure', 'empty.yaml'), { env: {} });
  assert.equal(config.zookeeperServers[0]?.host, 'public-zk.example.org');
});

void test('unknown diskimage in the secure file: error names the secure file, not the value', async () => {
  const secure = fixture('secure', 'unknown-image.yaml');
  await assert.rejects(loadConfig(MAIN, secure, { env: {} }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.message, `${secure}:2:11: diskimages[0].name: unknown diskimage: [redacted] is not a (non-abstract) diskimage in ${MAIN}`);
    assert.doesNotMatch(e.message, /hunter2|fake-abstract/);
    return true;
  });
});

void test('a type error in the secure file is reported with its position and a redacted value', async () => {
  const lines = await issueLines(MAIN, fixture('secure', 'bad-type.yaml'));
  assert.deepEqual(lines, [`${fixture('secure', 'bad-type.yaml')}:3:11: zookeeper-servers[0].port: expected an integer, got [redacted]`]);
});

void test('keys Nodepool ignores in the secure file draw a warning; their env-vars still merge', async () => {
  const secure = fixture('secure', 'extra-keys.yaml');
  const { config, warnings } = await loadConfig(MAIN, secure, { env: {} });
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]?.file, secure);
  assert.deepEqual(warnings[0]?.path, ['providers']);
  assert.equal(config.diskimages['fake-image']?.envVars.OTHER_SECRET, 'extra-keys-secret-value');
});

void test('a missing secure file is a ConfigError naming it', async () => {
  const secure = fixture('secure', 'does-not-exist.yaml');
  await assert.rejects(loadConfig(MAIN, secure, { env: {}, sleep: async () => {} }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.message, `${secure}: cannot read the file: file not found`);
    return true;
  });
});
