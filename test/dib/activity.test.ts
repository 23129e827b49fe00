// The buildDiskimage activity against the fake disk-image-create, in MockActivityEnvironment:
// success with files, checksums and log; failure, timeout and cancellation leave nothing behind
// and kill the whole process group; heartbeats; secrets never leak.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { alive, failureOf, fakeBuilder, waitFor } from './fake-build';

const ID = '0123abcd';

void test('a fake build returns every format with checksums, and logs elements and env', async (t) => {
  const b = fakeBuilder({ envVars: { FAKE_DIB_SLEEP_SECONDS: '0.1', FAKE_DIB_SIZE_BYTES: '10000', DIB_DEBIAN_COMPONENTS: 'main' } });
  t.after(b.cleanup);
  const r = await b.build({ diskimage: 'fake-image', buildId: ID });
  assert.deepEqual(r.formats, ['qcow2', 'raw']);
  assert.deepEqual(
    r.files.map((f) => [f.format, f.path, f.size]),
    [
      ['qcow2', join(b.imagesDir, `fake-image-${ID}.qcow2`), 10000],
      ['raw', join(b.imagesDir, `fake-image-${ID}.raw`), 10000],
    ],
  );
  for (const f of r.files) {
    const data = readFileSync(f.path);
    assert.equal(f.md5, createHash('md5').update(data).digest('hex'));
    assert.equal(f.sha256, createHash('sha256').update(data).digest('hex'));
    assert.ok(f.allocatedBytes >= 8192);
  }
  assert.deepEqual(b.images(), [
    `fake-image-${ID}.d`,
    `fake-image-${ID}.qcow2`,
    `fake-image-${ID}.qcow2.md5`,
    `fake-image-${ID}.qcow2.sha256`,
    `fake-image-${ID}.raw`,
    `fake-image-${ID}.raw.md5`,
    `fake-image-${ID}.raw.sha256`,
  ]);
  assert.equal(r.logPath, join(b.logDir, `fake-image-${ID}.log`));
  const text = b.log(ID);
  for (const want of [
    `fake-dib: arguments -x -t qcow2,raw --checksum --no-tmpfs --qemu-img-options compat=0.10 -o ${join(b.imagesDir, `fake-image-${ID}`)} fedora vm`,
    'fake-dib: element fedora',
    'fake-dib: element vm',
    'fake-dib: env DIB_RELEASE=21',
    'fake-dib: env DIB_IMAGE_NAME=fake-image',
    'fake-dib: env DIB_DEBIAN_COMPONENTS=main',
    'fake-dib: env ELEMENTS_PATH=/opt/elements',
    `fake-dib: env TMPDIR=${join(b.tmpRoot, `nodepool-dib-fake-image-${ID}`)}`,
    'Build completed successfully',
  ]) {
    assert.ok(text.includes(want), `log lacks: ${want}`);
  }
  assert.match(text, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \| /m);
  assert.match(text, /\nExit code: 0\n$/);
  assert.ok(r.envNames.includes('DIB_RELEASE') && r.envNames.includes('ELEMENTS_PATH'));
  assert.equal(r.command[1], '-x');
  assert.ok(r.durationMs > 0);
  // The per-build TMPDIR is gone, and with it the fake's dib_build.* work dir.
  assert.deepEqual(readdirSync(b.tmpRoot), []);
});

void test('heartbeats carry line counts and the DIB phase while the build runs', async (t) => {
  const b = fakeBuilder({ envVars: { FAKE_DIB_SLEEP_SECONDS: '1.4' } });
  t.after(b.cleanup);
  await b.build({ diskimage: 'fake-image', buildId: ID });
  assert.ok(b.beats.length >= 8, `${b.beats.length} heartbeats`);
  const lines = b.beats.map((h) => h.lines);
  assert.deepEqual(lines, [...lines].sort((x, y) => x - y), 'line counts never go back');
  assert.ok((lines.at(-1) ?? 0) > 20);
  const phases = new Set(b.beats.map((h) => h.phase));
  assert.ok(phases.has('install.d') && phases.has('root.d'), [...phases].join(','));
  assert.ok(b.beats.every((h) => typeof h.elapsedMs === 'number' && (h.lastLineAt === null || h.lastLineAt > 0)));
});

void test('a failing DIB (rc 127) is a non-retryable DibFailed and leaves no partial files', async (t) => {
  const b = fakeBuilder({ envVars: { SHOULD_FAIL: 'true' } });
  t.after(b.cleanup);
  const err = await b.build({ diskimage: 'fake-image', buildId: ID }).then(
    () => assert.fail('build should fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApplicationFailure);
  assert.equal(err.type, 'DibFailed');
  assert.equal(err.nonRetryable, true);
  const details = err.details?.[0] as { rc: number; logPath: string; lastLines: string[] };
  assert.equal(details.rc, 127);
  assert.ok(details.lastLines.some((l) => l.includes('Should fail is set')));
  assert.deepEqual(b.images(), [], 'the fake wrote outputs before failing; all must be gone');
  assert.deepEqual(readdirSync(b.tmpRoot), [], 'the fake left dib_build.* behind; it must be gone');
  assert.match(b.log(ID), /\nExit code: 127\n$/);
});

void test('build-timeout kills the process group, cleans up, and fails with DibTimeout', async (t) => {
  const b = fakeBuilder({ envVars: { FAKE_DIB_HANG: '1' }, buildTimeout: 1 });
  t.after(b.cleanup);
  const t0 = Date.now();
  const err = await b.build({ diskimage: 'fake-image', buildId: ID }).then(
    () => assert.fail('build should time out'),
    (e: unknown) => e,
  );
  assert.ok(Date.now() - t0 < 8000, `took ${Date.now() - t0} ms`);
  assert.ok(err instanceof ApplicationFailure);
  assert.equal(err.type, 'DibTimeout');
  assert.equal(err.nonRetryable, true);
  const text = b.log(ID);
  const pid = Number(/fake-dib: pid (\d+)/.exec(text)?.[1]);
  const child = Number(/child pid (\d+)/.exec(text)?.[1]);
  assert.ok(pid > 0 && child > 0);
  await waitFor('the sleeper to die', () => (alive(child) ? undefined : true), 3000);
  assert.equal(alive(pid), false);
  assert.match(text, /Build timeout after 1 s; DIB killed\n$/);
  assert.deepEqual(b.images(), []);
  assert.deepEqual(readdirSync(b.tmpRoot), []);
});

void test('cancellation kills the whole process group (SIGKILL when SIGTERM is ignored) and cleans up', async (t) => {
  const b = fakeBuilder({ envVars: { FAKE_DIB_HANG: '1', FAKE_DIB_IGNORE_TERM: '1' } });
  t.after(b.cleanup);
  const run = b.build({ diskimage: 'fake-image', buildId: ID });
  const logPath = join(b.logDir, `fake-image-${ID}.log`);
  const pids = await waitFor('the fake to report its child', () => {
    const text = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
    const m = /child pid (\d+)/.exec(text);
    return m ? [Number(/fake-dib: pid (\d+)/.exec(text)?.[1]), Number(m[1])] : undefined;
  });
  // Leave a partial output file, as a real DIB would while converting.
  writeFileSync(join(b.imagesDir, `fake-image-${ID}.qcow2`), 'partial');
  assert.ok(pids.every(alive));
  b.env.cancel();
  const err = await run.then(
    () => assert.fail('build should be cancelled'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CancelledFailure, String(err));
  for (const pid of pids) await waitFor(`pid ${pid} to die`, () => (alive(pid) ? undefined : true), 3000);
  assert.match(b.log(ID), /SIGTERM ignored[\s\S]*Build cancelled; DIB killed\n$/);
  assert.deepEqual(b.images(), []);
  assert.deepEqual(readdirSync(b.tmpRoot), []);
});

void test('secure env-var values never reach the log, the result, heartbeats or errors', async (t) => {
  const secret = 's3cr3t-Value-42';
  const user = 'registry-user-xyz';
  const envVars = { FAKE_DIB_SLEEP_SECONDS: '0.3', REG_PASSWORD: secret, DIB_REG_USER: user, FAKE_DIB_SHOW_ENV: 'DIB_REG_USER,REG_PASSWORD' };
  const ok = fakeBuilder({ envVars, secretEnvNames: ['REG_PASSWORD', 'DIB_REG_USER'] });
  t.after(ok.cleanup);
  const r = await ok.build({ diskimage: 'fake-image', buildId: ID });
  const text = ok.log(ID);
  // The fake prints DIB_REG_USER's value (it cannot know it is secure): the activity blanks it.
  assert.ok(text.includes('fake-dib: env DIB_REG_USER=[redacted]'), 'redacted in the log');
  assert.ok(text.includes('fake-dib: env REG_PASSWORD=[set]'), 'the fake itself hides secret-looking names');
  for (const blob of [text, JSON.stringify(r), JSON.stringify(ok.beats)]) {
    assert.ok(!blob.includes(secret) && !blob.includes(user));
  }
  assert.ok(r.envNames.includes('REG_PASSWORD'), 'names are fine');

  const bad = fakeBuilder({ envVars: { ...envVars, SHOULD_FAIL: '1' }, secretEnvNames: ['REG_PASSWORD', 'DIB_REG_USER'] });
  t.after(bad.cleanup);
  const err = await bad.build({ diskimage: 'fake-image', buildId: ID }).then(
    () => assert.fail('should fail'),
    (e: unknown) => e as ApplicationFailure,
  );
  const shown = JSON.stringify({ message: err.message, details: err.details, stack: err.stack });
  assert.ok(shown.includes('Should fail is set'), 'the log tail is in the details');
  assert.ok(!shown.includes(secret) && !shown.includes(user));
});

void test('a command that cannot start is DibExecFailed; rc 0 without outputs is DibOutputMissing', async (t) => {
  const missing = fakeBuilder({ dibCmd: '/nonexistent/disk-image-create' });
  t.after(missing.cleanup);
  const e1 = await failureOf(missing.build({ diskimage: 'fake-image', buildId: ID }));
  assert.equal(e1.type, 'DibExecFailed');
  assert.match(e1.message, /Failed to exec '\/nonexistent\/disk-image-create -x .*'\. Error: 'ENOENT'/);

  const lazy = fakeBuilder({ dibCmd: 'true' });
  t.after(lazy.cleanup);
  mkdirSync(lazy.imagesDir, { recursive: true });
  const e2 = await failureOf(lazy.build({ diskimage: 'fake-image', buildId: ID }));
  assert.equal(e2.type, 'DibOutputMissing');
  assert.deepEqual((e2.details?.[0] as { missing: string[] }).missing, ['qcow2', 'raw']);
});

void test('bad input and unknown diskimages are non-retryable DibConfigError', async (t) => {
  const b = fakeBuilder();
  t.after(b.cleanup);
  for (const input of [
    { diskimage: 'fake-image', buildId: '../x' },
    { diskimage: '../etc', buildId: ID },
    { diskimage: 'other', buildId: ID },
  ]) {
    const e = await failureOf(b.build(input));
    assert.equal(e.type, 'DibConfigError', JSON.stringify(input));
    assert.equal(e.nonRetryable, true);
  }
});

void test('each build prunes older logs of its image first (retention 1: two logs during a build)', async (t) => {
  const b = fakeBuilder({}, {}, 1);
  t.after(b.cleanup);
  mkdirSync(b.logDir, { recursive: true });
  writeFileSync(join(b.logDir, 'fake-image-39-aaaa.log'), 'another image');
  for (const id of ['a1', 'a2', 'a3']) await b.build({ diskimage: 'fake-image', buildId: id });
  assert.deepEqual(readdirSync(b.logDir).sort(), ['fake-image-39-aaaa.log', 'fake-image-a2.log', 'fake-image-a3.log']);
});

void test('explicit formats from the workflow win over the config', async (t) => {
  const b = fakeBuilder();
  t.after(b.cleanup);
  const r = await b.build({ diskimage: 'fake-image', buildId: ID, formats: ['tar'] });
  assert.deepEqual(r.formats, ['tar']);
  assert.ok(!b.log(ID).includes('qemu-img-options'));
});

void test("Nodepool's dib_image_build metrics: sizes on success, rc 127 on failure, rc 1 on timeout", async (t) => {
  const sent: [string, string, number][] = [];
  const stats = { gauge: (n: string, v: number) => void sent.push(['g', n, v]), timing: (n: string, v: number) => void sent.push(['t', n, v]) };
  const ok = fakeBuilder({}, { stats });
  t.after(ok.cleanup);
  const r = await ok.build({ diskimage: 'fake-image', buildId: 'c1' });
  const names = sent.map(([k, n]) => `${k} ${n}`);
  assert.deepEqual(names, [
    'g nodepool.dib_image_build.fake-image.qcow2.size',
    'g nodepool.dib_image_build.fake-image.raw.size',
    't nodepool.dib_image_build.fake-image.status.duration',
    'g nodepool.dib_image_build.fake-image.status.rc',
    'g nodepool.dib_image_build.fake-image.status.last_build',
  ]);
  assert.equal(sent[0]?.[2], r.files[0]?.allocatedBytes);
  assert.equal(sent[3]?.[2], 0);
  assert.ok(Math.abs((sent[4]?.[2] ?? 0) - Date.now() / 1000) < 60);

  sent.length = 0;
  const bad = fakeBuilder({ envVars: { SHOULD_FAIL: 'true' } }, { stats });
  t.after(bad.cleanup);
  await failureOf(bad.build({ diskimage: 'fake-image', buildId: 'c2' }));
  assert.deepEqual(sent.filter(([, n]) => n.endsWith('.rc')).map(([, , v]) => v), [127]);
  assert.ok(!sent.some(([, n]) => n.endsWith('.size')));

  sent.length = 0;
  const slow = fakeBuilder({ envVars: { FAKE_DIB_HANG: '1' }, buildTimeout: 1 }, { stats });
  t.after(slow.cleanup);
  await failureOf(slow.build({ diskimage: 'fake-image', buildId: 'c3' }));
  assert.deepEqual(sent.filter(([, n]) => n.endsWith('.rc')).map(([, , v]) => v), [1]);
});

void test('a cancel that arrives before DIB starts still cancels, and nothing is left', async (t) => {
  const b = fakeBuilder({ envVars: { FAKE_DIB_HANG: '1' } });
  t.after(b.cleanup);
  const run = b.build({ diskimage: 'fake-image', buildId: 'd1' });
  b.env.cancel();
  const err = await run.then(
    () => assert.fail('should be cancelled'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CancelledFailure, String(err));
  assert.deepEqual(b.images(), []);
  assert.deepEqual(readdirSync(b.tmpRoot), []);
});
