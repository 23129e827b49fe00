// The launcher's memory settings live on bin/nodepool-launcher.js's `#!/usr/bin/env -S` line: the
// installed command must start through it, and tests, benches and the demo read the same line
// (tools/servers/launcher-runtime.ts) to run the launcher as installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../tools/servers/paths';
import { launcherRuntime } from '../../tools/servers/launcher-runtime';

void test('bin/nodepool-launcher.js runs through its #! line (env -S with NAME=VALUE and node flags)', async () => {
  const { stdout } = await promisify(execFile)(join(repoRoot, 'bin', 'nodepool-launcher.js'), ['--help'], { timeout: 30_000 });
  assert.match(stdout, /Usage: nodepool-launcher/);
  const installed = launcherRuntime();
  assert.ok(Object.keys(installed.env).length > 0 && installed.nodeArgs.length > 0, JSON.stringify(installed));
  // node accepts the flags and the variables reach the process
  const probe = await promisify(execFile)(process.execPath, [...installed.nodeArgs, '-e', 'console.log(JSON.stringify([process.execArgv, process.env]))'], {
    env: { ...process.env, ...installed.env },
  });
  const [execArgv, env] = JSON.parse(probe.stdout) as [string[], Record<string, string>];
  assert.deepEqual(execArgv.slice(0, installed.nodeArgs.length), installed.nodeArgs);
  for (const [k, v] of Object.entries(installed.env)) assert.equal(env[k], v);
});

void test('launcherRuntime reads NAME=VALUE words and node flags; a #! line it cannot read is an error naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'launcher-runtime-'));
  const file = (name: string, first: string) => {
    const p = join(dir, name);
    writeFileSync(p, `${first}\nrequire('x');\n`);
    return p;
  };
  assert.deepEqual(launcherRuntime(file('a.js', '#!/usr/bin/env -S A=1 B=x=y node --f1 --f2=3')), { env: { A: '1', B: 'x=y' }, nodeArgs: ['--f1', '--f2=3'] });
  assert.deepEqual(launcherRuntime(file('b.js', '#!/usr/bin/env node')), { env: {}, nodeArgs: [] });
  const noNode = file('c.js', '#!/usr/bin/env -S A=1 python3');
  assert.throws(() => launcherRuntime(noNode), (e: Error) => e.message.includes(noNode) && /runs no 'node'/.test(e.message));
  const badWord = file('d.js', '#!/usr/bin/env -S oops node');
  assert.throws(() => launcherRuntime(badWord), (e: Error) => e.message.includes(badWord) && e.message.includes("'oops'"));
});
