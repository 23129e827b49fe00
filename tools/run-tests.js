#!/usr/bin/env node
// Runs every test file under test/ with node's test runner (TypeScript through tsx), one file at a
// time: each file starts its own real ZooKeeper / Temporal / simulator, and a 2-core CI box runs
// them more reliably one after another. Extra arguments narrow the run: `npm test -- test/config`.
// Prints node's spec report, then one plain closing line: "tests: N passed, N failed, N skipped".
const { spawnSync } = require('node:child_process');
const { readdirSync, statSync, readFileSync, mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
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
const tapFile = join(mkdtempSync(join(tmpdir(), 'nodepool-tests-')), 'report.tap');
const r = spawnSync(
  process.execPath,
  [
    '--import', 'tsx', '--test', '--test-concurrency=1',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
    ...files,
  ],
  { stdio: 'inherit', cwd: root, env: { ...process.env, NODE_OPTIONS: '' } },
);
const tap = readFileSync(tapFile, 'utf8');
const count = (k) => Number((tap.match(new RegExp(`^# ${k} (\\d+)$`, 'm')) || [])[1] || 0);
const passed = count('pass');
const failed = count('fail') + count('cancelled');
console.log(`tests: ${passed} passed, ${failed} failed, ${count('skipped')} skipped`);
process.exit(r.status === 0 && passed > 0 ? 0 : 1);
