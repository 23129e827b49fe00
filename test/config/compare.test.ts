// Change detection for live reload: deep equality of provider configs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deepEqual, diffProviders, parseConfigText } from '../../lib/config';

const BASE = `
labels: [{name: a}]
providers:
  - name: keep
    cloud: c1
    pools: [{name: main, labels: [{name: a, cloud-image: img, flavor-name: f}]}]
    cloud-images: [{name: img}]
  - name: change
    cloud: c2
  - name: drop
    driver: aws
    region-name: us-east-1
    pools: []
`;

function config(text: string) {
  const { config: c, issues } = parseConfigText({ file: 'x.yaml', text }, undefined, { env: {} });
  assert.ok(c, JSON.stringify(issues));
  return c;
}

void test('diffProviders finds added, removed, changed and unchanged providers', () => {
  const before = config(BASE);
  const after = config(
    BASE.replace('cloud: c2', 'cloud: c2\n    rate: 2').replace(/  - name: drop\n.*\n.*\n.*\n/, '') + '  - name: new\n    driver: static\n',
  );
  assert.deepEqual(diffProviders(before, after), { added: ['new'], removed: ['drop'], changed: ['change'], unchanged: ['keep'] });
});

void test('an unchanged reparse is equal; a pool label change is a change', () => {
  assert.deepEqual(diffProviders(config(BASE), config(BASE)).changed, []);
  const changed = config(BASE.replace('flavor-name: f', 'flavor-name: g'));
  assert.deepEqual(diffProviders(config(BASE), changed).changed, ['keep']);
});

void test('deepEqual handles nested data, arrays and key order', () => {
  assert.equal(deepEqual({ a: [1, { b: 2 }], c: null }, { c: null, a: [1, { b: 2 }] }), true);
  assert.equal(deepEqual({ a: [1, 2] }, { a: [2, 1] }), false);
  assert.equal(deepEqual({ a: undefined }, {}), false);
  assert.equal(deepEqual([], {}), false);
});
