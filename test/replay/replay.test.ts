// The replay corpus: histories that released versions really produced (test/replay/<version>/,
// picked by tools/replay/select.ts from a recorded test run) must replay against the current
// workflow code. A change that would make a live workflow fail its next workflow task (a node
// can wait days for a job) fails here first. See tools/replay/README.md for the rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';

const CORPUS = __dirname;

function corpusFiles(): string[] {
  return readdirSync(CORPUS)
    .filter((d) => statSync(join(CORPUS, d)).isDirectory())
    .flatMap((d) => readdirSync(join(CORPUS, d)).filter((f) => f.endsWith('.json')).map((f) => join(d, f)))
    .sort();
}

void test('every history of the replay corpus replays against the current workflow code', async (t) => {
  const files = corpusFiles();
  assert.ok(files.length > 0, `no histories under ${CORPUS}`);
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: { warn() {}, info() {}, error() {}, debug() {}, trace() {}, log() {} } });
  const histories = files.map((f) => ({ workflowId: f, history: JSON.parse(readFileSync(join(CORPUS, f), 'utf8')) as unknown }));
  const failures: string[] = [];
  let replayed = 0;
  for await (const r of Worker.runReplayHistories({ workflowBundle }, histories)) {
    replayed++;
    if (r.error) failures.push(`${r.workflowId}: ${r.error.name}: ${r.error.message.split('\n')[0]}`);
  }
  t.diagnostic(`${replayed} histories from ${new Set(files.map((f) => f.split('/')[0])).size} release(s) replayed`);
  assert.equal(replayed, files.length);
  assert.deepEqual(failures, [], 'histories that no longer replay: change the workflow with patched() (tools/replay/README.md)');
});
