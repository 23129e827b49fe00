// ImageBuild / ImageUpload ⇄ JSON as NP24 writes them (zk-protocol.md §4.1, §4.2).
import { BUILD_STATES, UPLOAD_STATES, type ImageBuild, type ImageUpload } from '../model/image';
import { DocReader, ts, writeDoc } from './codec-common';
import { buildPath, uploadPath } from './paths';

export function decodeBuild(image: string, id: string, data: Buffer | string): ImageBuild {
  const d = new DocReader(buildPath(image, id), data);
  const b: ImageBuild = {
    image,
    id,
    state: d.state(BUILD_STATES),
    state_time: d.num('state_time') ?? 0,
    builder: d.str('builder'),
    builder_id: d.str('builder_id'),
    formats: (d.str('formats') ?? '').split(',').filter((f) => f !== ''),
    // NP24 readers' defaults for keys older builders did not write
    username: d.str('username', 'zuul'),
    python_path: d.str('python_path', '/usr/bin/python2'),
    shell_type: d.str('shell_type'),
    extra: new Map(),
  };
  b.extra = d.rest();
  return b;
}

export function encodeBuild(b: ImageBuild): Buffer {
  const formats = [...b.formats].sort();
  return writeDoc(
    [
      ['state', b.state],
      ['state_time', ts(b.state_time)],
      // NP24 omits these keys rather than writing null
      ['builder', b.builder ?? undefined],
      ['builder_id', b.builder_id ?? undefined],
      ['formats', formats.length ? formats.join(',') : undefined],
      ['username', b.username],
      ['python_path', b.python_path],
      ['shell_type', b.shell_type],
    ],
    b.extra,
  );
}

export function decodeUpload(image: string, buildId: string, provider: string, id: string, data: Buffer | string): ImageUpload {
  const d = new DocReader(uploadPath(image, buildId, provider, id), data);
  const u: ImageUpload = {
    image,
    build_id: buildId,
    provider,
    id,
    state: d.state(UPLOAD_STATES),
    state_time: d.num('state_time') ?? 0,
    external_id: d.str('external_id'),
    external_name: d.str('external_name'),
    format: d.str('format'),
    username: d.str('username', 'zuul'),
    python_path: d.str('python_path', '/usr/bin/python2'),
    shell_type: d.str('shell_type'),
    extra: new Map(),
  };
  u.extra = d.rest();
  return u;
}

export function encodeUpload(u: ImageUpload): Buffer {
  return writeDoc(
    [
      ['state', u.state],
      ['state_time', ts(u.state_time)],
      ['external_id', u.external_id],
      ['external_name', u.external_name],
      ['format', u.format],
      ['username', u.username],
      ['python_path', u.python_path],
      ['shell_type', u.shell_type],
    ],
    u.extra,
  );
}
