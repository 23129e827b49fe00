// A ZooKeeper session that can run for months on node-zookeeper-client 1.1.3 (spec/libs.md §4).
//
// What the bare client gets wrong, and what this wrapper does about it:
//  * After session expiry the client is dead for good (every call says CONNECTION_LOSS, watches
//    never fire). We throw it away, connect a new client (new session), run the on-new-session
//    hooks (ephemeral registrations), tell lock holders their locks are lost, and emit
//    'session' so watchers re-arm and re-list.
//  * It has no read timeout: a dead server or a half-open TCP connection goes unnoticed for
//    minutes. A watchdog pings with exists('/') every timeout/3 and drops the socket when no
//    answer comes within 2/3 of the session timeout; a connect that never completes is dropped
//    too; and disconnected for longer than the session timeout counts as expired (kazoo LOST).
//  * Unknown error codes and malformed frames crashed the process (client-patches.ts).
//  * No TLS (tls.ts).
//
// States follow kazoo's listener semantics, which Nodepool relies on:
//   connected → suspended (disconnected: locks may still be ours, don't start new work)
//   suspended → connected (same session: 'resumed')  |  → lost (session gone: 'lost')
//   lost → connected (new session: 'session').
import { EventEmitter } from 'node:events';
import * as zk from 'node-zookeeper-client';
import { log } from '../log';
import { fixVersion, guardSocketData, installGlobalPatches } from './client-patches';
import { toZkError, ZkError, isNodeExists, isNoNode, isNotEmpty } from './errors';
import { enableTls, readTlsFiles, type ZkTlsFiles, type ZkTlsMaterial } from './tls';

export type SessionState = 'connecting' | 'connected' | 'suspended' | 'lost' | 'closed';

export interface ZkServer {
  host: string;
  port?: number;
}

export interface SessionOptions {
  /** "h1:2181,h2:2181[/chroot]" or Nodepool's zookeeper-servers list. */
  servers: string | ZkServer[];
  /** Applied to every path (Nodepool's zookeeper-servers[].chroot). Created if missing. */
  chroot?: string;
  /** Nodepool's zookeeper-timeout, in milliseconds here (Nodepool's default is 10 s). */
  sessionTimeoutMs?: number;
  /** Nodepool's zookeeper-tls: PEM file paths (or the PEM contents). */
  tls?: ZkTlsFiles | ZkTlsMaterial;
  /** How long connect() waits for the first session. */
  connectTimeoutMs?: number;
  /** Turn the watchdog off (tests of the bare client only). */
  watchdog?: boolean;
  /** Join an existing session (tests use it to close a session from outside). */
  sessionId?: Buffer;
  sessionPassword?: Buffer;
}

/** Stat with numbers instead of 8-byte buffers. */
export interface ZStat {
  version: number;
  cversion: number;
  aversion: number;
  numChildren: number;
  dataLength: number;
  /** Session id of the owner of an ephemeral znode, 0n otherwise. */
  ephemeralOwner: bigint;
  /** Milliseconds since the epoch. */
  ctime: number;
  mtime: number;
  czxid: bigint;
  mzxid: bigint;
  pzxid: bigint;
}

export interface WatchEvent {
  type: 'created' | 'deleted' | 'changed' | 'children';
  path: string;
}
export type Watcher = (event: WatchEvent) => void;

export interface CreateOptions {
  ephemeral?: boolean;
  sequential?: boolean;
  /** Create missing parents (persistent, empty), like kazoo makepath=True. */
  makepath?: boolean;
}

export type MultiOp =
  | { op: 'create'; path: string; data?: Buffer; ephemeral?: boolean; sequential?: boolean }
  | { op: 'set'; path: string; data: Buffer; version?: number }
  | { op: 'delete'; path: string; version?: number }
  | { op: 'check'; path: string; version: number };

export interface MultiResult {
  /** A create's path, with the sequence suffix for a sequential create. */
  path?: string;
  /** A set's new stat. */
  stat?: ZStat;
}

/** Something that must be told when the session it lives in is gone (a held lock). */
export interface SessionBound {
  readonly path: string;
  sessionLost(): void;
}

function toStat(s: zk.Stat): ZStat {
  return {
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    numChildren: s.numChildren,
    dataLength: s.dataLength,
    ephemeralOwner: s.ephemeralOwner.readBigInt64BE(0),
    ctime: Number(s.ctime.readBigInt64BE(0)),
    mtime: Number(s.mtime.readBigInt64BE(0)),
    czxid: s.czxid.readBigInt64BE(0),
    mzxid: s.mzxid.readBigInt64BE(0),
    pzxid: s.pzxid.readBigInt64BE(0),
  };
}

function toWatchEvent(e: zk.Event): WatchEvent {
  const t = e.getType();
  const type = t === zk.Event.NODE_CREATED ? 'created' : t === zk.Event.NODE_DELETED ? 'deleted' : t === zk.Event.NODE_CHILDREN_CHANGED ? 'children' : 'changed';
  return { type, path: e.getPath() };
}

function connectString(servers: string | ZkServer[], chroot?: string): string {
  let s = typeof servers === 'string' ? servers : servers.map((h) => `${h.host}:${h.port ?? 2181}`).join(',');
  if (chroot) {
    const slash = s.indexOf('/');
    if (slash >= 0) s = s.slice(0, slash);
    s += chroot.startsWith('/') ? chroot : `/${chroot}`;
  }
  return s.replace(/\/+$/, '');
}

/** Splits off the chroot the way the client does (everything from the first '/'). */
function splitChroot(s: string): [string, string | undefined] {
  const i = s.indexOf('/');
  if (i < 0) return [s, undefined];
  const chroot = s.slice(i).replace(/\/+$/, '');
  return [s.slice(0, i), chroot === '' ? undefined : chroot];
}

const PERSISTENT = 0;
const CONNECTING = 1; // ConnectionManager STATES

export class ZkSession extends EventEmitter {
  private client!: zk.Client;
  private generation = 0;
  private _state: SessionState = 'connecting';
  /** Last time the server answered us: it expires the session sessionTimeout after that. */
  private lastHeardAt = 0;
  private connectingSince = 0;
  private watchdogTimer?: NodeJS.Timeout;
  private pingOutstandingSince = 0;
  private readonly newSessionHooks = new Set<() => Promise<void>>();
  private readonly bound = new Set<SessionBound>();
  private readonly tlsMaterial?: ZkTlsMaterial;
  private readonly connectStr: string;
  readonly chroot?: string;
  private readonly logger = log('zk');
  private closing = false;

  private constructor(private readonly opts: SessionOptions) {
    super();
    installGlobalPatches();
    const [hosts, chrootInString] = splitChroot(connectString(opts.servers));
    this.chroot = opts.chroot ? (opts.chroot.startsWith('/') ? opts.chroot : `/${opts.chroot}`) : chrootInString;
    this.connectStr = hosts + (this.chroot ?? '');
    if (opts.tls) this.tlsMaterial = Buffer.isBuffer(opts.tls.cert) ? (opts.tls as ZkTlsMaterial) : readTlsFiles(opts.tls as ZkTlsFiles);
  }

  /** Connects (creating the chroot if needed) and resolves once the first session is up. */
  static async connect(opts: SessionOptions): Promise<ZkSession> {
    const s = new ZkSession(opts);
    if (s.chroot) {
      const root = new ZkSession({ ...opts, chroot: undefined, servers: splitChroot(connectString(opts.servers))[0], watchdog: false });
      try {
        await root.start();
        await root.ensurePath(s.chroot);
      } finally {
        await root.close();
      }
    }
    await s.start();
    return s;
  }

  get state(): SessionState {
    return this._state;
  }

  /** The negotiated session timeout in ms. */
  get sessionTimeoutMs(): number {
    return this.client.getSessionTimeout();
  }

  /** Session id as 16 hex digits (as ZooKeeper logs print it) and as a number for ephemeralOwner. */
  get sessionId(): bigint {
    return this.client.getSessionId().readBigInt64BE(0);
  }

  /** Credentials of the current session (tests use them to close it from another client). */
  sessionCredentials(): { sessionId: Buffer; sessionPassword: Buffer } {
    return { sessionId: this.client.getSessionId(), sessionPassword: this.client.getSessionPassword() };
  }

  /**
   * Runs after every *new* session (not on resume): re-create ephemeral registrations here.
   * Returns a function that removes the hook.
   */
  onNewSession(hook: () => Promise<void>): () => void {
    this.newSessionHooks.add(hook);
    return () => this.newSessionHooks.delete(hook);
  }

  /** Locks register here so a lost session can tell them. */
  track(b: SessionBound): void {
    this.bound.add(b);
  }
  untrack(b: SessionBound): void {
    this.bound.delete(b);
  }

  private async start(): Promise<void> {
    this.newClient(this.opts.sessionId, this.opts.sessionPassword);
    const timeoutMs = this.opts.connectTimeoutMs ?? 30_000;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        this.off('connected', ok);
        void this.close();
        reject(new ZkError('TIMEOUT', 0, undefined, `could not connect to ZooKeeper ${this.connectStr} within ${timeoutMs} ms`));
      }, timeoutMs);
      const ok = () => {
        clearTimeout(t);
        resolve();
      };
      this.once('connected', ok);
    });
    if (this.opts.watchdog !== false) this.startWatchdog();
  }

  private newClient(sessionId?: Buffer, sessionPassword?: Buffer): void {
    const client = zk.createClient(this.connectStr, {
      sessionTimeout: this.opts.sessionTimeoutMs ?? 10_000,
      spinDelay: 1000,
      // never let the library re-send: a re-sent sequential create makes duplicates
      retries: 0,
      sessionId,
      sessionPassword,
    });
    guardSocketData(client);
    if (this.tlsMaterial) enableTls(client, this.tlsMaterial);
    const gen = ++this.generation;
    this.client = client;
    this.connectingSince = Date.now();
    client.connectionManager.on('state', (s: number) => {
      if (gen === this.generation && s === CONNECTING) this.connectingSince = Date.now();
    });
    client.on('connected', () => gen === this.generation && this.onConnected());
    client.on('disconnected', () => gen === this.generation && this.onDisconnected());
    client.on('expired', () => gen === this.generation && this.onExpired('server reported the session expired'));
    client.on('authenticationFailed', () => gen === this.generation && this.logger.error('ZooKeeper authentication failed'));
    client.connect();
  }

  /** Our events fire from inside the client's socket handler: a listener's throw stays here. */
  private safeEmit(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      this.logger.error({ err, event }, 'session event listener threw');
    }
  }

  private setState(s: SessionState): void {
    if (this._state === s) return;
    this._state = s;
    this.safeEmit('state', s);
  }

  private onConnected(): void {
    this.pingOutstandingSince = 0;
    this.lastHeardAt = Date.now();
    const prev = this._state;
    if (prev === 'suspended') {
      this.logger.info('ZooKeeper connection resumed (same session)');
      this.setState('connected');
      this.safeEmit('resumed');
    } else if (prev === 'lost') {
      this.setState('connected');
      this.logger.info({ sessionId: this.sessionId.toString(16) }, 'new ZooKeeper session');
      void this.runNewSessionHooks();
    } else {
      this.setState('connected');
    }
    this.safeEmit('connected');
  }

  private async runNewSessionHooks(): Promise<void> {
    const gen = this.generation;
    for (const hook of [...this.newSessionHooks]) {
      try {
        await hook();
      } catch (e) {
        this.logger.error({ err: e }, 'on-new-session hook failed');
      }
      if (gen !== this.generation) return;
    }
    this.safeEmit('session');
  }

  private onDisconnected(): void {
    // (a refused first connect is not a lost connection: nothing was ours yet)
    if (this.closing || this._state !== 'connected') return;
    this.logger.warn('ZooKeeper connection lost; locks suspended');
    this.setState('suspended');
    this.safeEmit('suspended');
  }

  /** The session is gone: replace the client and tell everyone who held something in it. */
  private onExpired(why: string): void {
    if (this.closing) return;
    this.logger.warn({ why }, 'ZooKeeper session lost');
    this.abandon(this.client);
    this.setState('lost');
    const lost = [...this.bound];
    this.bound.clear();
    for (const b of lost) {
      try {
        b.sessionLost();
      } catch (err) {
        this.logger.error({ err, path: b.path }, 'lost-session handler threw');
      }
    }
    this.safeEmit('lost', lost);
    this.newClient();
  }

  /** Fails everything queued on a client we give up on, and closes its session if it can. */
  private abandon(client: zk.Client): void {
    this.generation++;
    const cm = client.connectionManager;
    for (let p = cm.packetQueue.shift(); p; p = cm.packetQueue.shift()) {
      // the library's own callbacks call getCode() on the error: give them one of its Exceptions
      // (a ZkError made exists() throw here, which broke close() and a lost session's recovery)
      try {
        p.callback?.(zk.Exception.create(zk.Exception.SESSION_EXPIRED));
      } catch (err) {
        this.logger.error({ err }, 'queued ZooKeeper request callback threw');
      }
    }
    cm.cleanupPendingQueue(-112);
    try {
      client.close();
    } catch {
      /* already closed */
    }
    // close() waits for a connection that may never come: make sure the socket goes.
    setTimeout(() => {
      cm.socket?.destroy();
      cm.setState(-2); // CLOSED: stop reconnecting
    }, 2000).unref();
  }

  private startWatchdog(): void {
    const tick = () => {
      const timeout = this.sessionTimeoutMs;
      const now = Date.now();
      const cmState = this.client.connectionManager.state;
      if (this._state === 'connected') {
        if (this.pingOutstandingSince && now - this.pingOutstandingSince > (timeout * 2) / 3) {
          this.logger.warn({ waitedMs: now - this.pingOutstandingSince }, 'ZooKeeper did not answer; dropping the connection');
          this.pingOutstandingSince = 0;
          this.client.connectionManager.socket?.destroy();
        } else if (!this.pingOutstandingSince) {
          const gen = this.generation;
          this.pingOutstandingSince = now;
          this.client.exists('/', undefined, (err) => {
            if (gen !== this.generation || err) return;
            this.pingOutstandingSince = 0;
            this.lastHeardAt = Date.now();
          });
        }
      } else if (this._state === 'suspended' && now - this.lastHeardAt > timeout) {
        // The server has expired us by now (or will when it sees us): act like kazoo's LOST.
        this.onExpired(`no answer from ZooKeeper for more than the session timeout (${timeout} ms)`);
      } else if (cmState === CONNECTING && now - this.connectingSince > Math.max(timeout / 2, 1000)) {
        // TCP connected but no handshake answer (frozen server): the client would wait forever.
        this.connectingSince = now;
        this.client.connectionManager.socket?.destroy();
      }
    };
    // a tick every timeout/10 keeps detection under the session timeout: ≤ 2/3·T + 2 ticks
    const every = () => Math.max(100, Math.floor(this.sessionTimeoutMs / 10));
    const loop = () => {
      tick();
      this.watchdogTimer = setTimeout(loop, every());
      this.watchdogTimer.unref();
    };
    this.watchdogTimer = setTimeout(loop, every());
    this.watchdogTimer.unref();
  }

  /** Ends the session (its ephemeral znodes and locks go away at once). */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.watchdogTimer) clearTimeout(this.watchdogTimer);
    const client = this.client;
    this.setState('closed');
    this.bound.clear();
    if (!client) return;
    const cm = client.connectionManager;
    if (cm.state === 2 /* CONNECTED */) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        cm.on('state', (s: number) => {
          if (s === -2 || s === 0) {
            clearTimeout(t);
            resolve();
          }
        });
        client.close();
      });
    } else {
      this.abandon(client);
    }
    this.generation++;
    cm.socket?.destroy();
  }

  // ---- promise API -------------------------------------------------------------------------

  private call<T>(path: string, fn: (c: zk.Client, cb: (e: unknown, r?: T) => void) => void): Promise<T> {
    if (this.closing) return Promise.reject(new ZkError('CLOSED', 0, path));
    return new Promise<T>((resolve, reject) => {
      fn(this.client, (e, r) => (e ? reject(toZkError(e, path)) : resolve(r as T)));
    });
  }

  private wrap(w?: Watcher): ((e: zk.Event) => void) | undefined {
    if (!w) return undefined;
    const gen = this.generation;
    return (e) => {
      if (gen !== this.generation) return;
      // runs inside the client's socket handler: a throwing watcher must not kill the connection
      try {
        w(toWatchEvent(e));
      } catch (err) {
        this.logger.error({ err, path: e.getPath() }, 'watcher threw');
      }
    };
  }

  /** Returns the created path (with the sequence suffix for sequential nodes). */
  async create(path: string, data: Buffer = Buffer.alloc(0), opts: CreateOptions = {}): Promise<string> {
    const mode = (opts.ephemeral ? 1 : 0) + (opts.sequential ? 2 : 0);
    try {
      return await this.call<string>(path, (c, cb) => c.create(path, data, zk.ACL.OPEN_ACL_UNSAFE, mode, cb));
    } catch (e) {
      if (opts.makepath && isNoNode(e)) {
        const parent = path.slice(0, path.lastIndexOf('/'));
        if (parent) await this.ensurePath(parent);
        return this.call<string>(path, (c, cb) => c.create(path, data, zk.ACL.OPEN_ACL_UNSAFE, mode, cb));
      }
      throw e;
    }
  }

  /**
   * kazoo ensure_path: creates the path and missing parents, persistent and empty. As kazoo does:
   * exists, then create, and only on NONODE the parent first (a lock directory under an existing
   * node costs two calls, not one per path element).
   */
  async ensurePath(path: string): Promise<void> {
    if (path === '/' || path === '') return;
    if (await this.exists(path)) return;
    const make = () => this.call<string>(path, (c, cb) => c.create(path, Buffer.alloc(0), zk.ACL.OPEN_ACL_UNSAFE, PERSISTENT, cb));
    try {
      await make();
    } catch (e) {
      if (isNodeExists(e)) return;
      if (!isNoNode(e)) throw e;
      await this.ensurePath(path.slice(0, path.lastIndexOf('/')));
      try {
        await make();
      } catch (e2) {
        if (!isNodeExists(e2)) throw e2;
      }
    }
  }

  async get(path: string, watch?: Watcher): Promise<{ data: Buffer; stat: ZStat }> {
    const w = this.wrap(watch);
    return new Promise((resolve, reject) => {
      if (this.closing) return reject(new ZkError('CLOSED', 0, path));
      this.client.getData(path, w, (e, data, stat) => (e ? reject(toZkError(e, path)) : resolve({ data: data ?? Buffer.alloc(0), stat: toStat(stat) })));
    });
  }

  /** Like get, but null when the znode does not exist. */
  async getIfExists(path: string, watch?: Watcher): Promise<{ data: Buffer; stat: ZStat } | null> {
    try {
      return await this.get(path, watch);
    } catch (e) {
      if (isNoNode(e)) return null;
      throw e;
    }
  }

  /** Stat or null. The watch fires on create/delete/change either way. */
  async exists(path: string, watch?: Watcher): Promise<ZStat | null> {
    const s = await this.call<zk.Stat | null>(path, (c, cb) => c.exists(path, this.wrap(watch), cb));
    return s ? toStat(s) : null;
  }

  async getChildren(path: string, watch?: Watcher): Promise<string[]> {
    return (await this.getChildrenWithStat(path, watch)).children;
  }

  async getChildrenWithStat(path: string, watch?: Watcher): Promise<{ children: string[]; stat: ZStat }> {
    const w = this.wrap(watch);
    return new Promise((resolve, reject) => {
      if (this.closing) return reject(new ZkError('CLOSED', 0, path));
      this.client.getChildren(path, w, (e, children, stat) => (e ? reject(toZkError(e, path)) : resolve({ children, stat: toStat(stat) })));
    });
  }

  /** Replaces the data; version -1 means any (Nodepool's own writes are unversioned). */
  async set(path: string, data: Buffer, version = -1): Promise<ZStat> {
    return toStat(await this.call<zk.Stat>(path, (c, cb) => c.setData(path, data, version, cb)));
  }

  async delete(path: string, version = -1): Promise<void> {
    await this.call<void>(path, (c, cb) => c.remove(path, version, (e) => cb(e)));
  }

  /** Deletes a znode and everything under it (lock parents appear at any time: retry on NOT_EMPTY). */
  async deleteRecursive(path: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let children: string[];
      try {
        children = await this.getChildren(path);
      } catch (e) {
        if (isNoNode(e)) return;
        throw e;
      }
      for (const child of children) await this.deleteRecursive(`${path === '/' ? '' : path}/${child}`);
      try {
        await this.delete(path);
        return;
      } catch (e) {
        if (isNoNode(e)) return;
        if (!isNotEmpty(e) || attempt > 10) throw e;
      }
    }
  }

  /**
   * Atomic multi-op (versions passed through correctly, unlike the library's Transaction).
   * Resolves to one result per op: the created path (with its sequence suffix) for a create,
   * the new stat for a set. A failed op rejects the whole call with that op's error.
   */
  async multi(ops: MultiOp[]): Promise<MultiResult[]> {
    const results = await this.call<Array<{ path?: string; stat?: zk.Stat }>>(ops[0]?.path ?? '/', (c, cb) => {
      const t = c.transaction();
      for (const o of ops) {
        if (o.op === 'create') t.create(o.path, o.data ?? Buffer.alloc(0), zk.ACL.OPEN_ACL_UNSAFE, (o.ephemeral ? 1 : 0) + (o.sequential ? 2 : 0));
        else if (o.op === 'set') fixVersion(t.setData(o.path, o.data, o.version ?? -1), o.version ?? -1);
        else if (o.op === 'delete') fixVersion(t.remove(o.path, o.version ?? -1), o.version ?? -1);
        else fixVersion(t.check(o.path, o.version), o.version);
      }
      t.commit((e, r) => cb(e, r));
    });
    return (results ?? []).map((r) => ({ path: r.path, stat: r.stat ? toStat(r.stat) : undefined }));
  }

  /** Resolves when the session is connected (now or later), rejects after timeoutMs. */
  async waitConnected(timeoutMs = 30_000): Promise<void> {
    if (this._state === 'connected') return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        this.off('connected', ok);
        reject(new ZkError('TIMEOUT', 0, undefined, `not connected within ${timeoutMs} ms`));
      }, timeoutMs);
      const ok = () => {
        clearTimeout(t);
        resolve();
      };
      this.once('connected', ok);
    });
  }

  /** For tests: the underlying client's socket. */
  get _socket(): zk.ConnectionManager['socket'] {
    return this.client.connectionManager.socket;
  }
}
