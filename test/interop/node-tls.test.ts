// Interop with Node's own tls (native OpenSSL inside Node), both directions, on 127.0.0.1.
import { constants } from 'node:crypto';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { type OpenSSL, type Session, TLSError, TransportError } from '../../dist/index.js';
import { acceptTLS, connectTLS, type TLSStream } from '../../dist/node/index.js';
import { useInstance } from '../support/instance.js';
import { nodeTlsServer, tcpServer } from './peers.js';

let ossl: OpenSSL;
let cert: { certificate: string; privateKey: string };

useInstance({ scope: 'file' }, (fresh) => {
  ossl = fresh;
  cert = ossl.generateCertificate({ commonName: 'localhost', keyType: 'P-256' });
});

async function echo(stream: TLSStream, text: string): Promise<string> {
  stream.write(text);
  const data: Buffer = await new Promise((resolve) => stream.once('data', resolve));
  return data.toString();
}

async function close(stream: TLSStream): Promise<void> {
  stream.end();
  await new Promise((resolve) => stream.once('close', resolve));
  expect(stream.socket.destroyed).toBe(true);
}

/** Full handshake, then resumption with the session the WASM client received. */
async function wasmClientResumes(serverOptions: tls.TlsOptions, clientOptions: { maxVersion?: 'TLSv1.2' | 'TLSv1.3' } = {}) {
  const server = await nodeTlsServer({ cert: cert.certificate, key: cert.privateKey, ...serverOptions });
  const context = ossl.createContext({ role: 'client', ca: cert.certificate, ...clientOptions });
  try {
    const first = await connectTLS({ host: '127.0.0.1', port: server.port, context, servername: 'localhost' });
    expect(await echo(first, 'one')).toBe('echo:one');
    await first.waitForSessions(1);
    const session = first.takeSession() as Session;
    const protocol = first.connection.protocol;
    expect(first.connection.sessionReused).toBe(false);
    await close(first);

    const second = await connectTLS({ host: '127.0.0.1', port: server.port, context, servername: 'localhost', session });
    expect(await echo(second, 'two')).toBe('echo:two');
    const result = { protocol, wasmReused: second.connection.sessionReused, hasTicket: session.hasTicket };
    await close(second);
    session.free();
    return { ...result, nodeReused: [...server.reused] };
  } finally {
    context.free();
    await server.close();
  }
}

describe('WASM client against a Node tls server', () => {
  it('TLS 1.3: full handshake, then resumption with the ticket, reused on both sides', async () => {
    const r = await wasmClientResumes({});
    expect(r).toEqual({ protocol: 'TLSv1.3', wasmReused: true, hasTicket: true, nodeReused: [false, true] });
  });

  it('TLS 1.2 with session tickets resumes on both sides', async () => {
    const r = await wasmClientResumes({ maxVersion: 'TLSv1.2' });
    expect(r).toEqual({ protocol: 'TLSv1.2', wasmReused: true, hasTicket: true, nodeReused: [false, true] });
  });

  it('TLS 1.2 with session IDs (tickets off, Node cache via newSession/resumeSession) resumes on both sides', async () => {
    const cache = new Map<string, Buffer>();
    const server = await nodeTlsServer({
      cert: cert.certificate,
      key: cert.privateKey,
      maxVersion: 'TLSv1.2',
      secureOptions: constants.SSL_OP_NO_TICKET,
    });
    server.server.on('newSession', (id: Buffer, data: Buffer, cb: () => void) => {
      cache.set(id.toString('hex'), data);
      cb();
    });
    server.server.on('resumeSession', (id: Buffer, cb: (err: Error | null, data: Buffer | null) => void) => {
      cb(null, cache.get(id.toString('hex')) ?? null);
    });
    const context = ossl.createContext({ role: 'client', ca: cert.certificate });
    const first = await connectTLS({ host: '127.0.0.1', port: server.port, context, servername: 'localhost' });
    await first.waitForSessions(1);
    const session = first.takeSession() as Session;
    expect(session.hasTicket).toBe(false);
    expect(cache.has(Buffer.from(session.id).toString('hex'))).toBe(true);
    await close(first);
    const second = await connectTLS({ host: '127.0.0.1', port: server.port, context, servername: 'localhost', session });
    expect(second.connection.sessionReused).toBe(true);
    await close(second);
    expect(server.reused).toEqual([false, true]);
    session.free();
    context.free();
    await server.close();
    ossl.ledger.assertNoLeaks();
  });

  it('a session serialized by the WASM client resumes in tls.connect({ session }) against the Node server that issued it', async () => {
    for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
      const server = await nodeTlsServer({ cert: cert.certificate, key: cert.privateKey, maxVersion });
      const context = ossl.createContext({ role: 'client', ca: cert.certificate });
      const first = await connectTLS({ host: '127.0.0.1', port: server.port, context, servername: 'localhost' });
      await first.waitForSessions(1);
      const session = first.takeSession() as Session;
      const der = session.toDER();
      await close(first);
      const nodeClient = tls.connect({
        host: '127.0.0.1',
        port: server.port,
        servername: 'localhost',
        ca: cert.certificate,
        session: Buffer.from(der),
      });
      await new Promise((resolve, reject) => nodeClient.once('secureConnect', resolve).once('error', reject));
      expect(nodeClient.isSessionReused()).toBe(true);
      nodeClient.end();
      await new Promise((resolve) => nodeClient.once('close', resolve));
      expect(server.reused).toEqual([false, true]);
      session.free();
      context.free();
      await server.close();
    }
    ossl.ledger.assertNoLeaks();
  });
});

describe('Node tls client against a WASM server', () => {
  async function wasmServer(options: { maxVersion?: 'TLSv1.2' | 'TLSv1.3'; tickets?: boolean } = {}) {
    const context = ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey, ...options });
    const streams: TLSStream[] = [];
    const server = await tcpServer((socket: Socket) => {
      acceptTLS(socket, context).then(
        (stream) => {
          streams.push(stream);
          stream.on('data', (d: Buffer) => stream.write(Buffer.concat([Buffer.from('echo:'), d])));
          stream.on('end', () => stream.end());
          stream.on('error', () => {});
        },
        () => {},
      );
    });
    return {
      port: server.port,
      context,
      streams,
      close: async () => {
        await server.close();
        for (const s of streams) if (!s.destroyed) s.destroy();
        context.free();
      },
    };
  }

  async function nodeConnect(port: number, session?: Buffer) {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: cert.certificate, ...(session ? { session } : {}) });
    const sessions: Buffer[] = [];
    socket.on('session', (s: Buffer) => sessions.push(s));
    await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    socket.write('ping');
    const reply: Buffer = await new Promise((resolve) => socket.once('data', resolve));
    expect(reply.toString()).toBe('echo:ping');
    return { socket, sessions };
  }

  for (const [label, options] of [
    ['TLS 1.3 tickets', {}],
    ['TLS 1.2 tickets', { maxVersion: 'TLSv1.2' as const }],
    ['TLS 1.2 session IDs', { maxVersion: 'TLSv1.2' as const, tickets: false }],
  ] as const) {
    it(`${label}: Node resumes with the session from its 'session' event; both sides see the reuse`, async () => {
      const server = await wasmServer(options);
      const first = await nodeConnect(server.port);
      expect(first.sessions.length).toBeGreaterThan(0);
      expect(first.socket.isSessionReused()).toBe(false);
      const nodeSession = first.sessions[first.sessions.length - 1];
      const cipher = first.socket.getCipher();
      const protocol = first.socket.getProtocol();
      const serverSession = server.streams[0].connection.get1Session() as Session;

      // Node's session bytes decode here with what Node reports.
      const decoded = ossl.d2i_SSL_SESSION(new Uint8Array(nodeSession));
      expect(decoded.cipher?.standardName).toBe(cipher.standardName);
      expect(decoded.protocolVersion).toBe(protocol === 'TLSv1.3' ? 0x0304 : 0x0303);
      expect(decoded.hostname).toBe((first.socket as unknown as { servername: string }).servername);
      expect(decoded.hostname).toBe(serverSession.hostname);
      // With session IDs the id is the server's cache key; with tickets the client's id is its own.
      if ('tickets' in options) expect(Buffer.from(decoded.id)).toEqual(Buffer.from(serverSession.id));
      decoded.free();
      serverSession.free();
      first.socket.end();
      await new Promise((resolve) => first.socket.once('close', resolve));

      const second = await nodeConnect(server.port, nodeSession);
      expect(second.socket.isSessionReused()).toBe(true);
      expect(server.streams[1].connection.sessionReused).toBe(true);
      second.socket.end();
      await new Promise((resolve) => second.socket.once('close', resolve));
      await server.close();
      ossl.ledger.assertNoLeaks();
    });
  }
});

describe('failures end cleanly: typed error, socket closed, nothing leaked', () => {
  it('the peer closes mid-handshake: TransportError', async () => {
    const server = await tcpServer((s) => s.once('data', () => s.destroy()));
    const context = ossl.createContext({ role: 'client', ca: cert.certificate });
    await expect(connectTLS({ host: '127.0.0.1', port: server.port, context, servername: 'localhost' })).rejects.toBeInstanceOf(
      TransportError,
    );
    context.free();
    await server.close();
    ossl.ledger.assertNoLeaks();
  });

  it('certificate verification fails with the wrong CA: TLSError carrying the verify result', async () => {
    const other = ossl.generateCertificate({ commonName: 'localhost' });
    const server = await nodeTlsServer({ cert: cert.certificate, key: cert.privateKey });
    const context = ossl.createContext({ role: 'client', ca: other.certificate });
    const error = await connectTLS({ host: '127.0.0.1', port: server.port, context, servername: 'localhost' }).catch((e) => e);
    expect(error).toBeInstanceOf(TLSError);
    expect((error as TLSError).verifyResult).not.toBe(0);
    expect((error as TLSError).message).toMatch(/certificate verify failed/);
    context.free();
    await server.close();
    ossl.ledger.assertNoLeaks();
  });

  it('protocol mismatch (client TLS 1.2 only, server TLS 1.3 only): TLSError', async () => {
    const server = await nodeTlsServer({ cert: cert.certificate, key: cert.privateKey, minVersion: 'TLSv1.3' });
    const context = ossl.createContext({ role: 'client', ca: cert.certificate, maxVersion: 'TLSv1.2' });
    await expect(connectTLS({ host: '127.0.0.1', port: server.port, context, servername: 'localhost' })).rejects.toBeInstanceOf(TLSError);
    context.free();
    await server.close();
    ossl.ledger.assertNoLeaks();
  });

  it('cipher mismatch (RSA-only TLS 1.2 suites against an ECDSA server): TLSError', async () => {
    const server = await nodeTlsServer({ cert: cert.certificate, key: cert.privateKey, maxVersion: 'TLSv1.2' });
    const context = ossl.createContext({
      role: 'client',
      ca: cert.certificate,
      maxVersion: 'TLSv1.2',
      ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
    });
    await expect(connectTLS({ host: '127.0.0.1', port: server.port, context, servername: 'localhost' })).rejects.toBeInstanceOf(TLSError);
    context.free();
    await server.close();
    ossl.ledger.assertNoLeaks();
  });

  it('garbage bytes from the socket: TLSError', async () => {
    const server = await tcpServer((s) => s.once('data', () => s.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\nnot tls at all'))));
    const context = ossl.createContext({ role: 'client', ca: cert.certificate });
    await expect(connectTLS({ host: '127.0.0.1', port: server.port, context, servername: 'localhost' })).rejects.toBeInstanceOf(TLSError);
    context.free();
    await server.close();
    ossl.ledger.assertNoLeaks();
  });

  it('a session from one server offered to another: no resumption, no error', async () => {
    const a = await nodeTlsServer({ cert: cert.certificate, key: cert.privateKey });
    const b = await nodeTlsServer({ cert: cert.certificate, key: cert.privateKey });
    const context = ossl.createContext({ role: 'client', ca: cert.certificate });
    const first = await connectTLS({ host: '127.0.0.1', port: a.port, context, servername: 'localhost' });
    await first.waitForSessions(1);
    const session = first.takeSession() as Session;
    await close(first);
    const other = await connectTLS({ host: '127.0.0.1', port: b.port, context, servername: 'localhost', session });
    expect(await echo(other, 'x')).toBe('echo:x');
    expect(other.connection.sessionReused).toBe(false);
    await close(other);
    session.free();
    context.free();
    await a.close();
    await b.close();
    ossl.ledger.assertNoLeaks();
  });

  it('an expired session is not reused', async () => {
    const server = await nodeTlsServer({ cert: cert.certificate, key: cert.privateKey });
    const context = ossl.createContext({ role: 'client', ca: cert.certificate });
    const first = await connectTLS({ host: '127.0.0.1', port: server.port, context, servername: 'localhost' });
    await first.waitForSessions(1);
    const session = first.takeSession() as Session;
    await close(first);
    session.time = Math.floor(Date.now() / 1000) - 3 * 86400; // issued three days ago
    session.timeout = 3600;
    const second = await connectTLS({ host: '127.0.0.1', port: server.port, context, servername: 'localhost', session });
    expect(second.connection.sessionReused).toBe(false);
    await close(second);
    expect(server.reused).toEqual([false, false]);
    session.free();
    context.free();
    await server.close();
    ossl.ledger.assertNoLeaks();
  });
});
