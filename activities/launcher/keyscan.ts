// The host-key scan of a booted node, within boot-timeout (Nodepool's nodescan): ssh-keyscan
// (OpenSSH's own tool) gathers one key per type the server offers; winrm and other
// non-SSH connection types only need the port to answer.
import { execFile } from 'node:child_process';
import { tcpReachable as tcpOpen } from '../../lib/net';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

const KEY_TYPES = 'ed25519,ecdsa,rsa';
const TRY_MS = 10_000;

export function sshKeyscan(host: string, port: number, timeoutS: number, signal?: AbortSignal): Promise<string[]> {
  return new Promise((resolve) => {
    execFile('ssh-keyscan', ['-T', String(timeoutS), '-p', String(port), '-t', KEY_TYPES, host], { signal, timeout: (timeoutS + 5) * 1000 }, (_err, stdout) => {
      // "<host> <type> <base64>" lines; Nodepool stores "<type> <base64>"
      const keys = String(stdout ?? '')
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split(' ').slice(1).join(' '))
        .filter((k) => k.split(' ').length === 2);
      resolve([...new Set(keys)].sort());
    });
  });
}

export async function keyscan(input: { nodeId: string; host: string; port: number; timeoutMs: number; connectionType: string }): Promise<string[]> {
  const ctx = Context.current();
  const deadline = Date.now() + input.timeoutMs;
  if (!input.host) throw ApplicationFailure.nonRetryable(`node ${input.nodeId} has no address to scan`, 'Keyscan');
  for (;;) {
    ctx.heartbeat();
    const left = deadline - Date.now();
    if (left <= 0) break;
    const tryMs = Math.min(TRY_MS, left);
    if (input.connectionType === 'ssh' || input.connectionType === 'network_cli') {
      if (await tcpOpen(input.host, input.port, tryMs)) {
        const keys = await sshKeyscan(input.host, input.port, Math.max(1, Math.floor(tryMs / 1000)), ctx.cancellationSignal);
        if (keys.length) return keys;
      }
    } else if (await tcpOpen(input.host, input.port, tryMs)) {
      return [];
    }
    await ctx.sleep(Math.min(1000, Math.max(0, deadline - Date.now())));
  }
  throw ApplicationFailure.nonRetryable(
    `Timeout connecting to ${input.host} on port ${input.port} for node ${input.nodeId} (boot-timeout ${input.timeoutMs / 1000}s)`,
    'Keyscan',
  );
}
