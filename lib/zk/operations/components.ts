// Launcher/pool/builder registration (zk-protocol.md §3): NP24's component registry and NP19's
// /nodepool/launchers, plus the registered pool ids the FAILED rule needs.
import { type Component, type ComponentKind, type LauncherRegistration, type PoolComponent } from '../../model/component';
import { decodeComponent, decodeLauncher, encodeComponent, encodeLauncher } from '../codec-component';
import { isBadVersion, isNodeExists, isNoNode } from '../errors';
import { componentKindPath, componentPrefix, LAUNCHERS, launcherPath } from '../paths';
import { type ZkSession } from '../session';
import { log } from '../../log';

/**
 * One NP24 component znode: ephemeral+sequential /nodepool/components/<kind>/<hostname><seq10>,
 * updated compare-and-set, registered again (new znode) after a session loss.
 */
export class ComponentRegistration<C extends Component = Component> {
  path: string | null = null;
  private version = 0;
  private removeHook?: () => void;

  constructor(
    private readonly session: ZkSession,
    readonly content: C,
  ) {}

  async register(): Promise<string> {
    this.content.model_api = 0;
    this.path = await this.session.create(componentPrefix(this.content.kind, this.content.hostname), encodeComponent(this.content), {
      ephemeral: true,
      sequential: true,
      makepath: true,
    });
    this.version = 0;
    this.removeHook ??= this.session.onNewSession(async () => {
      await this.register();
    });
    return this.path;
  }

  /** Changes content attributes and writes them if anything changed (NP24 __setattr__). */
  async update(changes: Partial<C>): Promise<void> {
    const changed = Object.entries(changes).some(([k, v]) => JSON.stringify((this.content as unknown as Record<string, unknown>)[k]) !== JSON.stringify(v));
    if (!changed) return;
    Object.assign(this.content, changes);
    if (!this.path) return;
    try {
      this.version = (await this.session.set(this.path, encodeComponent(this.content), this.version)).version;
    } catch (e) {
      if (isNoNode(e)) return log('zk').error({ path: this.path }, 'component znode is gone; it is registered again on the next session');
      if (!isBadVersion(e)) throw e;
      // someone else wrote it (should not happen): take their version and write ours
      const got = await this.session.get(this.path);
      this.version = (await this.session.set(this.path, encodeComponent(this.content), got.stat.version)).version;
    }
  }

  async unregister(): Promise<void> {
    this.removeHook?.();
    this.removeHook = undefined;
    if (!this.path) return;
    try {
      await this.session.delete(this.path);
    } catch (e) {
      if (!isNoNode(e)) throw e;
    }
    this.path = null;
  }
}

export async function registerComponent<C extends Component>(s: ZkSession, content: C): Promise<ComponentRegistration<C>> {
  const r = new ComponentRegistration(s, content);
  await r.register();
  return r;
}

/**
 * NP19 /nodepool/launchers/<id>: ephemeral, not sequential; created if missing, rewritten when
 * the content changed (NP19 registerLauncher, called on every pool-worker loop).
 */
export async function registerLauncher(s: ZkSession, reg: LauncherRegistration): Promise<void> {
  const path = launcherPath(reg.id);
  const data = encodeLauncher(reg);
  const got = await s.getIfExists(path);
  if (got && got.data.equals(data)) return;
  if (got) {
    await s.set(path, data);
    return;
  }
  try {
    await s.create(path, data, { ephemeral: true, makepath: true });
  } catch (e) {
    if (!isNodeExists(e)) throw e;
    await s.set(path, data);
  }
}

async function children(s: ZkSession, path: string): Promise<string[]> {
  try {
    return await s.getChildren(path);
  } catch (e) {
    if (isNoNode(e)) return [];
    throw e;
  }
}

export async function listComponents(s: ZkSession, kind: ComponentKind): Promise<Component[]> {
  const out: Component[] = [];
  for (const name of await children(s, componentKindPath(kind))) {
    const path = `${componentKindPath(kind)}/${name}`;
    const got = await s.getIfExists(path);
    if (!got || got.data.length === 0) continue;
    try {
      out.push(decodeComponent(path, got.data));
    } catch (e) {
      log('zk').warn({ err: e, path }, 'unreadable component');
    }
  }
  return out;
}

export async function registeredPools(s: ZkSession): Promise<PoolComponent[]> {
  return (await listComponents(s, 'pool')).filter((c): c is PoolComponent => c.kind === 'pool');
}

export async function registeredLaunchers(s: ZkSession): Promise<LauncherRegistration[]> {
  const out: LauncherRegistration[] = [];
  for (const id of await children(s, LAUNCHERS)) {
    const got = await s.getIfExists(launcherPath(id));
    if (!got || got.data.length === 0) continue;
    try {
      out.push(decodeLauncher(id, got.data));
    } catch (e) {
      // one malformed registration must not stop request handling
      log('zk').warn({ err: e, id }, 'unreadable launcher registration');
    }
  }
  return out;
}

/** Ids counted by the FAILED rule: NP24 pool components and NP19 launcher registrations. */
export async function registeredPoolIds(s: ZkSession): Promise<string[]> {
  const ids = new Set<string>();
  for (const p of await registeredPools(s)) ids.add(p.id);
  for (const l of await registeredLaunchers(s)) ids.add(l.id);
  return [...ids];
}
