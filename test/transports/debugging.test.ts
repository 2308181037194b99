// What users ask for when debugging a connection: the negotiated group, the peer's certificate
// chain, and an opt-in key log whose lines decrypt a capture (SSLKEYLOGFILE format).
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OpenSSL } from '../../dist/index.js';
import { useInstance } from '../support/instance.js';

let ossl: OpenSSL;
useInstance({ scope: 'file' }, (fresh) => {
  ossl = fresh;
});

describe('connection debugging', () => {
  it('group names the key exchange: X25519MLKEM768 by default, the configured one otherwise', () => {
    const cert = ossl.generateCertificate({ commonName: 'localhost', keyType: 'P-256' });
    const server = ossl.createContext({ role: 'server', ...cert });
    for (const [groups, expected] of [
      [undefined, 'X25519MLKEM768'],
      ['X25519', 'x25519'],
      ['P-256', 'secp256r1'],
    ] as const) {
      const client = ossl.createContext({ role: 'client', ca: cert.certificate, ...(groups ? { groups } : {}) });
      const pair = ossl.connectInMemory(client, server, { hostname: 'localhost' });
      expect([pair.client.group, pair.server.group]).toEqual([expected, expected]);
      pair.client.free();
      pair.server.free();
      client.free();
    }
    server.free();
    ossl.ledger.assertNoLeaks();
  });

  it('peerCertificateChain is the leaf then its chain, as DER the platform parses', () => {
    const ca = ossl.generateCertificate({ commonName: 'Test Root', keyType: 'P-256' });
    const cert = ossl.generateCertificate({ commonName: 'localhost', keyType: 'P-256' });
    // The server sends its leaf followed by an extra certificate (any PEM after the leaf is chain).
    const server = ossl.createContext({ role: 'server', certificate: cert.certificate + ca.certificate, privateKey: cert.privateKey });
    const client = ossl.createContext({ role: 'client', ca: cert.certificate });
    const pair = ossl.connectInMemory(client, server, { hostname: 'localhost' });
    const chain = pair.client.peerCertificateChain.map((der) => new X509Certificate(der).subject);
    expect(chain).toEqual(['CN=localhost', 'CN=Test Root']);
    expect(pair.server.peerCertificateChain).toEqual([]);
    pair.client.free();
    pair.server.free();
    client.free();
    server.free();
  });

  it('onKeyLog gives SSLKEYLOGFILE lines whose client random and secrets match both sides', () => {
    const cert = ossl.generateCertificate({ commonName: 'localhost', keyType: 'P-256' });
    const server = ossl.createContext({ role: 'server', ...cert });
    const client = ossl.createContext({ role: 'client', ca: cert.certificate });
    const clientLines: string[] = [];
    const serverLines: string[] = [];
    client.onKeyLog((line) => clientLines.push(line));
    server.onKeyLog((line) => serverLines.push(line));
    const pair = ossl.connectInMemory(client, server, { hostname: 'localhost' });
    const labels = clientLines.map((l) => l.split(' ')[0]).sort();
    expect(labels).toEqual([
      'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
      'CLIENT_TRAFFIC_SECRET_0',
      'EXPORTER_SECRET',
      'SERVER_HANDSHAKE_TRAFFIC_SECRET',
      'SERVER_TRAFFIC_SECRET_0',
    ]);
    for (const line of clientLines) expect(line).toMatch(/^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64,96}$/);
    expect([...serverLines].sort()).toEqual([...clientLines].sort());
    // Off again: the next handshake logs nothing.
    client.onKeyLog(null);
    const before = clientLines.length;
    const again = ossl.connectInMemory(client, server, { hostname: 'localhost' });
    expect(clientLines.length).toBe(before);
    for (const c of [pair.client, pair.server, again.client, again.server]) c.free();
    client.free();
    server.free();
  });
});
