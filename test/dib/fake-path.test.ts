// fakeDibCommand() finds the script from source (tsx) and from a compiled dist/ tree, which tsc
// does not copy the script into.
import assert from 'node:assert/strict';
import { accessSync, constants, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { fakeDibCommand } from '../../activities/dib/fake';

const SRC = resolve(__dirname, '..', '..', 'activities', 'dib');

void test('from source it is the executable next to fake.ts', () => {
  assert.equal(fakeDibCommand(), join(SRC, 'fake-disk-image-create'));
  accessSync(fakeDibCommand(), constants.X_OK);
});

void test('from dist/activities/dib it walks back to the source tree', () => {
  const repo = mkdtempSync(join(tmpdir(), 'dib-dist-'));
  mkdirSync(join(repo, 'activities', 'dib'), { recursive: true });
  mkdirSync(join(repo, 'dist', 'activities', 'dib'), { recursive: true });
  copyFileSync(join(SRC, 'fake-disk-image-create'), join(repo, 'activities', 'dib', 'fake-disk-image-create'));
  const js = ts.transpileModule(readFileSync(join(SRC, 'fake.ts'), 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS } }).outputText;
  writeFileSync(join(repo, 'dist', 'activities', 'dib', 'fake.js'), js);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const compiled = require(join(repo, 'dist', 'activities', 'dib', 'fake.js')) as { fakeDibCommand(): string };
  assert.equal(compiled.fakeDibCommand(), join(repo, 'activities', 'dib', 'fake-disk-image-create'));
});
