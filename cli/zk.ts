// ZooKeeper for CLI commands: connect from the loaded config (zookeeper-servers with chroot,
// zookeeper-tls, zookeeper-timeout), run the command, always close. Expected failures (ZooKeeper
// unreachable, a lock timeout) print one line and exit 1 instead of a stack trace.
import { type Command } from 'commander';
import { type CommandContext } from './context';
import { type NodepoolConfig } from '../lib/config';
import { output, toJson, type Listing } from '../lib/status';
import { ZkDataError } from '../lib/zk/codec-common';
import { setNodeState } from '../lib/zk/codec-node';
import { isConnectionError, ZkError } from '../lib/zk/errors';
import { lockNode, readNode, storeNode } from '../lib/zk/operations/nodes';
import { ZkSession, type SessionOptions } from '../lib/zk/session';
import { type Node, type NodeState } from '../lib/model/node';

/** A failure the operator can act on: its message is printed as is, exit code 1. */
export class CliFailure extends Error {
  override name = 'CliFailure';
}

/** Where the config says ZooKeeper is, as operators write it (host:port/chroot,...). */
export const zkAddress = (config: NodepoolConfig): string => config.zookeeperHosts || '(none)';

export function zkSessionOptions(config: NodepoolConfig): SessionOptions {
  if (config.zookeeperServers.length === 0) throw new CliFailure('No ZooKeeper servers specified in config.');
  const timeoutMs = config.zookeeperTimeout * 1000;
  return {
    servers: config.zookeeperServers.map((s) => ({ host: s.host, port: s.port })),
    // the chroot is per connect string in kazoo; Nodepool configs give the same one everywhere
    chroot: config.zookeeperServers.find((s) => s.chroot)?.chroot || undefined,
    tls: config.zookeeperTls ?? undefined,
    sessionTimeoutMs: timeoutMs,
    connectTimeoutMs: Math.max(timeoutMs, 1000),
  };
}

export async function connectFromConfig(config: NodepoolConfig): Promise<ZkSession> {
  const opts = zkSessionOptions(config);
  try {
    return await ZkSession.connect(opts);
  } catch (e) {
    const why = e instanceof ZkError && e.code === 'TIMEOUT' ? `no session within ${opts.connectTimeoutMs} ms` : e instanceof Error ? e.message : String(e);
    throw new CliFailure(`Could not connect to ZooKeeper at ${zkAddress(config)}: ${why}`);
  }
}

/** Load the config, connect, run `fn`, close; expected failures become one line on stderr and exit 1. */
export async function withZooKeeper(ctx: CommandContext, fn: (s: ZkSession, config: NodepoolConfig) => Promise<void>): Promise<void> {
  const { config } = await ctx.loadConfig();
  let session: ZkSession | undefined;
  try {
    session = await connectFromConfig(config);
    await fn(session, config);
  } catch (e) {
    if (e instanceof CliFailure) ctx.io.stderr(`${e.message}\n`);
    else if (e instanceof ZkDataError) ctx.io.stderr(`Unreadable ZooKeeper data: ${e.message}\n`);
    else if (isConnectionError(e)) ctx.io.stderr(`Lost the ZooKeeper connection to ${zkAddress(config)}: ${(e as Error).message}\n`);
    else throw e;
    ctx.setExitCode(1);
  } finally {
    await session?.close();
  }
}

/** Nodepool's print(status.output(...)), or the JSON rows with --json. */
export function printListing(ctx: CommandContext, listing: Listing, json: boolean, fields?: readonly string[]): void {
  ctx.io.stdout(`${json ? toJson(listing) : output(listing, 'pretty', fields)}\n`);
}

/** A read-only listing subcommand: `nodepool <name> [--json]`. */
export function registerListing(program: Command, ctx: CommandContext, name: string, description: string, read: (s: ZkSession) => Promise<Listing>): void {
  program
    .command(name)
    .description(description)
    .option('--json', 'print JSON (the web app’s format) instead of a table', false)
    .action(async (opts: { json: boolean }) => {
      await withZooKeeper(ctx, async (s) => printListing(ctx, await read(s), opts.json));
    });
}

/** Nodepool's getNode(id) for an id typed by the operator: null when there is no such node. */
export async function findNode(s: ZkSession, id: string): Promise<Node | null> {
  if (id === '' || id === '.' || id === '..' || id.includes('/')) return null; // cannot name a node znode
  return (await readNode(s, id))?.value ?? null;
}

/** Nodepool's CLI lock wait for `hold` and `delete`. */
export const CLI_LOCK_TIMEOUT_MS = 5000;

/**
 * `hold` / `delete`: lock the node (blocking, 5 s), set the state, store, unlock. Re-reads the
 * node under the lock (Nodepool stores the copy it read before locking). False if it is gone.
 */
export async function setNodeStateLocked(s: ZkSession, id: string, state: NodeState): Promise<boolean> {
  const lock = await lockNode(s, id, { blocking: true, timeoutMs: CLI_LOCK_TIMEOUT_MS });
  if (!lock) throw new CliFailure(`Timeout trying to lock node ${id} after ${CLI_LOCK_TIMEOUT_MS / 1000} s: someone else holds its lock`);
  try {
    const current = await readNode(s, id);
    if (!current) return false;
    setNodeState(current.value, state);
    await storeNode(s, current.value);
    return true;
  } finally {
    await lock.release();
  }
}
