// node:test helpers that give a test file real servers: started once in before(), always stopped
// in after() (and by the exit hooks in tools/servers/process.ts if the run is interrupted).
import { after, before } from 'node:test';
import { startZooKeeper, type ZooKeeperOptions, type ZooKeeperServer } from '../../tools/servers/zookeeper';
import { startTemporalDevServer, type TemporalDevServer, type TemporalDevServerOptions } from '../../tools/servers/temporal';

export function useZooKeeper(opts: ZooKeeperOptions = {}): () => ZooKeeperServer {
  let server: ZooKeeperServer | undefined;
  before(async () => {
    server = await startZooKeeper(opts);
  });
  after(async () => {
    await server?.remove();
  });
  return () => {
    if (!server) throw new Error('ZooKeeper not started (useZooKeeper must be called at module level)');
    return server;
  };
}

export function useTemporal(opts: TemporalDevServerOptions = {}): () => TemporalDevServer {
  let server: TemporalDevServer | undefined;
  before(async () => {
    server = await startTemporalDevServer(opts);
  });
  after(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('Temporal not started (useTemporal must be called at module level)');
    return server;
  };
}
