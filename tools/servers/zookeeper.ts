// Starts a real ZooKeeper (Debian's package) on a free loopback port with its own data dir.
// Used by the tests, the dev stack and the benches. Optional TLS listener (secureClientPort) for
// the zookeeper-tls tests: certificates are made with openssl, stores with keytool.
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnServer, stopProcess, killProcess, waitFor } from './process';
import { zookeeperClasspath } from './paths';

export interface ZooKeeperTlsStores {
  /** PKCS12 keystore with the server certificate and key. */
  keyStore: string;
  /** PKCS12 truststore with the CA that signed client certificates. */
  trustStore: string;
  password: string;
}

export interface ZooKeeperOptions {
  port?: number;
  dataDir?: string;
  tls?: ZooKeeperTlsStores;
  securePort?: number;
}

export interface ZooKeeperServer {
  host: string;
  port: number;
  securePort?: number;
  /** host:port, ready for node-zookeeper-client or kazoo. */
  connectString: string;
  dataDir: string;
  logFile: string;
  /** Graceful stop (data kept until `remove`). */
  stop(): Promise<void>;
  /** kill -9, as in a crash. */
  kill(): Promise<void>;
  /** Starts again on the same ports and data dir (sessions survive if within their timeout). */
  start(): Promise<void>;
  /** Stops and deletes the data dir. */
  remove(): Promise<void>;
}

/** Sends a four-letter word and returns the answer ('' if the server did not answer). */
export function fourLetterWord(host: string, port: number, word: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const sock = connect({ host, port }, () => sock.write(word));
    sock.setTimeout(timeoutMs, () => sock.destroy());
    sock.on('data', (d) => (out += d.toString()));
    sock.on('close', () => resolve(out));
    sock.on('error', () => resolve(''));
  });
}

export async function startZooKeeper(opts: ZooKeeperOptions = {}): Promise<ZooKeeperServer> {
  const host = '127.0.0.1';
  const port = opts.port ?? (await freePort());
  const securePort = opts.tls ? (opts.securePort ?? (await freePort())) : undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'nodepool-zk-'));
  mkdirSync(join(dataDir, 'data'), { recursive: true });
  const cfgFile = join(dataDir, 'zoo.cfg');
  const logFile = join(dataDir, 'zookeeper.log');
  const lines = [
    'tickTime=500',
    // a short minimum session timeout lets tests force expiry quickly
    'minSessionTimeout=1000',
    `dataDir=${join(dataDir, 'data')}`,
    `clientPort=${port}`,
    `clientPortAddress=${host}`,
    'admin.enableServer=false',
    '4lw.commands.whitelist=ruok,srvr,stat,mntr,cons,dump',
    'maxClientCnxns=0',
  ];
  if (opts.tls && securePort) {
    lines.push(
      `secureClientPort=${securePort}`,
      `secureClientPortAddress=${host}`,
      'serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory',
      `ssl.keyStore.location=${opts.tls.keyStore}`,
      `ssl.keyStore.password=${opts.tls.password}`,
      'ssl.keyStore.type=PKCS12',
      `ssl.trustStore.location=${opts.tls.trustStore}`,
      `ssl.trustStore.password=${opts.tls.password}`,
      'ssl.trustStore.type=PKCS12',
    );
  }
  writeFileSync(cfgFile, lines.join('\n') + '\n');

  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawnServer(
      'java',
      ['-Xmx256m', '-XX:+UseSerialGC', '-cp', zookeeperClasspath(), 'org.apache.zookeeper.server.ZooKeeperServerMain', cfgFile],
      logFile,
      { cwd: dataDir },
    );
    await waitFor(
      `ZooKeeper on ${host}:${port} (log: ${logFile})`,
      async () => (await fourLetterWord(host, port, 'ruok')) === 'imok',
      60_000,
      child,
    );
  };
  await start();

  const server: ZooKeeperServer = {
    host,
    port,
    securePort,
    connectString: `${host}:${port}`,
    dataDir,
    logFile,
    stop: async () => {
      if (child) await stopProcess(child);
    },
    kill: async () => {
      if (child) await killProcess(child);
    },
    start,
    remove: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}
