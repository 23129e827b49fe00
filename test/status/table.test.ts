// The PrettyTable rendering rules of Nodepool's status._to_pretty_table, without ZooKeeper:
// borders, alignment, header rule, empty tables, ages, lists, None, Python str() of values,
// `fields` keeping header order, and JSON keeping every key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellText, formatAge, output, parseFields, pyStr, renderTable, selectHeaders, type Listing } from '../../lib/status';
import { RawJson } from '../../lib/zk/json';

const NOW = 1_700_000_000;
const listing: Listing = {
  headers: [
    ['id', 'Build ID'],
    ['image', 'Image'],
    ['formats', 'Formats'],
    ['state', 'State'],
    ['age', 'Age'],
  ],
  rows: [
    { id: '0000000001', image: 'fake-image', formats: ['qcow2', 'raw'], state: 'ready', age: NOW - 90061 },
    { id: '2', image: 'other', formats: [], state: null, age: NOW },
  ],
};

void test('table: PrettyTable borders, left aligned, rule under the header only', () => {
  assert.equal(
    renderTable(listing, null, NOW),
    [
      '+------------+------------+-----------+-------+-------------+',
      '| Build ID   | Image      | Formats   | State | Age         |',
      '+------------+------------+-----------+-------+-------------+',
      '| 0000000001 | fake-image | qcow2,raw | ready | 01:01:01:01 |',
      '| 2          | other      |           |       | 00:00:00:00 |',
      '+------------+------------+-----------+-------+-------------+',
    ].join('\n'),
  );
});

void test('table: no rows prints the header between two rules and a bottom rule (PrettyTable)', () => {
  assert.equal(renderTable({ headers: listing.headers, rows: [] }), ['+----------+-------+---------+-------+-----+', '| Build ID | Image | Formats | State | Age |', '+----------+-------+---------+-------+-----+', '+----------+-------+---------+-------+-----+'].join('\n'));
});

void test('fields: header-table order, unknown names ignored, empty means all', () => {
  const text = renderTable(listing, ['state', 'nope', 'id', 'image'], NOW);
  assert.equal(text.split('\n')[1], '| Build ID   | Image      | State |');
  assert.equal(text.split('\n')[3], '| 0000000001 | fake-image | ready |');
  assert.deepEqual(
    selectHeaders(listing.headers, []).map(([k]) => k),
    ['id', 'image', 'formats', 'state', 'age'],
  );
  assert.deepEqual(parseFields('id,image,state'), ['id', 'image', 'state']);
  assert.equal(parseFields(''), null);
});

void test('JSON: every key, lists stay lists, None is null, fields ignored', () => {
  const json = JSON.parse(output(listing, 'json', ['id'])) as Array<Record<string, unknown>>;
  assert.deepEqual(json[0], { id: '0000000001', image: 'fake-image', formats: ['qcow2', 'raw'], state: 'ready', age: NOW - 90061 });
  assert.equal(json[1]?.state, null);
  assert.match(output(listing, 'json'), /^\[\{"id": "0000000001", "image": /); // json.dumps separators
});

void test('age: DD:HH:MM:SS with Python divmod/%02d (days past 99, negative skew)', () => {
  assert.equal(formatAge(NOW - 59.9, NOW), '00:00:00:59');
  assert.equal(formatAge(NOW - (120 * 86400 + 3661), NOW), '120:01:01:01');
  assert.equal(formatAge(NOW + 5, NOW), '-1:23:59:55');
  // node rows carry an already formatted age: kept as is; *_age columns with None are empty
  assert.equal(cellText('age', '00:01:02:03', NOW), '00:01:02:03');
  assert.equal(cellText('build_request_age', null, NOW), '');
  assert.equal(cellText('build_request_age', NOW - 61, NOW), '00:00:01:01');
});

void test('cells: Python str() of booleans, dicts and big integers', () => {
  assert.equal(cellText('paused', true), 'True');
  assert.equal(cellText('paused', false), 'False');
  assert.equal(cellText('relative_priority', 0), '0');
  assert.equal(pyStr(new RawJson('{"zuul_system": "abc", "n": 123456789012345678901234567890, "ok": true, "x": null}')), "{'zuul_system': 'abc', 'n': 123456789012345678901234567890, 'ok': True, 'x': None}");
  assert.equal(pyStr(new RawJson('"plain"')), 'plain');
  assert.equal(pyStr({ s: "it's" }), `{'s': "it's"}`);
  assert.equal(cellText('label', ['a', 'b']), 'a,b');
});

void test('table: multi-line cells and tabs as PrettyTable lays them out', () => {
  const text = renderTable({ headers: [['a', 'a'], ['b', 'b']], rows: [{ a: 'x\ny', b: 'z' }, { a: 'a\tb', b: '' }] });
  assert.equal(text, ['+-----------+---+', '| a         | b |', '+-----------+---+', '| x         | z |', '| y         |   |', '| a       b |   |', '+-----------+---+'].join('\n'));
});
