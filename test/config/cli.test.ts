// The real CLI entry (cli/run.ts under tsx), spawned as operators run it: exit codes and output.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type CommandModule } from '../../cli/context';
import { run } from '../../cli/nodepool';
import { fixture } from './helpers';

const ROOT = join(__dirname, '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function nodepool(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'cli', 'run.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** In-process run for the cheap cases. */
async function runCaptured(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(['node', 'nodepool', ...args], { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) });
  return { code, stdout, stderr };
}

void test('nodepool -c good.yaml config-validate exits 0', () => {
  const good = fixture('good', 'full-2024.yaml');
  const r = nodepool(['-c', good, 'config-validate']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${good}: configuration is valid\n`);
  assert.equal(r.stderr, '');
});

void test('a broken config: one line per issue on stderr, then "Schema validation failed", exit 1', () => {
  const bad = fixture('broken', 'label-diskimage-unknown.yaml');
  const r = nodepool(['--config', bad, 'config-validate']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `${bad}:21:24: providers[0].pools[0].labels[1].diskimage: "fedora-40" is not defined in top-level diskimages\nSchema validation failed\n`);
  assert.equal(r.stdout, '');
});

void test('a YAML syntax error says "YAML parsing failed", exit 1', async () => {
  const r = await runCaptured(['-c', fixture('broken', 'yaml-syntax.yaml'), 'config-validate']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /yaml-syntax\.yaml:5:1: YAML syntax error/);
  assert.match(r.stderr, /\nYAML parsing failed\n$/);
});

void test('warnings are printed but do not fail validation', async () => {
  const r = await runCaptured(['-c', fixture('good', 'legacy-2019.yaml'), 'config-validate']);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /legacy-2019\.yaml:25:18: warning: providers\[0\]\.nodepool-id: "nl01"/);
});

void test('the secure file given with -s is validated too', async () => {
  const r = await runCaptured(['-c', fixture('secure', 'main.yaml'), '-s', fixture('secure', 'unknown-image.yaml'), 'config-validate']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unknown-image\.yaml:2:11: diskimages\[0\]\.name: unknown diskimage: \[redacted\]/);
});

void test('%(NODEPOOL_PORT) is substituted from the environment', () => {
  const r = nodepool(['-c', fixture('good', 'substitution.yaml'), 'config-validate'], {
    NODEPOOL_PORT: '8005',
    NODEPOOL_ZK_HOST: 'zk',
    NODEPOOL_CLOUD: 'c',
  });
  assert.equal(r.code, 0, r.stderr);
});

void test('no subcommand prints the help and exits 1', () => {
  const r = nodepool(['-c', fixture('good', 'full-2024.yaml')]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^Usage: nodepool \[options\] \[command\]/);
  assert.match(r.stdout, /config-validate/);
  assert.equal(r.stderr, '');
});

void test('an unknown command exits 2', () => {
  const r = nodepool(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
});

void test('an unknown option exits 2, also global flags given after the subcommand (argparse rule)', async () => {
  assert.equal((await runCaptured(['--bogus', 'config-validate'])).code, 2);
  assert.equal((await runCaptured(['config-validate', '-c', 'x.yaml'])).code, 2);
  assert.equal((await runCaptured(['-c'])).code, 2);
});

void test('--version prints the Nodepool-style version line', () => {
  const r = nodepool(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `Nodepool version: ${VERSION} (temporal-nodepool)\n`);
});

void test('-h prints help and exits 0; the default config path is Nodepool\'s', async () => {
  const r = await runCaptured(['-h']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /-c, --config <path>/);
  assert.match(r.stdout, /\/etc\/nodepool\/nodepool\.yaml/);
  assert.match(r.stdout, /-s, --secure <path>/);
  assert.match(r.stdout, /-l, --logconfig <path>/);
  assert.match(r.stdout, /--debug/);
});

void test('a missing config file fails config-validate with exit 1 and names the file', async () => {
  const r = await runCaptured(['-c', '/nonexistent/nodepool.yaml', 'config-validate']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^\/nonexistent\/nodepool\.yaml: cannot read the file: file not found\n/);
});

void test('commands that need the config get it from ctx.loadConfig; a broken one exits 1 with the issues', async () => {
  const seen: string[] = [];
  const probe: CommandModule = {
    register(program, ctx) {
      program.command('probe').action(async () => {
        const { config } = await ctx.loadConfig();
        seen.push(...Object.keys(config.providers));
      });
    },
  };
  let err = '';
  const io = { stdout: () => {}, stderr: (s: string) => void (err += s) };
  assert.equal(await run(['node', 'nodepool', '-c', fixture('good', 'docs-example.yaml'), 'probe'], io, [probe]), 0);
  assert.deepEqual(seen, ['provider1', 'provider2', 'static-rack']);
  const bad = fixture('broken', 'bad-int.yaml');
  assert.equal(await run(['node', 'nodepool', '-c', bad, 'probe'], io, [probe]), 1);
  assert.equal(err, `${bad}:12:19: providers[0].boot-timeout: expected an integer, got "soon"\n`);
});
