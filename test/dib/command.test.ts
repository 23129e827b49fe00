// Nodepool's exact DIB command line and environment, from a config with parent/abstract
// diskimages and a secure file (Nodepool's node_diskimage_parents.yaml and test_secure_file).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfigText } from '../../lib/config/load';
import { type NodepoolConfig } from '../../lib/config/types';
import { buildDibCommand, displayCommand } from '../../activities/dib/command';
import { shlexSplit } from '../../activities/dib/shlex';
import { dibSpecFromConfig } from '../../activities/dib/spec';
import { secureEnvNames, specLoaderFromFiles } from '../../activities/dib/spec-loader';

const MAIN = `
images-dir: /opt/nodepool/images
elements-dir: /opt/elements
build-log-dir: /var/log/np
diskimages:
  - name: abstract-base
    abstract: true
    elements: [fedora]
    env-vars:
      TMPDIR: /opt/dib_tmp
      DIB_IMAGE_CACHE: /opt/dib_cache
      PARENT_TEST_ENV_OVERRIDE: abstract-base
  - name: abstract-intermediate
    abstract: true
    parent: abstract-base
    elements: [intermediate]
    env-vars:
      PARENT_TEST_ENV_INTERMEDIATE: abstract-intermediate
  - name: parent-image-1
    parent: abstract-base
    elements: [vm]
    release: 21
    dib-cmd: "%p/fake-disk-image-create --flag"
    env-vars:
      PARENT_TEST_FLAG: base
  - name: parent-image-2
    parent: abstract-intermediate
    elements: [vm]
    release: 8.10
    formats: [raw, tar]
    build-timeout: 600
    env-vars:
      PARENT_TEST_FLAG: intermediate
      PARENT_TEST_ENV_OVERRIDE: parent-image-2
providers:
  - name: cloud-a
    cloud: a
    diskimages: [{ name: parent-image-1 }, { name: parent-image-2 }]
    pools: []
  - name: cloud-b
    cloud: b
    diskimages: [{ name: parent-image-2 }]
    pools: []
`;
const SECURE = `
diskimages:
  - name: parent-image-2
    env-vars:
      REG_USER: builder
      PARENT_TEST_FLAG: from-secure
`;

function load(): NodepoolConfig {
  const r = parseConfigText({ file: 'nodepool.yaml', text: MAIN }, { file: 'secure.yaml', text: SECURE }, { env: {} });
  assert.ok(r.config, JSON.stringify(r.issues));
  return r.config;
}

void test('parent chain: elements accumulate grandparents first, env-vars merge child-wins, release is a string', () => {
  const spec = dibSpecFromConfig(load(), 'parent-image-1');
  const cmd = buildDibCommand(spec, { buildId: 'abc123', packageDir: '/pkg', baseEnv: { PATH: '/usr/bin', HOME: '/root' } });
  assert.deepEqual(cmd.argv, [
    '/pkg/fake-disk-image-create',
    '--flag',
    '-x',
    '-t',
    'qcow2',
    '--checksum',
    '--no-tmpfs',
    '--qemu-img-options',
    'compat=0.10',
    '-o',
    '/opt/nodepool/images/parent-image-1-abc123',
    'fedora',
    'vm',
  ]);
  assert.equal(cmd.env.DIB_RELEASE, '21');
  assert.equal(cmd.env.DIB_IMAGE_NAME, 'parent-image-1');
  assert.equal(cmd.env.DIB_IMAGE_FILENAME, '/opt/nodepool/images/parent-image-1-abc123');
  assert.equal(cmd.env.ELEMENTS_PATH, '/opt/elements');
  assert.equal(cmd.env.DIB_IMAGE_CACHE, '/opt/dib_cache');
  assert.equal(cmd.env.PARENT_TEST_ENV_OVERRIDE, 'abstract-base');
  assert.equal(cmd.env.PARENT_TEST_FLAG, 'base');
  assert.equal(cmd.env.PATH, '/usr/bin', 'the worker environment is passed on');
  // Per-build TMPDIR under the configured one, so a failed build's mounts can be found.
  assert.equal(cmd.tmpDir, '/opt/dib_tmp/nodepool-dib-parent-image-1-abc123');
  assert.equal(cmd.env.TMPDIR, cmd.tmpDir);
  assert.equal(cmd.outputBase, '/opt/nodepool/images/parent-image-1-abc123');
  assert.equal(displayCommand(cmd.argv).includes('compat=0.10'), true);
});

void test('grandchild of two abstract parents; formats = own ∪ every provider (sorted); secure env-vars win and are secret', () => {
  const spec = dibSpecFromConfig(load(), 'parent-image-2', {
    secureEnvNames: ['REG_USER', 'PARENT_TEST_FLAG'],
    imageFormatOf: (p) => (p === 'cloud-b' ? 'vhd' : undefined),
  });
  assert.deepEqual(spec.diskimage.formats, ['qcow2', 'raw', 'tar', 'vhd']);
  assert.equal(spec.diskimage.buildTimeout, 600);
  const cmd = buildDibCommand(spec, { buildId: 'ff00' });
  assert.deepEqual(cmd.argv.slice(0, 9), ['disk-image-create', '-x', '-t', 'qcow2,raw,tar,vhd', '--checksum', '--no-tmpfs', '--qemu-img-options', 'compat=0.10', '-o']);
  assert.deepEqual(cmd.argv.slice(10), ['fedora', 'intermediate', 'vm']);
  assert.equal(cmd.env.DIB_RELEASE, '8.10', 'YAML 8.10 stays "8.10" (PyYAML + str())');
  assert.equal(cmd.env.PARENT_TEST_ENV_INTERMEDIATE, 'abstract-intermediate');
  assert.equal(cmd.env.PARENT_TEST_ENV_OVERRIDE, 'parent-image-2');
  assert.equal(cmd.env.PARENT_TEST_FLAG, 'from-secure');
  assert.equal(cmd.env.REG_USER, 'builder');
  assert.deepEqual(cmd.secretValues.sort(), ['builder', 'from-secure']);
  assert.ok(cmd.envNames.includes('REG_USER'));
  assert.ok(!JSON.stringify(cmd.envNames).includes('builder'));
});

void test('no qemu compat option without qcow2; explicit formats override; no ELEMENTS_PATH without elements-dir', () => {
  const config = load();
  const spec = { ...dibSpecFromConfig(config, 'parent-image-2'), elementsDir: null };
  const cmd = buildDibCommand(spec, { buildId: '1', formats: ['tar', 'raw', 'tar'] });
  assert.deepEqual(cmd.argv.slice(0, 6), ['disk-image-create', '-x', '-t', 'raw,tar', '--checksum', '--no-tmpfs']);
  assert.ok(!cmd.argv.includes('--qemu-img-options'));
  assert.equal(cmd.env.ELEMENTS_PATH, undefined);
  assert.throws(() => buildDibCommand(spec, { buildId: '1', formats: [] }), /no formats/);
});

void test('secret-looking env-var names are secret even in the main file; abstract or unknown images are refused', () => {
  const r = parseConfigText(
    { file: 'n.yaml', text: 'images-dir: /i\ndiskimages:\n  - name: d\n    formats: [tar]\n    env-vars: {DIB_REG_PASSWORD: pw1, OTHER: x}\n  - name: a\n    abstract: true\n' },
    undefined,
    { env: {} },
  );
  assert.ok(r.config);
  const spec = dibSpecFromConfig(r.config, 'd');
  assert.deepEqual(spec.diskimage.secretEnvNames, ['DIB_REG_PASSWORD']);
  assert.deepEqual(buildDibCommand(spec, { buildId: '2' }).secretValues, ['pw1']);
  assert.throws(() => dibSpecFromConfig(r.config as NodepoolConfig, 'a'), /unknown diskimage a/);
  assert.throws(() => dibSpecFromConfig(r.config as NodepoolConfig, 'nope'), /unknown diskimage nope/);
});

void test('the worker-side loader reads both files and learns only the secure names', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dib-spec-'));
  writeFileSync(join(dir, 'nodepool.yaml'), MAIN);
  writeFileSync(join(dir, 'secure.yaml'), SECURE);
  assert.deepEqual((await secureEnvNames(join(dir, 'secure.yaml'), 'parent-image-2')).sort(), ['PARENT_TEST_FLAG', 'REG_USER']);
  const spec = await specLoaderFromFiles({ configPath: join(dir, 'nodepool.yaml'), securePath: join(dir, 'secure.yaml') })('parent-image-2');
  assert.deepEqual(spec.diskimage.secretEnvNames, ['PARENT_TEST_FLAG', 'REG_USER']);
  assert.equal(spec.diskimage.envVars.REG_USER, 'builder');
  // Provider formats from clouds.yaml: cloud `b` takes vhd, cloud `a` has no image_format (qcow2).
  writeFileSync(
    join(dir, 'clouds.yaml'),
    'clouds:\n  a:\n    auth: {auth_url: "http://a.invalid/v3", username: u, password: p, project_name: x}\n' +
      '  b:\n    image_format: vhd\n    auth: {auth_url: "http://b.invalid/v3", username: u, password: p, project_name: x}\n',
  );
  const viaClouds = await specLoaderFromFiles({ configPath: join(dir, 'nodepool.yaml'), cloudsYaml: { file: join(dir, 'clouds.yaml'), env: {}, home: dir, cwd: dir } })('parent-image-2');
  assert.deepEqual(viaClouds.diskimage.formats, ['qcow2', 'raw', 'tar', 'vhd']);
});

void test('dib-cmd is split like Python shlex.split', () => {
  assert.deepEqual(shlexSplit(`python3 "%p/my dib" --opt='a b' c\\ d`), ['python3', '%p/my dib', '--opt=a b', 'c d']);
  assert.deepEqual(shlexSplit(`  a  ''  "x\\"y" `), ['a', '', 'x"y']);
  assert.throws(() => shlexSplit('"open'), /No closing quotation/);
});
