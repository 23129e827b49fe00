// Runtime fixes for node-zookeeper-client 1.1.3 bugs (spec/libs.md §4.3), applied without editing
// node_modules:
//  * an error code the library does not know (newer servers send e.g. -118, -121, -127) made
//    Exception.create throw inside the socket data handler and crash the process;
//  * a malformed frame threw inside the same handler;
//  * Transaction.check/setData/remove turn version 0 into -1 ("any version") — see fixVersion;
//  * paths ending in '/' were refused, but Nodepool creates nodes and uploads sequentially on
//    "/nodepool/nodes/" (the id is the bare sequence number): the server accepts that.
import { type Client, type ConnectionManager, type Transaction } from 'node-zookeeper-client';
import { log } from '../log';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ExceptionModule = require('node-zookeeper-client/lib/Exception.js') as {
  create: (code: number, path?: string) => Error & { code: number; name: string };
  SYSTEM_ERROR: number;
  [k: string]: unknown;
};

// eslint-disable-next-line @typescript-eslint/no-require-imports
const PathModule = require('node-zookeeper-client/lib/Path.js') as { validate: (path: string) => void };

let installed = false;

/** Makes Exception.create accept any code: unknown ones become SYSTEM_ERROR carrying the real code. */
export function installGlobalPatches(): void {
  if (installed) return;
  installed = true;
  const known = new Set(Object.values(ExceptionModule).filter((v): v is number => typeof v === 'number'));
  const original = ExceptionModule.create;
  ExceptionModule.create = (code: number, path?: string) => {
    if (typeof code === 'number' && known.has(code)) return original(code, path);
    const e = original(ExceptionModule.SYSTEM_ERROR, path);
    e.code = code;
    e.name = `UNKNOWN_${-code}`;
    e.message = `Exception: UNKNOWN[${code}]`;
    return e;
  };
  const validate = PathModule.validate;
  PathModule.validate = (path: string) => validate(typeof path === 'string' && path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);
}

/** Per client: a frame the parser chokes on drops the connection (reconnect) instead of the process. */
export function guardSocketData(client: Client): void {
  const cm = client.connectionManager as ConnectionManager & { pendingBuffer: Buffer | null };
  const original = cm.onSocketData;
  cm.onSocketData = function (this: typeof cm, buffer: Buffer) {
    try {
      original.call(this, buffer);
    } catch (e) {
      log('zk').error({ err: e }, 'unparseable ZooKeeper frame; dropping the connection');
      this.pendingBuffer = null;
      this.socket?.destroy();
    }
  };
}

/** Transaction ops with the version the caller meant (the library maps 0 to -1). */
export function fixVersion(t: Transaction, version: number | undefined): Transaction {
  const op = t.ops[t.ops.length - 1];
  if (op && typeof version === 'number') op.version = version;
  return t;
}
