// TLS for node-zookeeper-client, which only knows net.connect (spec/libs.md §4.1, open PR #97).
// We replace one client's ConnectionManager.connect with a copy that opens a tls socket; the
// rest of the protocol code is unchanged because a TLSSocket is a net.Socket. The session
// handshake is sent on 'secureConnect' so nothing is written before the TLS handshake ends.
// Nodepool's zookeeper-tls {cert, key, ca} are PEM files; ZooKeeper requires the client cert.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { type Client, type ConnectionManager } from 'node-zookeeper-client';
import { log } from '../log';

export interface ZkTlsFiles {
  /** PEM client certificate. */
  cert: string;
  /** PEM client key. */
  key: string;
  /** PEM CA that signed the server certificate. */
  ca: string;
}

export interface ZkTlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

export function readTlsFiles(files: ZkTlsFiles): ZkTlsMaterial {
  return { cert: readFileSync(files.cert), key: readFileSync(files.key), ca: readFileSync(files.ca) };
}

const CONNECTING = 1; // ConnectionManager STATES.CONNECTING

export function enableTls(client: Client, material: ZkTlsMaterial): void {
  const cm = client.connectionManager;
  let lastError = '';
  let lastLogged = 0;
  cm.connect = function (this: ConnectionManager) {
    this.setState(CONNECTING);
    this.findNextServer((server) => {
      const socket = tls.connect({
        host: server.host,
        port: server.port,
        ca: material.ca,
        cert: material.cert,
        key: material.key,
        // SNI only for names; an IP is checked against the certificate's IP SANs.
        servername: isIP(server.host) ? undefined : server.host,
      });
      this.socket = socket;
      this.connectTimeoutHandler = setTimeout(this.onSocketConnectTimeout.bind(this), this.connectTimeout);
      socket.setNoDelay();
      socket.on('secureConnect', this.onSocketConnected.bind(this));
      socket.on('data', this.onSocketData.bind(this));
      socket.on('drain', this.onSocketDrain.bind(this));
      socket.on('close', this.onSocketClosed.bind(this));
      socket.on('error', this.onSocketError.bind(this));
      // the library swallows socket errors; a certificate problem would otherwise retry silently
      // (several times a second: say it once a minute per distinct error)
      socket.on('error', (err) => {
        const now = Date.now();
        if (err.message === lastError && now - lastLogged < 60_000) return;
        lastError = err.message;
        lastLogged = now;
        log('zk').warn({ err, server: `${server.host}:${server.port}` }, 'ZooKeeper TLS connection failed');
      });
    });
  };
}
