// Glance behaviour: create with string properties, streamed upload (hashes, statuses, memory),
// list filters and `next` pagination, plain-text errors, patch, delete.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { beforeEach, describe, it } from 'node:test';
import { DEFAULT_CREDENTIALS } from '../../simulator/defaults';
import { Api, spawnSimulator, useSimulator, waitFor } from './helpers';

type Image = { id: string; name: string; status: string; [k: string]: unknown };

/** Deterministic pseudo-random bytes, produced on demand so the test itself holds no big buffer. */
function byteSource(total: number, chunk = 1 << 20): { stream: () => Readable; md5: string; sha512: string } {
  const md5 = crypto.createHash('md5');
  const sha = crypto.createHash('sha512');
  const block = (i: number): Buffer => {
    const b = Buffer.alloc(Math.min(chunk, total - i * chunk), i % 251);
    b.writeUInt32BE(i, 0);
    return b;
  };
  const n = Math.ceil(total / chunk);
  for (let i = 0; i < n; i++) {
    const b = block(i);
    md5.update(b);
    sha.update(b);
  }
  return {
    stream: () => Readable.from((function* () { for (let i = 0; i < n; i++) yield block(i); })()),
    md5: md5.digest('hex'),
    sha512: sha.digest('hex'),
  };
}

void describe('glance', () => {
  const { sim, api } = useSimulator();

  beforeEach(async () => {
    await sim().admin.reset();
  });

  const create = async (fields: Record<string, unknown> = {}) =>
    api().image<Image>('POST', '/images', { name: 'img', disk_format: 'qcow2', container_format: 'bare', visibility: 'private', ...fields });

  async function put(id: string, body: Readable | Buffer, contentType = 'application/octet-stream'): Promise<Response> {
    return fetch(`${sim().url}/image/v2/images/${id}/file`, {
      method: 'PUT',
      headers: { 'X-Auth-Token': api().token, 'Content-Type': contentType },
      body: Buffer.isBuffer(body) ? body : (Readable.toWeb(body) as ReadableStream),
      duplex: 'half',
    } as RequestInit);
  }

  void it('creates a queued image with custom string properties; non-string properties are 400', async () => {
    const r = await create({ nodepool_build_id: '0000000001', 'owner_specified.openstack.md5': 'abc' });
    assert.equal(r.status, 201);
    assert.equal(r.body.status, 'queued');
    assert.equal(r.body.nodepool_build_id, '0000000001');
    assert.equal(r.body.size, null);
    assert.equal(r.body.checksum, null);
    assert.equal(r.body.self, `/v2/images/${r.body.id}`);
    const bad = await create({ nodepool_build_id: 1 });
    assert.equal(bad.status, 400);
    assert.match(bad.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal((await create({ status: 'active' })).status, 403);
    assert.equal((await create({ disk_format: 'floppy' })).status, 400);
  });

  void it('streams a 256 MiB chunked upload to disk: md5, sha512, size, saving -> active, bounded memory', async () => {
    // The simulator runs in its own process so that its peak RSS (VmHWM) measures the server alone.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-upload-'));
    const child = await spawnSimulator(['--port', '0', '--clouds-yaml', path.join(dir, 'clouds.yaml'), '--state-file', path.join(dir, 'state.json')]);
    try {
      const capi = new Api({ url: child.url, credentials: DEFAULT_CREDENTIALS });
      await capi.login();
      const hwm = (): number => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
      const size = 256 * 1024 * 1024;
      const src = byteSource(size);
      const id = (await capi.image<Image>('POST', '/images', { name: 'big', disk_format: 'qcow2', container_format: 'bare' })).body.id;
      const before = hwm();
      const t0 = process.hrtime.bigint();
      const res = await fetch(`${child.url}/image/v2/images/${id}/file`, {
        method: 'PUT',
        headers: { 'X-Auth-Token': capi.token, 'Content-Type': 'application/octet-stream' },
        body: Readable.toWeb(src.stream()) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      assert.equal(res.status, 204);
      const grew = hwm() - before;
      const img = (await capi.image<Image>('GET', `/images/${id}`)).body;
      assert.equal(img.status, 'active');
      assert.equal(img.size, size);
      assert.equal(img.checksum, src.md5);
      assert.equal(img.os_hash_algo, 'sha512');
      assert.equal(img.os_hash_value, src.sha512);
      assert.equal(fs.statSync(path.join(dir, 'state.json.images', id)).size, size);
      assert.ok(grew < 64 * 1024 * 1024, `simulator peak RSS grew by ${Math.round(grew / 1048576)} MiB during a 256 MiB upload`);
      process.stdout.write(`glance upload: 256 MiB chunked in ${secs.toFixed(2)} s = ${(256 / secs).toFixed(0)} MiB/s; simulator peak RSS +${Math.round(grew / 1048576)} MiB\n`);
    } finally {
      await child.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('shows saving while the upload is in flight; a second upload is 409; wrong content type 415', async () => {
    const id = (await create()).body.id;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = Readable.from((async function* () {
      yield Buffer.from('first part ');
      await gate;
      yield Buffer.from('second part');
    })());
    const done = put(id, slow);
    await waitFor(async () => ((await api().image<Image>('GET', `/images/${id}`)).body.status === 'saving' ? true : undefined));
    release();
    assert.equal((await done).status, 204);
    const img = (await api().image<Image>('GET', `/images/${id}`)).body;
    assert.equal(img.checksum, crypto.createHash('md5').update('first part second part').digest('hex'));
    const again = await put(id, Buffer.from('x'));
    assert.equal(again.status, 409);
    const id2 = (await create()).body.id;
    assert.equal((await put(id2, Buffer.from('x'), 'application/json')).status, 415);
    assert.equal((await put('00000000-0000-0000-0000-000000000000', Buffer.from('x'))).status, 404);
  });

  void it('an aborted upload leaves the image queued with no data', async () => {
    const id = (await create()).body.id;
    const ac = new AbortController();
    const body = Readable.from((async function* () {
      yield Buffer.alloc(65536);
      await new Promise((r) => setTimeout(r, 100));
      ac.abort();
      yield Buffer.alloc(65536);
    })());
    await assert.rejects(
      fetch(`${sim().url}/image/v2/images/${id}/file`, {
        method: 'PUT',
        headers: { 'X-Auth-Token': api().token, 'Content-Type': 'application/octet-stream' },
        body: Readable.toWeb(body) as ReadableStream,
        duplex: 'half',
        signal: ac.signal,
      } as RequestInit),
    );
    const img = await waitFor(async () => {
      const x = (await api().image<Image>('GET', `/images/${id}`)).body;
      return x.status === 'queued' ? x : undefined;
    });
    assert.equal(img.size, null);
  });

  void it('lists newest first with filters (name, status, custom property) and next links', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create({ name: `img-${i}`, nodepool_build_id: String(i % 2) })).body.id);
    const list = async (qs: string) => (await api().image<{ images: Image[]; next?: string }>('GET', `/images${qs}`)).body;
    // Glance's default order is created_at desc, then id desc (created_at has whole seconds).
    const all = (await list('')).images;
    const expected = [...all].sort((a, b) =>
      a.created_at !== b.created_at ? ((a.created_at as string) < (b.created_at as string) ? 1 : -1) : a.id < b.id ? 1 : -1,
    );
    assert.deepEqual(all.map((i) => i.id), expected.map((i) => i.id));
    assert.deepEqual(new Set(all.map((i) => i.id)), new Set(ids));
    assert.deepEqual((await list('?name=img-3')).images.map((i) => i.id), [ids[3]]);
    assert.deepEqual((await list('?nodepool_build_id=1')).images.map((i) => i.name).sort(), ['img-1', 'img-3']);
    assert.equal((await list('?status=active')).images.length, 0);
    const seen: string[] = [];
    let next: string | undefined = '/v2/images?limit=2';
    while (next) {
      const page = await list(next.replace('/v2/images', ''));
      seen.push(...page.images.map((i) => i.id));
      next = page.next;
    }
    assert.deepEqual(seen, expected.map((i) => i.id));
    const bad = await api().image('GET', '/images?marker=00000000-0000-0000-0000-000000000000');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /^400 Bad Request\n\n/);
  });

  void it('patches name and properties; deletes (404 after, 403 when protected)', async () => {
    const id = (await create({ foo: 'bar' })).body.id;
    const patch = (ops: unknown) => api().image<Image>('PATCH', `/images/${id}`, JSON.stringify(ops), { 'Content-Type': 'application/openstack-images-v2.1-json-patch' });
    const r = await patch([{ op: 'replace', path: '/name', value: 'renamed' }, { op: 'add', path: '/x', value: 'y' }, { op: 'remove', path: '/foo' }]);
    assert.equal(r.status, 200);
    assert.equal(r.body.name, 'renamed');
    assert.equal(r.body.x, 'y');
    assert.equal(r.body.foo, undefined);
    await patch([{ op: 'replace', path: '/protected', value: true }]);
    const refused = await api().image('DELETE', `/images/${id}`);
    assert.equal(refused.status, 403);
    await patch([{ op: 'replace', path: '/protected', value: false }]);
    assert.equal((await api().image('DELETE', `/images/${id}`)).status, 204);
    const gone = await api().image('GET', `/images/${id}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.text, `404 Not Found\n\nNo image found with ID ${id}\n\n   `);
  });

  void it('answers version discovery like Glance (300 on the root, 200 on /versions)', async () => {
    const root = await api().raw<{ versions: { id: string; status: string }[] }>('GET', '/image/');
    assert.equal(root.status, 300);
    assert.ok(root.body.versions.some((v) => v.status === 'CURRENT'));
    assert.equal((await api().raw('GET', '/image/versions')).status, 200);
  });
});
