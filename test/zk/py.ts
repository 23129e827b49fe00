// Runs a Python helper (kazoo) as a child process speaking one JSON object per line.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** kazoo 2.10 from the project's venv; Debian's python3-kazoo as a fallback. */
export const PYTHON = existsSync(join(__dirname, '../../tools/venv/bin/python')) ? join(__dirname, '../../tools/venv/bin/python') : '/usr/bin/python3';

export class PyHelper {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: string[] = [];
  private waiters: ((line: string) => void)[] = [];
  stderr = '';

  constructor(script: string, args: string[], python = PYTHON) {
    this.child = spawn(python, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d) => (this.stderr += d.toString()));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const w = this.waiters.shift();
      if (w) w(line);
      else this.lines.push(line);
    });
  }

  next<T = Record<string, unknown>>(timeoutMs = 30_000): Promise<T> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(JSON.parse(queued) as T);
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`python helper silent for ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push((line) => {
        clearTimeout(t);
        resolve(JSON.parse(line) as T);
      });
    });
  }

  async call<T = Record<string, unknown>>(cmd: object, timeoutMs?: number): Promise<T> {
    this.child.stdin.write(JSON.stringify(cmd) + '\n');
    const out = await this.next<T & { error?: string }>(timeoutMs);
    if (out.error) throw new Error(`python: ${out.error}`);
    return out;
  }

  /** Sends a command without waiting for its answer (a blocking acquire). */
  send(cmd: object): void {
    this.child.stdin.write(JSON.stringify(cmd) + '\n');
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin.end(JSON.stringify({ op: 'quit' }) + '\n');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
}

/** Runs a Python script to completion and returns stdout (throws with stderr on failure). */
export function runPython(script: string, args: string[], python = PYTHON): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d.toString()));
    child.stderr.on('data', (d) => (err += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${script} exited ${code}: ${err}`))));
  });
}
