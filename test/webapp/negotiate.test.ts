// Accept negotiation as WebOb's acceptable_offers ranks text/html, text/plain, application/json
// (expected values checked against WebOb 1.8), plus our deliberate differences: no usable type
// is null (→ 406, Nodepool: 500), parameters other than q are ignored, '' counts as absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptableOffers, requestedFormat } from '../../workers/webapp/negotiate';
import { cacheKey, ResponseCache } from '../../workers/webapp/cache';

void test('acceptable offers in WebOb order', () => {
  assert.deepEqual(acceptableOffers(undefined), ['text/html', 'text/plain', 'application/json']);
  assert.deepEqual(acceptableOffers('application/json;q=0.5, text/*;q=0.4'), ['application/json', 'text/html', 'text/plain']);
  assert.deepEqual(acceptableOffers('*/*;q=0.1, application/json'), ['application/json', 'text/html', 'text/plain']);
  assert.deepEqual(acceptableOffers('*/*;q=0.5, text/html;q=0'), ['text/plain', 'application/json']);
  assert.deepEqual(acceptableOffers('garbage'), ['text/html', 'text/plain', 'application/json']);
  assert.deepEqual(acceptableOffers('image/png'), []);
});

void test('format: JSON only when application/json ranks first', () => {
  assert.equal(requestedFormat('application/json'), 'json');
  assert.equal(requestedFormat('text/plain'), 'pretty');
  assert.equal(requestedFormat(undefined), 'pretty');
  assert.equal(requestedFormat('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'), 'pretty');
  assert.equal(requestedFormat('*/*'), 'pretty');
  assert.equal(requestedFormat('image/png'), null);
  assert.equal(requestedFormat('application/json; charset=utf-8'), 'json'); // WebOb: no offer
  assert.equal(requestedFormat(''), 'pretty'); // WebOb: no offer
});

void test('cache key: path, sorted query lists, format; entries expire', () => {
  assert.equal(cacheKey('/node-list', new URLSearchParams(''), 'json'), '/node-list.json');
  assert.equal(cacheKey('/node-list', new URLSearchParams('node_id=2&fields=id&node_id=1'), 'pretty'), '/node-list.{"fields":["id"],"node_id":["2","1"]}.pretty');
  let now = 100;
  const cache = new ResponseCache(1, () => now);
  cache.put('k', 'v');
  now = 101;
  assert.equal(cache.get('k')?.body, 'v');
  now = 101.01;
  assert.equal(cache.get('k'), null);
});
