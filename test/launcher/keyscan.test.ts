// The host-key scan of a booted node, against a real OpenSSH server on loopback: every key
// type the server offers comes back as "<type> <base64>" (what Nodepool stores in host_keys);
// a port nobody answers on fails with a Keyscan error once boot-timeout is spent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { keyscan } from '../../activities/launcher/keyscan';
import { freePort, spawnServer, stopProcess, tcpReachable, waitFor } from '../../tools/servers/process';

let sshd: ChildProcess | undefined;
let port = 0;
let dir = '';
const keys: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nodepool-sshd-'));
  for (const type of ['ed25519', 'ecdsa', 'rsa']) {
    const file = join(dir, `ssh_host_${type}_key`);
    execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
    keys.push(readFileSync(`${file}.pub`, 'utf8').split(' ').slice(0, 2).join(' '));
  }
  mkdirSync('/run/sshd', { recursive: true }); // OpenSSH's privilege-separation directory
  port = await freePort();
  const hostKeys = ['ed25519', 'ecdsa', 'rsa'].flatMap((t) => ['-h', join(dir, `ssh_host_${t}_key`)]);
  sshd = spawnServer('/usr/sbin/sshd', ['-D', '-e', '-f', '/dev/null', '-p', String(port), '-o', 'ListenAddress=127.0.0.1', '-o', 'PidFile=none', ...hostKeys], join(dir, 'sshd.log'));
  await waitFor('sshd', () => tcpReachable('127.0.0.1', port), 20_000, sshd);
});

after(async () => {
  if (sshd) await stopProcess(sshd);
  rmSync(dir, { recursive: true, force: true });
});

test('keyscan returns every host key the node offers, as Nodepool stores them', async () => {
  const env = new MockActivityEnvironment();
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
  assert.deepEqual(await env.run(keyscan, { nodeId: '0000000003', host: '127.0.0.1', port, timeoutMs: 10_000, connectionType: 'winrm' }), []);
});
