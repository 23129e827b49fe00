// A real OpenSSH server on loopback with fresh host keys, for host-key scans (keyscan, static
// hosts). Its keys come back as Nodepool stores them: "<type> <base64>".
import { after, before } from 'node:test';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnServer, stopProcess, tcpReachable, waitFor } from '../../tools/servers/process';

export interface Sshd {
  port: number;
  /** Its host keys, one per type. */
  keys: string[];
}

/** Starts sshd before the file's tests and stops it after them. */
export function useSshd(): () => Sshd {
  let sshd: ChildProcess | undefined;
  let dir = '';
  const state: Sshd = { port: 0, keys: [] };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nodepool-sshd-'));
    const types = ['ed25519', 'ecdsa', 'rsa'];
    for (const type of types) {
      const file = join(dir, `ssh_host_${type}_key`);
      execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
      state.keys.push(readFileSync(`${file}.pub`, 'utf8').split(' ').slice(0, 2).join(' '));
    }
    mkdirSync('/run/sshd', { recursive: true }); // OpenSSH's privilege-separation directory
    state.port = await freePort();
    const hostKeys = types.flatMap((t) => ['-h', join(dir, `ssh_host_${t}_key`)]);
    sshd = spawnServer('/usr/sbin/sshd', ['-D', '-e', '-f', '/dev/null', '-p', String(state.port), '-o', 'ListenAddress=127.0.0.1', '-o', 'PidFile=none', ...hostKeys], join(dir, 'sshd.log'));
    await waitFor('sshd', () => tcpReachable('127.0.0.1', state.port), 20_000, sshd);
  });
  after(async () => {
    if (sshd) await stopProcess(sshd);
    rmSync(dir, { recursive: true, force: true });
  });
  return () => state;
}
