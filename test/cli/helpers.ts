// Running the real CLI (`node --import tsx cli/run.ts -c <config> ...`) against the test
// ZooKeeper, with a config file pointing at a chroot of its own.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ZooKeeperServer } from '../../tools/servers/zookeeper';

const ROOT = join(__dirname, '../..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A nodepool.yaml whose zookeeper-servers entry points at the test server (and a chroot). */
export function writeConfig(server: Pick<ZooKeeperServer, 'host' | 'port'>, chroot = '', extra = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'np-cli-'));
  const path = join(dir, 'nodepool.yaml');
  const chrootLine = chroot ? `\n    chroot: ${chroot}` : '';
  writeFileSync(path, `zookeeper-servers:\n  - host: ${server.host}\n    port: ${server.port}${chrootLine}\n${extra}labels: []\nproviders: []\n`);
  return path;
}

export function runCli(config: string, args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/run.ts', '-c', config, ...args], {
      cwd: ROOT,
      // no Temporal unless a test gives one: port 1 refuses at once
      env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
    child.stdin.end(opts.stdin ?? '');
  });
}
