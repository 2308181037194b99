// The native peers of the transport scenario, on 127.0.0.1: `openssl s_server -rev` and Node tls
// servers (TLS 1.3 and 1.2), a TCP peer that closes after the ClientHello, and a proxy in front of
// a Node tls server that cuts the connection inside a TLS record. `openSockets()` counts the
// peers' connections still open (every case must leave none).
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, expect } from 'vitest';
import { nodeTlsServer, opensslServer, tcpServer, tempDir, writeTemp } from '../interop/peers.js';
import { loadInstance } from '../support/instance.js';

export interface TransportPeers {
  ca: string;
  otherCa: string;
  resumption: Record<string, { port: number; reply: string }>;
  closeMidHandshake: number;
  cutMidRecord: number;
}

export async function startPeers(
  cert: { certificate: string; privateKey: string },
  otherCa: string,
): Promise<{ peers: TransportPeers; openSockets(): Promise<number>; close(): Promise<void> }> {
  const dir = tempDir();
  const certPath = writeTemp(dir, 'cert.pem', cert.certificate);
  const keyPath = writeTemp(dir, 'key.pem', cert.privateKey);
  const ssl13 = await opensslServer(['-cert', certPath, '-key', keyPath, '-rev', '-tls1_3']);
  const ssl12 = await opensslServer(['-cert', certPath, '-key', keyPath, '-rev', '-tls1_2']);
  const node13 = await nodeTlsServer({ cert: cert.certificate, key: cert.privateKey });
  const node12 = await nodeTlsServer({ cert: cert.certificate, key: cert.privateKey, maxVersion: 'TLSv1.2' });
  const closer = await tcpServer((s) => s.once('data', () => s.destroy()));

  // A Node tls server that answers "cut" with 64 KB; the proxy in front passes 100 bytes of that
  // answer, then ends the connection: the client sees its transport end inside a record.
  let cutNext = false;
  const inner = tls.createServer({ cert: cert.certificate, key: cert.privateKey }, (s) => {
    s.on('data', (d) => {
      if (!d.toString().includes('cut')) return;
      cutNext = true;
      s.write(Buffer.alloc(65536, 0x78));
    });
    s.on('error', () => {});
  });
  inner.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => inner.listen(0, '127.0.0.1', resolve));
  const innerPort = (inner.address() as { port: number }).port;
  const proxySockets = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    proxySockets.add(client);
    client.on('close', () => proxySockets.delete(client));
    const upstream = tcpConnect({ host: '127.0.0.1', port: innerPort });
    upstream.on('data', (chunk) => {
      if (!cutNext) return void client.write(chunk);
      cutNext = false;
      client.end(chunk.subarray(0, 100));
      upstream.destroy();
    });
    client.on('data', (chunk) => upstream.write(chunk));
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.end());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));

  const count = (server: Server): Promise<number> =>
    new Promise((resolve, reject) => server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
  return {
    peers: {
      ca: cert.certificate,
      otherCa,
      resumption: {
        'openssl-tls1.3': { port: ssl13.port, reply: 'gnip' },
        'openssl-tls1.2': { port: ssl12.port, reply: 'gnip' },
        'node-tls1.3': { port: node13.port, reply: 'echo:ping' },
        'node-tls1.2': { port: node12.port, reply: 'echo:ping' },
      },
      closeMidHandshake: closer.port,
      cutMidRecord: (proxy.address() as { port: number }).port,
    },
    openSockets: async () =>
      (await count(node13.server)) + (await count(node12.server)) + (await count(closer.server)) + (await count(inner)) + proxySockets.size,
    close: async () => {
      await Promise.all([ssl13.close(), ssl12.close(), node13.close(), node12.close(), closer.close()]);
      for (const s of proxySockets) s.destroy();
      await new Promise((resolve) => proxy.close(resolve));
      await new Promise((resolve) => inner.close(resolve));
    },
  };
}

/** Starts the peers for one test file (beforeAll) and stops them after it (afterAll). */
export function usePeers(): { get: () => Awaited<ReturnType<typeof startPeers>>; expectNoOpenSockets(): Promise<void> } {
  let peers: Awaited<ReturnType<typeof startPeers>> | undefined;
  beforeAll(async () => {
    const ossl = await loadInstance();
    const cert = ossl.generateCertificate({ commonName: 'localhost', keyType: 'P-256' });
    peers = await startPeers(cert, ossl.generateCertificate({ commonName: 'localhost' }).certificate);
  });
  afterAll(async () => {
    await peers?.close();
  });
  const get = (): Awaited<ReturnType<typeof startPeers>> => {
    if (!peers) throw new Error('the peers are not started');
    return peers;
  };
  return {
    get,
    async expectNoOpenSockets() {
      for (let i = 0; i < 20 && (await get().openSockets()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await get().openSockets()).toBe(0);
    },
  };
}
