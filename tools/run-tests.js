#!/usr/bin/env node
// Runs every test file under test/ with node's test runner (TypeScript through tsx), one file at a
// time: each file starts its own real ZooKeeper / Temporal / simulator, and a 2-core CI box runs
// them more reliably one after another. Extra arguments narrow the run: `npm test -- test/config`.
const { spawnSync } = require('node:child_process');
const { readdirSync, statSync } = require('node:fs');
const { join, resolve } = require('node:path');

const root = resolve(__dirname, '..');
function collect(p, out) {
  const st = statSync(p);
  if (st.isDirectory()) for (const f of readdirSync(p).sort()) collect(join(p, f), out);
  else if (/\.test\.ts$/.test(p)) out.push(p);
  return out;
}
const targets = process.argv.slice(2);
const files = (targets.length ? targets : ['test']).flatMap((t) => collect(resolve(root, t), []));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  { stdio: 'inherit', cwd: root, env: { ...process.env, NODE_OPTIONS: '' } },
);
process.exit(r.status ?? 1);
