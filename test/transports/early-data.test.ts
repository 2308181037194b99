// TLS 1.3 early data (0-RTT): a server that accepts it (acceptEarlyData, OpenSSL's anti-replay
// on), a client that sends it with a resumed session (writeEarlyData / connect({ earlyData })),
// earlyDataStatus on both sides; in memory, over TCP between two WASM peers, and against
// `openssl s_server -early_data`.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, type OpenSSL, type Session } from '../../dist/index.js';
import { openTCP, socketTransport } from '../../dist/node/index.js';
import * as web from '../../dist/web/index.js';
import { opensslServer, tcpServer, tempDir, writeTemp } from '../interop/peers.js';
import { useOpenSSL } from './fixture.js';

const fx = useOpenSSL();

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Drives a client and a server connection to the end of their handshakes, in memory. */
function drive(c: ReturnType<ReturnType<OpenSSL['createContext']>['newConnection']>, s: typeof c): void {
  for (let i = 0; i < 10 && !(c.isHandshakeDone && s.isHandshakeDone); i++) {
    c.handshake();
    s.writeEncrypted(c.readEncrypted());
    s.handshake();
    c.writeEncrypted(s.readEncrypted());
  }
  c.read(); // the tickets
}

describe('0-RTT in memory', () => {
  it('accepted once with a fresh ticket; the same ticket again is rejected (anti-replay) and falls back to a full handshake', () => {
    const server = fx.ossl.createContext({ role: 'server', ...fx.cert, acceptEarlyData: true });
    const client = fx.ossl.createContext({ role: 'client', ca: fx.cert.certificate });
    const first = fx.ossl.connectInMemory(client, server, { hostname: 'localhost' });
    first.client.read();
    expect([first.client.earlyDataStatus, first.server.earlyDataStatus]).toEqual(['not sent', 'not sent']);
    const session = first.client.get1Session() as Session;
    expect(session.maxEarlyData).toBe(16384);
    first.free();
    const outcomes: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      const c = client.newConnection({ hostname: 'localhost', session });
      const s = server.newConnection();
      c.writeEarlyData('GET /early');
      drive(c, s);
      outcomes.push({ early: text(s.takeEarlyData()), client: c.earlyDataStatus, server: s.earlyDataStatus, reused: c.sessionReused });
      c.free();
      s.free();
    }
    expect(outcomes).toEqual([
      { early: 'GET /early', client: 'accepted', server: 'accepted', reused: true },
      { early: '', client: 'rejected', server: 'rejected', reused: false },
    ]);
    session.free();
    client.free();
    server.free();
    fx.ossl.ledger.assertNoLeaks();
  });

  it('a server without acceptEarlyData issues tickets that allow none; writeEarlyData refuses before C', () => {
    const server = fx.ossl.createContext({ role: 'server', ...fx.cert });
    const client = fx.ossl.createContext({ role: 'client', ca: fx.cert.certificate });
    const first = fx.ossl.connectInMemory(client, server, { hostname: 'localhost' });
    first.client.read();
    const session = first.client.get1Session() as Session;
    expect(session.maxEarlyData).toBe(0);
    first.free();
    const c = client.newConnection({ hostname: 'localhost', session });
    expect(() => c.writeEarlyData('x')).toThrow(InvalidArgumentError); // the session allows 0 bytes
    const bare = client.newConnection({ hostname: 'localhost' });
    expect(() => bare.writeEarlyData('x')).toThrow(/allows 0 bytes/); // no session at all
    bare.handshake();
    expect(() => bare.writeEarlyData('x')).toThrow(/has started/);
    const s = server.newConnection();
    expect(() => s.writeEarlyData('x')).toThrow(/server connection/);
    expect(() => fx.ossl.createContext({ role: 'server', ...fx.cert, acceptEarlyData: 0 })).toThrow(InvalidArgumentError);
    for (const x of [c, bare, s]) x.free({ abort: true });
    session.free();
    client.free();
    server.free();
    fx.ossl.ledger.assertNoLeaks();
  });
});

describe('0-RTT over TCP', () => {
  it('WASM client to WASM server (connect/accept): accepted, delivered first; replayed ticket rejected and the data resent once', async () => {
    const serverContext = fx.ossl.createContext({ role: 'server', ...fx.cert, acceptEarlyData: true });
    const received: string[] = [];
    const statuses: string[] = [];
    const server = await tcpServer(async (socket) => {
      try {
        const stream = await web.accept({ transport: socketTransport(socket), context: serverContext });
        statuses.push(stream.connection.earlyDataStatus);
        const reader = stream.readable.getReader();
        const { value } = await reader.read();
        received.push(text(value as Uint8Array));
        reader.releaseLock();
        await stream.close();
      } catch (error) {
        statuses.push(String(error));
      }
    });
    const context = fx.ossl.createContext({ role: 'client', ca: fx.cert.certificate });
    const open = async () => openTCP('127.0.0.1', server.port);
    const first = await web.connect({ transport: await open(), context, servername: 'localhost' });
    await first.waitForSessions(1);
    const session = first.takeSession() as Session;
    const w = first.writable.getWriter();
    await w.write(new TextEncoder().encode('plain'));
    w.releaseLock();
    await first.closed;
    // The same ticket twice, as a replay would offer it (two copies: OpenSSL's client does not
    // offer a ticket it used for early data again).
    const copies = [session.dup(), session.dup()];
    const client: string[] = [];
    for (let i = 0; i < 2; i++) {
      const tls = await web.connect({
        transport: await open(),
        context,
        servername: 'localhost',
        session: copies[i],
        earlyData: `early ${i}`,
      });
      client.push(tls.connection.earlyDataStatus);
      await tls.closed;
      copies[i].free();
    }
    expect(client).toEqual(['accepted', 'rejected']);
    expect(statuses).toEqual(['not sent', 'accepted', 'rejected']);
    expect(received).toEqual(['plain', 'early 0', 'early 1']);
    session.free();
    context.free();
    serverContext.free();
    await server.close();
    fx.ossl.ledger.assertNoLeaks();
  });

  it('against openssl s_server -early_data: accepted, and s_server prints the early data', async () => {
    const dir = tempDir();
    const server = await opensslServer([
      '-cert',
      writeTemp(dir, 'c.pem', fx.cert.certificate),
      '-key',
      writeTemp(dir, 'k.pem', fx.cert.privateKey),
      '-early_data',
    ]);
    let out = '';
    server.proc.stdout?.on('data', (d) => (out += d));
    const context = fx.ossl.createContext({ role: 'client', ca: fx.cert.certificate });
    try {
      const first = await web.connect({ transport: await openTCP('127.0.0.1', server.port), context, servername: 'localhost' });
      await first.waitForSessions(1);
      const session = first.takeSession() as Session;
      expect(session.maxEarlyData).toBeGreaterThan(0);
      await first.close();
      const second = await web.connect({
        transport: await openTCP('127.0.0.1', server.port),
        context,
        servername: 'localhost',
        session,
        earlyData: 'early ping\n',
      });
      expect([second.connection.sessionReused, second.connection.earlyDataStatus]).toEqual([true, 'accepted']);
      for (let i = 0; i < 50 && !out.includes('early ping'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(out).toContain('Early data received');
      expect(out).toContain('early ping');
      await second.close();
      session.free();
    } finally {
      context.free();
      await server.close();
    }
    fx.ossl.ledger.assertNoLeaks();
  });
});
