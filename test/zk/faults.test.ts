// Faults a healthy ZooKeeper 3.8 will not produce on demand, injected by a tiny wire-level
// stand-in (not a ZooKeeper: it only answers the handshake and then misbehaves): error codes
// node-zookeeper-client 1.1.3 does not know (newer servers send -118…-127; the library threw
// from its socket handler and crashed the process) and malformed frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { ZkSession } from '../../lib/zk/session';
import { ZkError } from '../../lib/zk/errors';

type Mode = 'unknown-error' | 'garbage';

function connectResponse(): Buffer {
  const b = Buffer.alloc(4 + 4 + 4 + 8 + 4 + 16);
  let o = 0;
  o = b.writeInt32BE(b.length - 4, o);
  o = b.writeInt32BE(0, o); // protocolVersion
  o = b.writeInt32BE(4000, o); // timeOut
  b.writeBigInt64BE(0x1234n, o);
  o += 8;
  o = b.writeInt32BE(16, o);
  return b;
}

function reply(xid: number, err: number): Buffer {
  const b = Buffer.alloc(4 + 4 + 8 + 4);
  b.writeInt32BE(16, 0);
  b.writeInt32BE(xid, 4);
  b.writeBigInt64BE(1n, 8);
  b.writeInt32BE(err, 16);
  return b;
}

/** Handshake, then answer every request with `err`, or with a frame that cannot be parsed. */
async function faultyServer(mode: Mode, err = -127): Promise<{ server: Server; port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((sock: Socket) => {
    connections++;
    let buf = Buffer.alloc(0);
    let handshaken = false;
    sock.on('error', () => undefined);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        if (!handshaken) {
          handshaken = true;
          sock.write(connectResponse());
          continue;
        }
        const xid = frame.readInt32BE(0);
        if (xid === -2) sock.write(reply(-2, 0)); // ping
        else if (mode === 'unknown-error') sock.write(reply(xid, err));
        else sock.write(Buffer.from([0, 0, 0, 2, 0xff, 0xff])); // a 2-byte "reply": no room for a header
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : 0, connections: () => connections };
}

void test('an error code the client library does not know becomes a ZkError, not a crash', async () => {
  const { server, port } = await faultyServer('unknown-error', -127);
  const s = await ZkSession.connect({ servers: `127.0.0.1:${port}`, sessionTimeoutMs: 4000, watchdog: false });
  try {
    await assert.rejects(s.get('/nodepool'), (e) => e instanceof ZkError && e.code === 'THROTTLED_OP' && e.numericCode === -127);
    await assert.rejects(s.exists('/x'), (e) => e instanceof ZkError && e.numericCode === -127);
  } finally {
    await s.close();
    server.close();
  }
  const { server: s2, port: p2 } = await faultyServer('unknown-error', -999);
  const t = await ZkSession.connect({ servers: `127.0.0.1:${p2}`, sessionTimeoutMs: 4000, watchdog: false });
  try {
    await assert.rejects(t.get('/nodepool'), (e) => e instanceof ZkError && e.code === 'UNKNOWN_999');
  } finally {
    await t.close();
    s2.close();
  }
});

void test('a malformed reply drops the connection (the call fails, the client reconnects) instead of crashing', async () => {
  const { server, port, connections } = await faultyServer('garbage');
  const s = await ZkSession.connect({ servers: `127.0.0.1:${port}`, sessionTimeoutMs: 4000, watchdog: false });
  try {
    await assert.rejects(s.get('/nodepool'), (e) => e instanceof ZkError && e.code === 'CONNECTION_LOSS');
    await s.waitConnected(5000);
    assert.ok(connections() >= 2, 'reconnected');
  } finally {
    await s.close();
    server.close();
  }
});
