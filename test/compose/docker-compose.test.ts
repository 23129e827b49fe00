// docker-compose.yml cannot be run here (no container engine), so it is checked by reading:
// Debian's docker-compose validates it against the Compose schema, and the files it mounts exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const root = resolve(__dirname, '..', '..');
const composeFile = join(root, 'docker-compose.yml');

function composeConfig(file: string) {
  return spawnSync('docker-compose', ['-f', file, 'config', '-q'], { encoding: 'utf8', cwd: root });
}

const haveTool = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;

test('docker-compose.yml passes the Compose schema', { skip: haveTool ? false : 'docker-compose not installed (tools/setup installs it)' }, () => {
  const r = composeConfig(composeFile);
  assert.equal(r.status, 0, r.stderr);
});

test('the schema check rejects a broken compose file', { skip: haveTool ? false : 'docker-compose not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'compose-'));
  const broken = join(dir, 'docker-compose.yml');
  writeFileSync(broken, readFileSync(composeFile, 'utf8').replace('restart: unless-stopped', 'restart: [unless-stopped]'));
  const r = composeConfig(broken);
  assert.notEqual(r.status, 0);
});

test('every service has an image or a build, and every mounted file exists', () => {
  const doc = parse(readFileSync(composeFile, 'utf8'), { merge: true }) as {
    services: Record<string, { image?: string; build?: string; volumes?: string[] }>;
  };
  const names = Object.keys(doc.services).sort();
  for (const want of ['nodepool-builder', 'nodepool-launcher', 'postgresql', 'statsd', 'temporal', 'temporal-ui', 'zookeeper']) {
    assert.ok(names.includes(want), `service ${want} is defined`);
  }
  for (const [name, svc] of Object.entries(doc.services)) {
    assert.ok(svc.image || svc.build, `${name} has an image or build`);
    for (const v of svc.volumes ?? []) {
      const src = v.split(':')[0] as string;
      if (src.startsWith('./')) assert.ok(existsSync(join(root, src)), `${name} mounts ${src}, which exists`);
    }
  }
  assert.ok(existsSync(join(root, 'Dockerfile')));
});
