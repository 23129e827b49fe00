// Codec round-trips with the spec's sample documents: byte-exact where Nodepool's own writer
// would produce the same document, big integers in requestor_data untouched, unknown keys kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRequest, encodeRequest, setRequestState } from '../../lib/zk/codec-request';
import { decodeNode, encodeNode } from '../../lib/zk/codec-node';
import { decodeBuild, encodeBuild, decodeUpload, encodeUpload } from '../../lib/zk/codec-image';
import { decodeComponent, encodeComponent, decodeLauncher, encodeLauncher } from '../../lib/zk/codec-component';
import { ZkDataError } from '../../lib/zk/codec-common';
import { parseRawObject, pyDumps, RawJson, PyFloat } from '../../lib/zk/json';
import { compareRequests } from '../../lib/model/node-request';
import * as S from './samples';

const enc = (b: Buffer) => b.toString('utf8');

void test('Zmod request: requestor_data big integers survive decode → encode byte for byte', () => {
  const r = decodeRequest('200-0000000042', S.ZMOD_REQUEST);
  assert.equal(r.state, 'requested');
  assert.deepEqual(r.node_types, ['ubuntu-jammy']);
  assert.equal(r.event_id, 'c0ffee00c0ffee00c0ffee00c0ffee00');
  assert.equal(r.reuse, true);
  assert.deepEqual(r.declined_by, []);
  const rawIn = /"requestor_data": (\{.*?\}\}), "node_types"/.exec(S.ZMOD_REQUEST)?.[1];
  assert.equal(r.requestor_data?.text, rawIn);
  setRequestState(r, 'pending');
  const out = enc(encodeRequest(r));
  assert.ok(out.includes('"trace_id": 240553451298634245387823587459184917713'), out);
  assert.ok(out.includes('"span_id": 12345678901234567890'));
  assert.ok(out.includes('"start_time": 1726500000130000000'));
  assert.ok(out.includes(`"requestor_data": ${rawIn}`));
  // Nodepool's key order, every Zmod-indexed key present
  const keys = [...parseRawObject(out).keys()];
  assert.deepEqual(keys, ['state', 'state_time', 'declined_by', 'node_types', 'nodes', 'reuse', 'requestor', 'requestor_data', 'provider', 'relative_priority', 'event_id', 'created_time', 'tenant_name']);
  const again = decodeRequest(r.id, out);
  assert.equal(again.requestor_data?.text, rawIn);
  assert.equal(again.created_time, 1726500000.13);
});

void test('Z19 request: defaults as NP24 updateFromDict, keys Zmod needs are written', () => {
  const r = decodeRequest('100-0000000001', S.Z19_REQUEST);
  assert.equal(r.relative_priority, 2);
  assert.equal(r.requestor_data, null);
  assert.equal(r.event_id, null);
  const out = enc(encodeRequest(r));
  assert.equal(
    out,
    '{"state": "requested", "state_time": 1555555555.4, "declined_by": [], "node_types": ["ubuntu-xenial", "ubuntu-xenial"], "nodes": [], ' +
      '"reuse": true, "requestor": "zuul01.example.com", "requestor_data": null, "provider": null, "relative_priority": 2, ' +
      '"event_id": null, "created_time": 1555555555.5, "tenant_name": null}',
  );
});

void test('unknown request keys are kept (after Nodepool keys) with their exact text', () => {
  const doc = S.ZMOD_REQUEST.replace(/}$/, ', "future_field": {"n": 123456789012345678901234567890, "s": "\\u00e9"}}');
  const r = decodeRequest('200-0000000043', doc);
  assert.equal(r.extra.get('future_field')?.text, '{"n": 123456789012345678901234567890, "s": "\\u00e9"}');
  const out = enc(encodeRequest(r));
  assert.ok(out.endsWith('"tenant_name": "example", "future_field": {"n": 123456789012345678901234567890, "s": "\\u00e9"}}'), out);
});

void test('invalid state is refused like Python BaseModel.state', () => {
  assert.throws(() => decodeRequest('100-0000000001', '{"state": "bogus", "state_time": 1}'), ZkDataError);
  assert.throws(() => decodeNode('0000000001', '{"state": "zombie", "state_time": 1}'), ZkDataError);
  assert.throws(() => decodeNode('0000000001', 'not json'), ZkDataError);
});

void test('node init and ready samples round-trip byte-exact (NP24 toDict order)', () => {
  for (const doc of [S.NODE_INIT, S.NODE_READY]) {
    const n = decodeNode('0000000123', doc);
    assert.equal(enc(encodeNode(n)), doc);
  }
  const n = decodeNode('0000000123', S.NODE_READY);
  assert.equal(n.state, 'ready');
  assert.deepEqual(n.resources, { cores: 8, instances: 1, ram: 8192 });
  assert.deepEqual(n.host_keys.length, 2);
  assert.equal(n.connection_port, 22);
});

void test('node written back by Zmod (user_data, id) round-trips; reserved keys are refused', () => {
  const n = decodeNode('0000000123', S.NODE_IN_USE_ZMOD);
  assert.equal(n.state, 'in-use');
  assert.equal(n.extra.get('id')?.text, '"0000000123"');
  assert.equal(enc(encodeNode(n)), S.NODE_IN_USE_ZMOD);
  n.extra.set('name', new RawJson('"x"'));
  assert.throws(() => encodeNode(n), ZkDataError);
});

void test('node reader defaults: ssh_port fallback, bare-string type, username zuul, hold_expiration int', () => {
  const n = decodeNode('0000000001', '{"state": "hold", "state_time": 5, "type": "centos-7", "ssh_port": 2222, "hold_expiration": "3600"}');
  assert.deepEqual(n.type, ['centos-7']);
  assert.equal(n.connection_port, 2222);
  assert.equal(n.username, 'zuul');
  assert.equal(n.hold_expiration, 3600);
  const out = enc(encodeNode(n));
  assert.ok(out.startsWith('{"state": "hold", "state_time": 5.0,'), out);
  assert.ok(out.includes('"connection_port": 2222, "ssh_port": 2222'));
});

void test('image build and upload samples round-trip; NP24 omits builder/formats when empty', () => {
  const b = decodeBuild('ubuntu-jammy', '4b1f0c9e2d7a4e6f9a8b7c6d5e4f3a2b', S.BUILD_READY);
  assert.deepEqual(b.formats, ['qcow2', 'raw', 'vhd']);
  assert.equal(enc(encodeBuild(b)), S.BUILD_READY);
  const f = decodeBuild('ubuntu-jammy', '0000000001', S.BUILD_FAILED_NP24);
  assert.deepEqual(f.formats, []);
  assert.equal(enc(encodeBuild(f)), S.BUILD_FAILED_NP24);
  f.builder = null;
  assert.ok(!enc(encodeBuild(f)).includes('"builder":'));
  const u = decodeUpload('ubuntu-jammy', '4b1f', 'rax-dfw', '0000000003', S.UPLOAD_READY);
  assert.equal(u.external_name, 'ubuntu-jammy-1726400000');
  assert.equal(enc(encodeUpload(u)), S.UPLOAD_READY);
  // old builds without python_path read with NP24's default
  assert.equal(decodeBuild('x', '0000000001', '{"state": "ready", "state_time": 1}').python_path, '/usr/bin/python2');
});

void test('components (sort_keys) and NP19 launcher registrations round-trip byte-exact', () => {
  const p = decodeComponent('/nodepool/components/pool/nl010000000000', S.POOL_COMPONENT);
  assert.equal(p.kind, 'pool');
  assert.equal(enc(encodeComponent(p)), S.POOL_COMPONENT);
  const l = decodeComponent('/nodepool/components/launcher/nl010000000000', S.LAUNCHER_COMPONENT);
  assert.equal(enc(encodeComponent(l)), S.LAUNCHER_COMPONENT);
  const old = decodeLauncher('nl01-1234-PoolWorker.rax-dfw-main', S.NP19_LAUNCHER);
  assert.equal(enc(encodeLauncher(old)), S.NP19_LAUNCHER);
});

void test('pyDumps writes like json.dumps (ensure_ascii, float exponents, separators)', () => {
  assert.equal(pyDumps({ a: 'é', b: [1, 2.5, null, true], c: new PyFloat(3), d: 1e-7 }), '{"a": "\\u00e9", "b": [1, 2.5, null, true], "c": 3.0, "d": 1e-07}');
  assert.equal(pyDumps({ b: 1, a: 2 }, true), '{"a": 2, "b": 1}');
});

void test('requests sort like Nodepool: priority text, relative_priority, sequence', () => {
  const rs = [
    { id: '200-0000000001', relative_priority: 0 },
    { id: '100-0000000009', relative_priority: 1 },
    { id: '100-0000000010', relative_priority: 0 },
    { id: '099-0000000011', relative_priority: 5 },
    { id: '100-0000000003', relative_priority: 1 },
  ];
  assert.deepEqual(
    [...rs].sort(compareRequests).map((r) => r.id),
    ['099-0000000011', '100-0000000010', '100-0000000003', '100-0000000009', '200-0000000001'],
  );
});

void test('kubernetes-style node: dict connection_port and external_id survive; bad hold_expiration reads as 0', () => {
  const doc =
    '{"state": "ready", "state_time": 1.5, "connection_port": {"token": "abc", "ca_crt": "x", "user": "zuul-worker"}, ' +
    '"external_id": {"namespace": "zuul-ci-abc", "pod": "pod-1"}, "hold_expiration": "soon", "driver_data": {"n": 18446744073709551615}}';
  const n = decodeNode('0000000009', doc);
  assert.deepEqual(n.connection_port, { token: 'abc', ca_crt: 'x', user: 'zuul-worker' });
  assert.deepEqual(n.external_id, { namespace: 'zuul-ci-abc', pod: 'pod-1' });
  assert.equal(n.hold_expiration, 0);
  const out = enc(encodeNode(n));
  assert.ok(out.includes('"ssh_port": {"token": "abc", "ca_crt": "x", "user": "zuul-worker"}'));
  assert.ok(out.includes('"driver_data": {"n": 18446744073709551615}'), 'opaque driver data kept exact');
});
