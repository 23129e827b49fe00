// `nodepool export-image-data` / `import-image-data` on a real ZooKeeper (TLS, as Nodepool 11
// needs): the file is the one Nodepool 11's own command writes from the same tree, byte for
// byte; losing the image records and importing the file gives identical image-list and
// dib-image-list output; the import leaves the tree (sequence counters included) as Nodepool
// 11's import does; each side reads the other's file. The Nodepool 11 comparisons run when its
// venv exists (NODEPOOL11_VENV, default /tmp/np11-venv); a file Nodepool 11 wrote is also checked
// in (test/fixtures/np11-image-data.json) and imported always.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { useZooKeeper } from '../harness/servers';
import { makeTestTls } from '../harness/tls';
import { seedBuild, seedUpload } from '../status/helpers';
import { serverReady } from '../zk/helpers';
import { runCli, writeConfig } from './helpers';
import { storeBuild, storeUpload, readBuild } from '../../lib/zk/operations/images';
import { encodeImageData, exportImageData, parseImageData } from '../../lib/zk/operations/image-data';
import { buildPath, IMAGES, imageBuildLockPath, imageBuildRequestPath, imagePausePath, providerUploadsPath, uploadLockPath } from '../../lib/zk/paths';
import { ZkSession } from '../../lib/zk/session';

const NP11 = process.env.NODEPOOL11_VENV ?? '/tmp/np11-venv';
const NP11_CLI = join(NP11, 'bin', 'nodepool');
const haveNp11 = existsSync(NP11_CLI);
const np11Skip = haveNp11 ? false : `no Nodepool 11 at ${NP11}`;

const certs = makeTestTls();
const zk = useZooKeeper({ tls: certs.stores });
const dir = mkdtempSync(join(tmpdir(), 'image-data-'));
after(() => {
  certs.remove();
  rmSync(dir, { recursive: true, force: true });
});

const tls = () => ({ cert: certs.cert, key: certs.key, ca: certs.ca });
const tlsYaml = () => `zookeeper-tls:\n  cert: ${certs.cert}\n  key: ${certs.key}\n  ca: ${certs.ca}\n`;
/** A config for both CLIs: the TLS port, a chroot of its own. */
const configFor = (chroot: string) => writeConfig({ host: '127.0.0.1', port: zk().securePort as number }, chroot, tlsYaml());
const session = async (chroot: string) => {
  await serverReady(zk);
  return ZkSession.connect({ servers: `127.0.0.1:${zk().securePort}`, chroot, tls: tls() });
};

async function np11(config: string, args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(NP11_CLI, ['-c', config, ...args], { timeout: 60_000 });
  return stdout;
}

async function ours(config: string, args: string[]): Promise<string> {
  const r = await runCli(config, args);
  assert.equal(r.code, 0, `nodepool ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Ages (DD:HH:MM:SS, days of any width) tick between reads: digits masked, widths kept. */
const maskAges = (text: string): string => text.replace(/\b\d+:\d\d:\d\d:\d\d\b/g, (m) => m.replace(/\d/g, 'X'));

/** image-list and dib-image-list, tables and JSON, ages masked (they tick between the reads). */
async function listings(config: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const cmd of ['image-list', 'dib-image-list']) {
    out[cmd] = maskAges(await ours(config, [cmd]));
    out[`${cmd} --json`] = maskAges(await ours(config, [cmd, '--json']));
  }
  return out;
}

/** Every znode under /nodepool/images with its data (and the children counter of upload dirs). */
async function tree(s: ZkSession, path = IMAGES, out = new Map<string, string>()): Promise<Map<string, string>> {
  const got = await s.getIfExists(path);
  if (!got) return out;
  const isUploadDir = /\/providers\/[^/]+\/images$/.test(path);
  out.set(path, got.data.toString('utf8') + (isUploadDir ? ` [cversion ${got.stat.cversion}]` : ''));
  for (const c of (await s.getChildren(path)).sort()) await tree(s, `${path}/${c}`, out);
  return out;
}

const BUILD_A1 = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1';

/** Builds and uploads of three images the way the builder leaves them (locks, gaps in upload numbers, a pause, a request flag). */
async function seed(s: ZkSession): Promise<void> {
  const a1 = await seedBuild(s, 'img-a', { id: BUILD_A1, formats: ['qcow2', 'raw'], builder_id: 'b2c4e1a0-0000-4000-8000-000000000001' });
  await s.create(uploadLockPath('img-a', a1.id, 'p1'), Buffer.alloc(0), { makepath: true }); // takes sequence 0, as on a builder
  await seedUpload(s, a1, 'p1', { external_id: 'glance-1' }); // 0000000001
  const gone = await seedUpload(s, a1, 'p1', { state: 'deleting' }); // 0000000002, deleted below
  await seedUpload(s, a1, 'p1', { external_id: 'glance-3', external_name: 'img-a-1700000000' }); // 0000000003
  await s.deleteRecursive(`${providerUploadsPath('img-a', a1.id, 'p1')}/${gone.id}`);
  await seedUpload(s, a1, 'p2', { format: 'raw', state: 'uploading', external_id: null, external_name: null });
  await seedBuild(s, 'img-a', { state: 'failed', formats: [] });
  await s.create(imageBuildLockPath('img-a'));
  await s.create(imageBuildRequestPath('img-a'));
  await seedBuild(s, 'img-b', { state: 'building', formats: [], builder: 'bü-01' });
  // a record a Python writer could leave: non-ASCII, an emoji, DEL, a tab, an unknown key
  await s.create(buildPath('img-b', 'rawrecord'), Buffer.from('{"state": "ready", "state_time": 1700000000.25, "builder": "höst 🚀\u007f", "formats": "qcow2", "note": "tab\there"}\n'));
  await s.create(imagePausePath('img-b'));
  await s.create(imagePausePath('img-c'), Buffer.alloc(0), { makepath: true });
}

void test('export-image-data / import-image-data round trip, byte-compatible with Nodepool 11', async (t) => {
  const s = await session('/a');
  const config = configFor('/a');
  try {
    await seed(s);
    const file = join(dir, 'ours.json');
    const out = await ours(config, ['export-image-data', file]);
    assert.equal(out, `Exported 3 images (2 paused), 4 builds, 3 uploads to ${file}\n`);
    const text = readFileSync(file, 'utf8');
    assert.equal(statSync(file).mode & 0o777, 0o600, 'mode 0600 as Nodepool');

    await t.test('the file holds exactly the records, in Nodepool’s order and json.dump form', async () => {
      assert.ok(!/[^\x20-\x7e]/.test(text), 'ASCII only (ensure_ascii), no trailing newline');
      assert.match(text, /"builder\\": \\"h\\u00f6st \\ud83d\\ude80\\u007f\\"/, 'escaped as Python does');
      const entries = parseImageData(text);
      const paths = entries.map(([p]) => p);
      assert.deepEqual(
        paths.map((p) => p.split('/')[3]),
        ['img-a', 'img-a', 'img-a', 'img-a', 'img-a', 'img-b', 'img-b', 'img-b', 'img-c'],
        'images sorted, each image’s records together',
      );
      assert.deepEqual(paths.slice(5, 6), ['/nodepool/images/img-b/pause'], 'pause first');
      assert.equal(paths.at(-1), '/nodepool/images/img-c/pause');
      assert.ok(!paths.some((p) => p.endsWith('/lock') || p.endsWith('/request-build')), 'no locks, no build requests');
      const uploadsA1 = paths.filter((p) => p.includes(`${BUILD_A1}/providers/`));
      assert.deepEqual(uploadsA1.map((p) => p.split('/').slice(7).join('/')).sort(), ['p1/images/0000000001', 'p1/images/0000000003', 'p2/images/0000000000']);
      assert.ok(paths.indexOf(`/nodepool/images/img-a/builds/${BUILD_A1}`) < paths.indexOf(uploadsA1[0] as string), 'a build before its uploads');
      for (const [p, data] of entries) assert.equal(data, (await s.get(p)).data.toString('utf8'), p);
      assert.equal(encodeImageData(entries), text, 're-encoding gives the same bytes');
      assert.equal(encodeImageData(await exportImageData(s)), text);
    });

    await t.test('Nodepool 11 writes the same bytes from the same tree', { skip: np11Skip }, async () => {
      const npFile = join(dir, 'np11.json');
      assert.equal(await np11(config, ['export-image-data', npFile]), '');
      assert.equal(readFileSync(npFile, 'utf8'), text);
    });

    const before = await listings(config);
    const treeBefore = await tree(s);
    assert.match(before['image-list'] ?? '', /glance-3/);
    assert.match(before['dib-image-list'] ?? '', /img-b-rawrecord/);

    await t.test('lost image records come back: image-list and dib-image-list are identical', async () => {
      await s.deleteRecursive(IMAGES);
      assert.doesNotMatch(await ours(config, ['dib-image-list']), /img-/, 'records gone');
      assert.equal(await ours(config, ['import-image-data', file]), `Imported 3 images (2 paused), 4 builds, 3 uploads from ${file} (9 created, 0 replaced)\n`);
      assert.deepEqual(await listings(config), before);
      const after = await tree(s);
      for (const [p, data] of treeBefore) {
        if (/\/(lock|request-build)$/.test(p) || / \[cversion/.test(data)) continue; // not in a backup; counters: below
        assert.equal(after.get(p), data, p);
      }
    });

    await t.test('a new upload after the import gets an id above the imported ones', async () => {
      const b = (await readBuild(s, 'img-a', BUILD_A1))!.value;
      const id = await storeUpload(s, { image: 'img-a', build_id: b.id, provider: 'p1', id: '', state: 'uploading', state_time: Date.now() / 1000, external_id: null, external_name: null, format: 'qcow2', username: null, python_path: null, shell_type: null, extra: new Map() });
      assert.ok(id > '0000000003', `new upload id ${id}`);
      await s.deleteRecursive(`${providerUploadsPath('img-a', b.id, 'p1')}/${id}`);
    });

    await t.test('import overwrites the records it names and leaves the others', async () => {
      const got = (await readBuild(s, 'img-a', BUILD_A1))!;
      got.value.state = 'deleting';
      await storeBuild(s, got.value, got.version);
      const extra = await seedBuild(s, 'img-a', { state: 'ready' });
      const r = await runCli(config, ['import-image-data', file]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /\(0 created, 9 replaced\)\n$/);
      assert.equal((await readBuild(s, 'img-a', BUILD_A1))?.value.state, 'ready');
      assert.ok(await readBuild(s, 'img-a', extra.id), 'a build not in the file stays');
      await s.deleteRecursive(buildPath('img-a', extra.id));
      assert.deepEqual(await listings(config), before);
    });

    await t.test('our import leaves the tree Nodepool 11’s import leaves (sequence counters too), and each reads the other’s file', { skip: np11Skip }, async () => {
      const sb = await session('/b');
      const sc = await session('/c');
      try {
        await np11(configFor('/b'), ['import-image-data', file]);
        await ours(configFor('/c'), ['import-image-data', file]);
        const treeB = await tree(sb);
        assert.deepEqual([...(await tree(sc))], [...treeB]);
        assert.deepEqual(await listings(configFor('/b')), before, 'Nodepool 11 read our file');
        // and we read Nodepool 11's: export from /b with Nodepool, import into /d
        const npFile = join(dir, 'np11-from-b.json');
        await np11(configFor('/b'), ['export-image-data', npFile]);
        await ours(configFor('/d'), ['import-image-data', npFile]);
        assert.deepEqual(await listings(configFor('/d')), before, 'we read Nodepool 11’s file');
      } finally {
        await sb.close();
        await sc.close();
      }
    });
  } finally {
    await s.close();
  }
});

void test('a file Nodepool 11 wrote (checked in) imports', async () => {
  const fixture = join(__dirname, '../fixtures/np11-image-data.json');
  const text = readFileSync(fixture, 'utf8');
  const s = await session('/fixture');
  const config = configFor('/fixture');
  try {
    const r = await runCli(config, ['import-image-data', fixture]);
    assert.equal(r.code, 0, r.stderr);
    const builds = JSON.parse(await ours(config, ['dib-image-list', '--json'])) as Array<{ id: string; state: string }>;
    assert.deepEqual(builds.map((b) => `${b.id} ${b.state}`).sort(), [
      'img-a-11111111111111111111111111111111 ready',
      'img-a-22222222222222222222222222222222 ready',
      'img-b-33333333333333333333333333333333 paused', // a building record of a paused image
    ]);
    const uploads = JSON.parse(await ours(config, ['image-list', '--json'])) as Array<{ upload_id: string; provider: string; state: string }>;
    assert.deepEqual(uploads.map((u) => `${u.provider} ${u.upload_id} ${u.state}`).sort(), ['p1 0000000001 ready', 'p1 0000000004 ready', 'p2 0000000000 ready']);
    // what we export again is the same set of records
    const again = parseImageData(encodeImageData(await exportImageData(s)));
    assert.deepEqual(new Map(again), new Map(parseImageData(text)));
  } finally {
    await s.close();
  }
});

void test('import refuses bad files before writing anything; export reports an unwritable path', async () => {
  const s = await session('/bad');
  const config = configFor('/bad');
  try {
    const write = (name: string, body: string) => {
      const p = join(dir, name);
      writeFileSync(p, body);
      return p;
    };
    const cases: Array<[string, RegExp]> = [
      [write('not-json.json', '{"/nodepool/images/x/pause": '), /^Cannot import .*not-json\.json: not an image data export/],
      [write('array.json', '[]'), /not an image data export/],
      [write('number.json', '{"/nodepool/images/x/builds/b": 5}'), /\/nodepool\/images\/x\/builds\/b: the data must be a JSON string/],
      [write('node.json', '{"/nodepool/images/x/builds/b": "{}", "/nodepool/nodes/0000000001": "{}"}'), /\/nodepool\/nodes\/0000000001: not an image pause flag, build or upload path/],
      [write('dotdot.json', '{"/nodepool/images/../builds/b": "{}"}'), /not an image pause flag/],
      [join(dir, 'missing.json'), /^Cannot import .*missing\.json: ENOENT/],
    ];
    for (const [file, message] of cases) {
      const r = await runCli(config, ['import-image-data', file]);
      assert.equal(r.code, 1, file);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
    assert.equal(await s.exists(IMAGES), null, 'nothing written');
    const r = await runCli(config, ['export-image-data', join(dir, 'no-such-dir', 'x.json')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Cannot write .*no-such-dir\/x\.json: ENOENT/);
  } finally {
    await s.close();
  }
});
