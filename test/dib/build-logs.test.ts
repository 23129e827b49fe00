// Build-log retention: newest max(retention, 1) logs per image, pruned before each build; -1 keeps
// everything; and image `fedora` never prunes `fedora-39`'s logs (Nodepool's prefix bug, spec A7).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildLogPath, isBuildLogOf, pruneBuildLogs } from '../../activities/dib/build-logs';

function dirWith(files: Record<string, number>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dib-logs-'));
  for (const [name, age] of Object.entries(files)) {
    const p = join(dir, name);
    writeFileSync(p, name);
    const t = new Date(Date.now() - age * 1000);
    utimesSync(p, t, t);
  }
  return dir;
}

void test('keeps the newest logs by mtime, not by name', async () => {
  const dir = dirWith({ 'img-0000000001.log': 10, 'img-0000000002.log': 30, 'img-0000000003.log': 20 });
  const deleted = await pruneBuildLogs(dir, 'img', 2);
  assert.deepEqual(deleted, [join(dir, 'img-0000000002.log')]);
  assert.deepEqual(readdirSync(dir).sort(), ['img-0000000001.log', 'img-0000000003.log']);
});

void test('fedora and fedora-39 logs are pruned separately (A7 fixed)', async () => {
  const dir = dirWith({
    'fedora-aaa1.log': 50,
    'fedora-aaa2.log': 40,
    'fedora-39-bbb1.log': 30,
    'fedora-39-bbb2.log': 20,
    'fedora-39-bbb3.log': 10,
    'fedora.txt': 60,
  });
  await pruneBuildLogs(dir, 'fedora', 1);
  assert.deepEqual(readdirSync(dir).sort(), ['fedora-39-bbb1.log', 'fedora-39-bbb2.log', 'fedora-39-bbb3.log', 'fedora-aaa2.log', 'fedora.txt']);
  await pruneBuildLogs(dir, 'fedora-39', 2);
  assert.deepEqual(readdirSync(dir).sort(), ['fedora-39-bbb2.log', 'fedora-39-bbb3.log', 'fedora-aaa2.log', 'fedora.txt']);
  assert.equal(isBuildLogOf('fedora-39-bbb2.log', 'fedora'), false);
  assert.equal(isBuildLogOf('fedora-39-bbb2.log', 'fedora-39'), true);
  assert.equal(isBuildLogOf('f.dora-1.log', 'fedora'), false, 'image names are literal, not regexps');
});

void test('retention 0 acts as 1; -1 never prunes; a missing directory is created', async () => {
  const dir = dirWith({ 'x-1.log': 3, 'x-2.log': 2, 'x-3.log': 1 });
  assert.deepEqual(await pruneBuildLogs(dir, 'x', -1), []);
  assert.equal(readdirSync(dir).length, 3);
  await pruneBuildLogs(dir, 'x', 0);
  assert.deepEqual(readdirSync(dir), ['x-3.log']);
  const fresh = join(dir, 'sub', 'builds');
  assert.deepEqual(await pruneBuildLogs(fresh, 'x', 7), []);
  assert.deepEqual(readdirSync(fresh), []);
  assert.equal(buildLogPath('/var/log/nodepool/builds', 'x', 'ab12'), '/var/log/nodepool/builds/x-ab12.log');
});
