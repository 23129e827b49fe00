// The part of node-zookeeper-client 1.1.3 this project uses (the package ships no types; we
// also reach into ConnectionManager, which no published typing covers).
declare module 'node-zookeeper-client' {
  import { EventEmitter } from 'node:events';
  import { type Socket } from 'node:net';

  export interface Stat {
    czxid: Buffer;
    mzxid: Buffer;
    ctime: Buffer;
    mtime: Buffer;
    version: number;
    cversion: number;
    aversion: number;
    ephemeralOwner: Buffer;
    dataLength: number;
    numChildren: number;
    pzxid: Buffer;
  }

  export class Exception extends Error {
    code: number;
    name: string;
    path?: string;
    getCode(): number;
    getName(): string;
    static create(code: number, path?: string): Exception;
    static NO_NODE: number;
    static NODE_EXISTS: number;
    static BAD_VERSION: number;
    static NOT_EMPTY: number;
    static CONNECTION_LOSS: number;
    static SESSION_EXPIRED: number;
    static SYSTEM_ERROR: number;
    static [code: string]: unknown;
  }

  export class Event {
    type: number;
    name: string;
    path: string;
    getType(): number;
    getName(): string;
    getPath(): string;
    static NODE_CREATED: number;
    static NODE_DELETED: number;
    static NODE_DATA_CHANGED: number;
    static NODE_CHILDREN_CHANGED: number;
  }

  export const CreateMode: { PERSISTENT: 0; EPHEMERAL: 1; PERSISTENT_SEQUENTIAL: 2; EPHEMERAL_SEQUENTIAL: 3 };
  export class State {
    name: string;
    code: number;
    static DISCONNECTED: State;
    static SYNC_CONNECTED: State;
    static EXPIRED: State;
    static AUTH_FAILED: State;
    static CONNECTED_READ_ONLY: State;
  }
  export class ACL {
    static OPEN_ACL_UNSAFE: ACL[];
  }

  type Cb<T> = (error: Exception | Error | null, result: T) => void;
  type Watcher = (event: Event) => void;

  export interface OpResult {
    type: number;
    path?: string;
    stat?: Stat;
    err?: number;
  }

  export class Transaction {
    ops: { type: number; path: string; version?: number; data?: Buffer; mode?: number }[];
    create(path: string, data?: Buffer, acls?: ACL[], mode?: number): Transaction;
    create(path: string, data?: Buffer, mode?: number): Transaction;
    check(path: string, version?: number): Transaction;
    setData(path: string, data: Buffer | null, version?: number): Transaction;
    remove(path: string, version?: number): Transaction;
    commit(cb: Cb<OpResult[]>): void;
  }

  export interface ConnectionManager extends EventEmitter {
    socket?: Socket;
    servers: { host: string; port: number }[];
    state: number;
    connectTimeout: number;
    connectTimeoutHandler: NodeJS.Timeout | null;
    packetQueue: { shift(): { callback?: (e: unknown) => void } | undefined };
    connect(): void;
    setState(state: number): void;
    findNextServer(cb: (server: { host: string; port: number }) => void): void;
    cleanupPendingQueue(code: number): void;
    onSocketConnected(): void;
    onSocketConnectTimeout(): void;
    onSocketData(buffer: Buffer): void;
    onSocketDrain(): void;
    onSocketClosed(hadError: boolean): void;
    onSocketError(error: Error): void;
  }

  export interface ClientOptions {
    sessionTimeout?: number;
    spinDelay?: number;
    retries?: number;
    sessionId?: Buffer;
    sessionPassword?: Buffer;
  }

  export class Client extends EventEmitter {
    connectionManager: ConnectionManager;
    connect(): void;
    close(): void;
    getState(): State;
    getSessionId(): Buffer;
    getSessionPassword(): Buffer;
    getSessionTimeout(): number;
    create(path: string, data: Buffer | undefined, acls: ACL[], mode: number, cb: Cb<string>): void;
    remove(path: string, version: number, cb: (e: Exception | Error | null) => void): void;
    exists(path: string, watcher: Watcher | undefined, cb: Cb<Stat | null>): void;
    getData(path: string, watcher: Watcher | undefined, cb: (e: Exception | Error | null, data: Buffer | undefined, stat: Stat) => void): void;
    setData(path: string, data: Buffer, version: number, cb: Cb<Stat>): void;
    getChildren(path: string, watcher: Watcher | undefined, cb: (e: Exception | Error | null, children: string[], stat: Stat) => void): void;
    mkdirp(path: string, data: Buffer | undefined, acls: ACL[], mode: number, cb: Cb<string>): void;
    transaction(): Transaction;
  }

  export function createClient(connectionString: string, options?: ClientOptions): Client;
}
