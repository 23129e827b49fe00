// Diskimage inheritance follows Nodepool's DiskImage.setFromConfig exactly, quirks included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../lib/config';
import { fixture } from './helpers';

const load = async () => (await loadConfig(fixture('good', 'inheritance.yaml'), undefined, { env: {} })).config;

void test('abstract images are not buildable; concrete ones are', async () => {
  const config = await load();
  assert.deepEqual(Object.keys(config.diskimages), ['child', 'with-meta', 'plain']);
});

void test('abstract → abstract → concrete: elements accumulate, env-vars child wins, dib-cmd inherited', async () => {
  const child = (await load()).diskimages.child;
  assert.ok(child);
  assert.deepEqual(child.parents, ['abstract-mid', 'abstract-base']);
  assert.equal(child.elements.join(' '), 'a b c d');
  assert.deepEqual(child.envVars, { A: 'one', B: 'mid', C: 'child' });
  assert.equal(child.dibCmd, '/fake-dib');
  assert.equal(child.release, '21', 'release is always a string');
  assert.deepEqual(child.formats, ['qcow2'], 'formats inherited when the child gives none');
});

void test('falsy child values cannot reset a parent (pause, rebuild-age); delete-after-upload can', async () => {
  const child = (await load()).diskimages.child;
  assert.ok(child);
  assert.equal(child.pause, true, 'pause: false in the child does not override (Nodepool quirk A13)');
  assert.equal(child.rebuildAge, 100, 'rebuild-age: 0 in the child does not override');
  assert.equal(child.deleteAfterUpload, false, 'delete-after-upload overrides whenever present');
});

void test('metadata is replaced at every level: a child without metadata clears the parent one', async () => {
  const config = await load();
  assert.deepEqual(config.diskimages.child?.metadata, {});
  assert.deepEqual(config.diskimages['with-meta']?.metadata, { own: true });
});

void test('an empty dib-cmd keeps the parent one; release keeps its YAML text (8.10, not 8.1)', async () => {
  const img = (await load()).diskimages['with-meta'];
  assert.ok(img);
  assert.equal(img.dibCmd, '/fake-dib');
  assert.equal(img.release, '8.10');
});

void test('defaults of a plain image; `n` stays a string as in PyYAML (not a YAML 1.1 boolean)', async () => {
  const plain = (await load()).diskimages.plain;
  assert.ok(plain);
  assert.deepEqual(plain.envVars, { DIB_FLAG: 'n' });
  assert.equal(plain.rebuildAge, 86400);
  assert.equal(plain.buildTimeout, 28800);
  assert.equal(plain.dibCmd, 'disk-image-create');
  assert.equal(plain.username, 'zuul');
  assert.equal(plain.pythonPath, 'auto');
  assert.equal(plain.shellType, null);
  assert.equal(plain.release, '');
  assert.equal(plain.pause, false);
  assert.deepEqual(plain.providers, []);
});
