// The host-key scan of a booted node, against a real OpenSSH server on loopback: every key
// type the server offers comes back as "<type> <base64>" (what Nodepool stores in host_keys);
// a port nobody answers on fails with a Keyscan error once boot-timeout is spent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { keyscan } from '../../activities/launcher/keyscan';
import { freePort } from '../../tools/servers/process';
import { useSshd } from '../harness/sshd';

const sshd = useSshd();

test('keyscan returns every host key the node offers, as Nodepool stores them', async () => {
  const env = new MockActivityEnvironment();
  const { port, keys } = sshd();
  const got = await env.run(keyscan, { nodeId: '0000000001', host: '127.0.0.1', port, timeoutMs: 30_000, connectionType: 'ssh' });
  assert.deepEqual(got, [...keys].sort());
});

test('a node that never answers fails the scan after boot-timeout', async () => {
  const env = new MockActivityEnvironment();
  const closed = await freePort();
  const started = Date.now();
  await assert.rejects(env.run(keyscan, { nodeId: '0000000002', host: '127.0.0.1', port: closed, timeoutMs: 2000, connectionType: 'ssh' }), (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure);
    assert.equal(err.type, 'Keyscan');
    assert.match(err.message, /boot-timeout 2s/);
    return true;
  });
  assert.ok(Date.now() - started >= 2000, 'the scan kept trying for the whole boot-timeout');
});

test('winrm nodes only need their port to answer (no host keys)', async () => {
  const env = new MockActivityEnvironment();
  assert.deepEqual(await env.run(keyscan, { nodeId: '0000000003', host: '127.0.0.1', port: sshd().port, timeoutMs: 10_000, connectionType: 'winrm' }), []);
});
