// Loader mechanics: editor-race retries, mtimes for change detection, YAML details.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checkRecentConfig, ConfigError, loadConfig, parseConfigText, substituteEnvVars } from '../../lib/config';
import { readWithRetry } from '../../lib/config/read';

const dir = mkdtempSync(join(tmpdir(), 'np-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const parse = (text: string, env: Record<string, string> = {}) => parseConfigText({ file: 'nodepool.yaml', text }, undefined, { env });

void test('editor race: a file missing for a moment is read after a retry', async () => {
  const path = join(dir, 'race.yaml');
  const sleeps: number[] = [];
  const text = await readWithRetry(path, {
    sleep: async (ms) => {
      sleeps.push(ms);
      writeFileSync(path, 'labels: []\n'); // the editor finishes writing
    },
  });
  assert.equal(text, 'labels: []\n');
  assert.deepEqual(sleeps, [500]);
});

void test('editor race: after 3 attempts (0.5 s apart) the ENOENT is raised', async () => {
  const sleeps: number[] = [];
  await assert.rejects(readWithRetry(join(dir, 'never.yaml'), { sleep: async (ms) => void sleeps.push(ms) }), { code: 'ENOENT' });
  assert.deepEqual(sleeps, [500, 500]);
});

void test('a missing config file is a ConfigError naming the file', async () => {
  const path = join(dir, 'absent.yaml');
  await assert.rejects(loadConfig(path, undefined, { sleep: async () => {} }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.message, `${path}: cannot read the file: file not found`);
    return true;
  });
});

void test('mtimes: checkRecentConfig is true until the file (or the secure file) changes', async () => {
  const path = join(dir, 'mtime.yaml');
  const secure = join(dir, 'mtime-secure.yaml');
  writeFileSync(path, 'labels: [{name: a}]\n');
  writeFileSync(secure, '');
  const { mtimes } = await loadConfig(path, secure, { env: {} });
  assert.match(mtimes[path] ?? '', /^\d+$/);
  assert.equal(checkRecentConfig(mtimes, path, secure), true);
  utimesSync(secure, new Date(), new Date(Date.now() + 5000));
  assert.equal(checkRecentConfig(mtimes, path, secure), false);
  assert.equal(checkRecentConfig(mtimes, path), true);
  utimesSync(path, new Date(), new Date(Date.now() + 5000));
  assert.equal(checkRecentConfig(mtimes, path), false);
  assert.equal(checkRecentConfig(mtimes, join(dir, 'gone.yaml')), false);
});

void test('YAML 1.1 like PyYAML: yes/on are booleans, y/n are strings', () => {
  const { config, issues } = parse(`
labels: [{name: a}]
providers:
  - name: p
    cloud: c
    clean-floating-ips: yes
    pools:
      - name: main
        auto-floating-ip: off
        labels:
          - {name: a, cloud-image: y, flavor-name: n}
    cloud-images:
      - name: y
`);
  assert.deepEqual(issues, []);
  const p = config?.providers.p;
  assert.ok(p && p.driver === 'openstack');
  assert.equal(p.cleanFloatingIps, true);
  assert.equal(p.pools.main?.autoFloatingIp, false);
  assert.equal(p.pools.main?.labels.a?.flavorName, 'n');
});

void test('a duplicated YAML key is a warning (PyYAML keeps the last value), not an error', () => {
  const { config, issues } = parse('labels:\n  - name: a\nlabels:\n  - name: b\n');
  assert.deepEqual(Object.keys(config?.labels ?? {}), ['b']);
  assert.equal(issues.length, 1);
  assert.equal(issues[0]?.severity, 'warning');
  assert.equal(issues[0]?.line, 3);
});

void test('empty top-level lists (`labels:`) are accepted like the daemons do', () => {
  const { config, issues } = parse('labels:\nproviders:\ndiskimages:\nzookeeper-servers:\n');
  assert.deepEqual(issues, []);
  assert.deepEqual(config?.labels, {});
  assert.equal(config?.zookeeperHosts, '');
});

void test('an empty main file is an error', () => {
  const { config, issues } = parse('');
  assert.equal(config, undefined);
  assert.match(issues[0]?.message ?? '', /must be a mapping/);
});

void test('top-level defaults', () => {
  const { config } = parse('{}');
  assert.ok(config);
  assert.deepEqual(config.webapp, { port: 8005, listenAddress: '0.0.0.0' });
  assert.equal(config.zookeeperTimeout, 10);
  assert.equal(config.buildLogDir, '/var/log/nodepool/builds');
  assert.equal(config.buildLogRetention, 7);
  assert.equal(config.maxHoldAge, null);
  assert.equal(config.imagesDir, null);
  assert.equal(parse('max-hold-age: -5')?.config?.maxHoldAge, null, '≤ 0 means no limit');
});

void test('substitution replaces only NODEPOOL_ tokens and records the values for redaction', () => {
  const r = substituteEnvVars('a: %(NODEPOOL_A) b: %(OTHER) c: %(NODEPOOL_MISSING)', { NODEPOOL_A: 'x1', OTHER: 'no' });
  assert.equal(r.text, 'a: x1 b: %(OTHER) c: %(NODEPOOL_MISSING)');
  assert.deepEqual(r.values, ['x1']);
});

void test('a substituted value is redacted when it is the offending value', () => {
  const { issues } = parse('webapp:\n  port: %(NODEPOOL_WEB_TOKEN)\n', { NODEPOOL_WEB_TOKEN: 'tok-123456' });
  assert.equal(issues.length, 1);
  assert.match(issues[0]?.message ?? '', /got \[redacted\]/);
  assert.doesNotMatch(issues[0]?.message ?? '', /tok-123456/);
});

void test('Nodepool 2 top-level keys that old configs carry are ignored with a warning', () => {
  const { config, issues } = parse('labels: [{name: a}]\ncron:\n  cleanup: "*/1 * * * *"\nzmq-publishers:\n  - tcp://jenkins:8888\ngearman-servers:\n  - host: zuul\n');
  assert.ok(config);
  assert.deepEqual(
    issues.map((i) => [i.severity, i.path.join('.'), i.line]),
    [
      ['warning', 'cron', 2],
      ['warning', 'zmq-publishers', 4],
      ['warning', 'gearman-servers', 6],
    ],
  );
});

void test('scalars resolve exactly as PyYAML safe_load does (values taken from PyYAML 6)', async () => {
  const { ConfigSource } = await import('../../lib/config/source');
  const text = 'a: .\nb: 1e5\nc: 123e4567\nd: 09\ne: 0777\nf: 0x1F\ng: 1_000\nh: 1.5\ni: .5\nj: 1.0e+5\nm: 190:20:30\nn: 1.\nq: y\nr: On\ns: 0b101\nu: 1e+5\nv: No\n';
  const src = new ConfigSource('x.yaml', text, { wholeFile: false, substituted: [] });
  assert.deepEqual(src.data, {
    a: '.',
    b: '1e5',
    c: '123e4567',
    d: '09',
    e: 511,
    f: 31,
    g: 1000,
    h: 1.5,
    i: 0.5,
    j: 100000,
    m: 685230,
    n: 1,
    q: 'y',
    r: true,
    s: 5,
    u: '1e+5',
    v: false,
  });
});

void test('elements-dir: . stays the string "." (not a YAML 1.1 NaN)', () => {
  assert.equal(parse('elements-dir: .\n').config?.elementsDir, '.');
});

void test('a YAML alias bomb is a YAML error, not a crash', () => {
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 8; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
  const { config, issues } = parse(lines.join('\n') + '\n');
  assert.equal(config, undefined);
  assert.equal(issues[0]?.kind, 'yaml');
  assert.match(issues[0]?.message ?? '', /YAML error: .*alias/i);
});
