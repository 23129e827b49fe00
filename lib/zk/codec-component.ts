// Registration documents: NP19 /nodepool/launchers/<id> and NP24 components (sort_keys=True).
import { COMPONENT_KINDS, COMPONENT_STATES, type Component, type ComponentKind, type LauncherRegistration } from '../model/component';
import { DocReader, writeDoc, ZkDataError } from './codec-common';
import { type Json } from './json';
import { launcherPath } from './paths';

export function decodeLauncher(id: string, data: Buffer | string): LauncherRegistration {
  const d = new DocReader(launcherPath(id), data);
  const l: LauncherRegistration = {
    id: d.str('id') ?? id,
    // NP19 readers' default
    provider_name: d.str('provider_name') ?? 'unknown',
    supported_labels: d.strList('supported_labels'),
    extra: new Map(),
  };
  l.extra = d.rest();
  return l;
}

export function encodeLauncher(l: LauncherRegistration): Buffer {
  return writeDoc(
    [
      ['id', l.id],
      ['provider_name', l.provider_name],
      ['supported_labels', [...l.supported_labels].sort()],
    ],
    l.extra,
  );
}

export function decodeComponent(path: string, data: Buffer | string): Component {
  const d = new DocReader(path, data);
  const kind = d.value<string>('kind');
  if (!(COMPONENT_KINDS as readonly string[]).includes(String(kind))) throw new ZkDataError(path, `unknown component kind ${String(kind)}`);
  const base = {
    kind: kind as ComponentKind,
    hostname: d.str('hostname') ?? '',
    state: d.state(COMPONENT_STATES),
    version: d.str('version') ?? '',
    model_api: d.num('model_api', 0) ?? 0,
  };
  if (base.kind === 'pool') {
    const c: Component = {
      ...base,
      kind: 'pool',
      id: d.str('id') ?? '',
      name: d.str('name') ?? '',
      provider_name: d.str('provider_name') ?? '',
      supported_labels: d.strList('supported_labels'),
      priority: d.num('priority', 100) ?? 100,
      paused: d.bool('paused', false),
    };
    c.extra = d.rest();
    return c;
  }
  const c = { ...base, extra: d.rest() } as Component;
  return c;
}

/** json.dumps(content, sort_keys=True), as NP24 components.py writes it. */
export function encodeComponent(c: Component): Buffer {
  const fields: [string, Json][] = Object.entries(c)
    .filter(([k]) => k !== 'extra')
    .map(([k, v]) => [k, v as Json]);
  return writeDoc(fields, c.extra, true);
}
