// ZooKeeper errors as one class with a stable code name, so callers can test `e.code` without
// importing node-zookeeper-client (whose Exception also cannot represent newer server codes).

/** Server and client codes (ZooKeeper KeeperException.Code), including those 1.1.3 lacks. */
export const ZK_CODES: Record<number, string> = {
  0: 'OK',
  [-1]: 'SYSTEM_ERROR',
  [-2]: 'RUNTIME_INCONSISTENCY',
  [-3]: 'DATA_INCONSISTENCY',
  [-4]: 'CONNECTION_LOSS',
  [-5]: 'MARSHALLING_ERROR',
  [-6]: 'UNIMPLEMENTED',
  [-7]: 'OPERATION_TIMEOUT',
  [-8]: 'BAD_ARGUMENTS',
  [-13]: 'NEW_CONFIG_NO_QUORUM',
  [-14]: 'RECONFIG_IN_PROGRESS',
  [-15]: 'UNKNOWN_SESSION',
  [-100]: 'API_ERROR',
  [-101]: 'NO_NODE',
  [-102]: 'NO_AUTH',
  [-103]: 'BAD_VERSION',
  [-108]: 'NO_CHILDREN_FOR_EPHEMERALS',
  [-110]: 'NODE_EXISTS',
  [-111]: 'NOT_EMPTY',
  [-112]: 'SESSION_EXPIRED',
  [-113]: 'INVALID_CALLBACK',
  [-114]: 'INVALID_ACL',
  [-115]: 'AUTH_FAILED',
  [-118]: 'SESSION_MOVED',
  [-119]: 'NOT_READ_ONLY',
  [-120]: 'EPHEMERAL_ON_LOCAL_SESSION',
  [-121]: 'NO_WATCHER',
  [-122]: 'REQUEST_TIMEOUT',
  [-123]: 'RECONFIG_DISABLED',
  [-124]: 'SESSION_CLOSED_REQUIRE_SASL_AUTH',
  [-125]: 'QUOTA_EXCEEDED',
  [-127]: 'THROTTLED_OP',
};

export type ZkErrorName =
  | 'NO_NODE'
  | 'NODE_EXISTS'
  | 'BAD_VERSION'
  | 'NOT_EMPTY'
  | 'CONNECTION_LOSS'
  | 'SESSION_EXPIRED'
  | 'NO_CHILDREN_FOR_EPHEMERALS'
  | 'TIMEOUT'
  | 'CLOSED'
  | (string & {});

export class ZkError extends Error {
  constructor(
    /** e.g. 'NO_NODE'; 'TIMEOUT' for our own deadlines, 'CLOSED' after session.close(). */
    readonly code: ZkErrorName,
    readonly numericCode: number,
    readonly path?: string,
    message?: string,
  ) {
    super(message ?? `${code}${numericCode ? `[${numericCode}]` : ''}${path ? ` ${path}` : ''}`);
    this.name = 'ZkError';
  }
}

export function toZkError(e: unknown, path?: string): ZkError {
  if (e instanceof ZkError) return e;
  const err = e as { code?: unknown; name?: string; message?: string };
  if (typeof err?.code === 'number') {
    const name = ZK_CODES[err.code] ?? `UNKNOWN_${-err.code}`;
    return new ZkError(name, err.code, path);
  }
  return new ZkError('SYSTEM_ERROR', -1, path, `${path ?? ''}: ${err?.message ?? String(e)}`);
}

export const isNoNode = (e: unknown): boolean => e instanceof ZkError && e.code === 'NO_NODE';
export const isNodeExists = (e: unknown): boolean => e instanceof ZkError && e.code === 'NODE_EXISTS';
export const isBadVersion = (e: unknown): boolean => e instanceof ZkError && e.code === 'BAD_VERSION';
export const isNotEmpty = (e: unknown): boolean => e instanceof ZkError && e.code === 'NOT_EMPTY';
/** Errors after which the operation may or may not have happened (retry carefully). */
export const isConnectionError = (e: unknown): boolean =>
  e instanceof ZkError && (e.code === 'CONNECTION_LOSS' || e.code === 'SESSION_EXPIRED' || e.code === 'TIMEOUT');
