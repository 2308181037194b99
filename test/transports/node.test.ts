// The transport scenario in Node over openTCP() (a net.Socket as a Web Streams pair), and the
// WASM server side (accept) over the same core with a Node tls client.
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenSSL } from '../../dist/index.js';
import { openTCP, socketTransport } from '../../dist/node/index.js';
import * as web from '../../dist/web/index.js';
import { tcpServer } from '../interop/peers.js';
import { useInstance } from '../support/instance.js';
import { expectTransportScenario } from './expect.js';
import { startPeers } from './peers.js';
// @ts-expect-error plain JS shared with Deno, Bun and workerd
import { runTransportScenario } from './scenario.mjs';

let ossl: OpenSSL;
let cert: { certificate: string; privateKey: string };
let peers: Awaited<ReturnType<typeof startPeers>>;

useInstance({ scope: 'file' }, (fresh) => {
  ossl = fresh;
});
beforeAll(async () => {
  cert = ossl.generateCertificate({ commonName: 'localhost', keyType: 'P-256' });
  peers = await startPeers(cert, ossl.generateCertificate({ commonName: 'localhost' }).certificate);
});
afterAll(async () => {
  await peers?.close();
});

describe('Web Streams transport in Node (net.Socket as a byte pair)', () => {
  it('resumes against openssl s_server and Node tls (1.3, 1.2); refuses wrong names and CAs; reports cuts; leaves nothing', async () => {
    const result = await runTransportScenario({ ossl, web, open: (port: number) => openTCP('127.0.0.1', port), peers: peers.peers });
    expectTransportScenario(result);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await peers.openSockets()).toBe(0);
  });

  it('accept(): a Node tls client resumes against the WASM server; both close cleanly', async () => {
    const context = ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey });
    const streams: web.TLSStream[] = [];
    const server = await tcpServer(async (socket) => {
      const stream = await web.accept({ transport: socketTransport(socket), context });
      streams.push(stream);
      // Echo until the client closes, then close back.
      await stream.readable.pipeTo(stream.writable).catch(() => {});
    });
    const sessions: Buffer[] = [];
    const reused: boolean[] = [];
    for (let i = 0; i < 2; i++) {
      const socket = tls.connect({
        host: '127.0.0.1',
        port: server.port,
        servername: 'localhost',
        ca: cert.certificate,
        ...(sessions.length ? { session: sessions[sessions.length - 1] } : {}),
      });
      socket.on('session', (s: Buffer) => sessions.push(s));
      await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
      socket.write('hello');
      const reply: Buffer = await new Promise((resolve) => socket.once('data', resolve));
      expect(reply.toString()).toBe('hello');
      reused.push(socket.isSessionReused());
      socket.end();
      await new Promise((resolve) => socket.once('close', resolve));
    }
    expect(reused).toEqual([false, true]);
    await Promise.all(streams.map((s) => s.closed));
    expect(streams.map((s) => s.connection.isFreed)).toEqual([true, true]);
    await server.close();
    context.free();
    ossl.ledger.assertNoLeaks();
  });
});
