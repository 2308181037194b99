// Contexts, certificates and connections attacked as a hostile caller would, beyond the adversarial
// suite's shapes: a commonName that OpenSSL would read as more subjectAltName entries, key and
// certificate material of the wrong kind, ca lists whose Proxy lies about its length, and the
// key-log and new-session callbacks calling back into what OpenSSL is running (free the connection
// or the context, write, hand-shake another connection). Each refusal: the typed error, nothing in
// C or the ledger changed, the instance still working; each callback case ends clean.
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type Context,
  ForeignObjectError,
  InvalidArgumentError,
  loadOpenSSL,
  OpenSSLError,
  ReentrancyError,
  SESS_CACHE,
  SITES,
  UseAfterFreeError,
} from '../../dist/index.js';
import { expectClean, useInstance } from '../support/instance.js';
import { expectRefused } from '../support/sessions.js';
import { contextPair, HOSTNAME } from '../support/tls.js';

const instance = useInstance();

describe('generateCertificate: the commonName is one DNS name, never more', () => {
  it('a comma or line break in commonName (",DNS:attacker.example", ",IP:127.0.0.1", a wildcard) is an InvalidArgumentError: no certificate for other hosts is made', () => {
    const ossl = instance();
    for (const commonName of [
      `${HOSTNAME},DNS:attacker.example`,
      `${HOSTNAME},IP:127.0.0.1`,
      `${HOSTNAME}, DNS:*.attacker.example`,
      `${HOSTNAME}\nDNS:attacker.example`,
      `${HOSTNAME}\r`,
    ]) {
      expectRefused(ossl, () => ossl.generateCertificate({ commonName }), InvalidArgumentError);
    }
  });

  it('what is made names exactly the commonName: subject CN and one DNS subjectAltName', () => {
    const ossl = instance();
    for (const commonName of [HOSTNAME, 'xn--bcher-kva.example', '*.wild.example', 'a name with spaces']) {
      const x = new X509Certificate(ossl.generateCertificate({ commonName }).certificate);
      expect(x.subject).toBe(`CN=${commonName}`);
      expect(x.subjectAltName).toBe(`DNS:${commonName}`);
    }
  });
});

describe('certificate, privateKey and ca material of the wrong kind', () => {
  it('DER bytes or DER as a string where PEM belongs: refused before C (TypeError; NUL)', () => {
    const ossl = instance();
    const cert = ossl.generateCertificate({ commonName: HOSTNAME });
    const der = Buffer.from(cert.certificate.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
    const server = (o: Record<string, unknown>) => () =>
      ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey, ...o });
    expectRefused(ossl, server({ certificate: der }), TypeError);
    expectRefused(ossl, server({ certificate: der.toString('latin1') }), InvalidArgumentError);
    expectRefused(ossl, server({ privateKey: new TextEncoder().encode(cert.privateKey) }), TypeError);
    expectRefused(ossl, () => ossl.createContext({ role: 'client', ca: der as unknown as string }), TypeError);
  });

  it('a key where the certificate belongs, a certificate where the key belongs, a key of another certificate: OpenSSLError, the context freed, the heap flat over 200 repeats', () => {
    const ossl = instance();
    const cert = ossl.generateCertificate({ commonName: HOSTNAME });
    const other = ossl.generateCertificate({ commonName: 'other.example' });
    for (const [certificate, privateKey] of [
      [cert.privateKey, cert.privateKey],
      [cert.certificate, cert.certificate],
      [cert.certificate, other.privateKey],
    ]) {
      const attempt = (): unknown => ossl.createContext({ role: 'server', certificate, privateKey });
      // The first failures build OpenSSL's lazily made tables (decoders, error strings); after that
      // the heap stays within allocator noise, where a leaked SSL_CTX per attempt would be megabytes.
      for (let i = 0; i < 100; i++) expect(attempt).toThrow(OpenSSLError);
      const heap = ossl.ledger.heapBytes();
      for (let i = 0; i < 200; i++) expect(attempt).toThrow(OpenSSLError);
      expect(ossl.ledger.heapBytes() - heap).toBeLessThan(2048);
    }
  });

  it('a ca Proxy whose length says 10^9 is refused before anything is read or made; a Proxy that tells the truth is read once per entry', () => {
    const ossl = instance();
    const cert = ossl.generateCertificate({ commonName: HOSTNAME });
    const reads: PropertyKey[] = [];
    const lying = new Proxy([cert.certificate], {
      getOwnPropertyDescriptor(t, k) {
        reads.push(k);
        return k === 'length'
          ? { value: 1e9, writable: true, enumerable: false, configurable: false }
          : Reflect.getOwnPropertyDescriptor(t, k);
      },
    });
    expectRefused(ossl, () => ossl.createContext({ role: 'client', ca: lying }), InvalidArgumentError);
    expect(reads).toEqual(['length']);
    reads.length = 0;
    const honest = new Proxy([cert.certificate, cert.certificate], {
      getOwnPropertyDescriptor(t, k) {
        reads.push(k);
        return Reflect.getOwnPropertyDescriptor(t, k);
      },
    });
    const client = ossl.createContext({ role: 'client', ca: honest });
    expect(reads).toEqual(['length', '0', '1']);
    client.free();
  });
});

describe('callbacks that call back into what OpenSSL is running', () => {
  /** A handshake in memory with `install` run on the contexts first; every connection and context freed after. */
  function handshakeWith(install: (server: Context, client: Context) => void): { done: boolean } {
    const ossl = instance();
    const cert = ossl.generateCertificate({ commonName: HOSTNAME, keyType: 'P-256' });
    const { server, client } = contextPair(ossl, cert);
    try {
      install(server, client);
      const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
      const done = pair.client.isHandshakeDone && pair.server.isHandshakeDone;
      pair.free();
      return { done };
    } finally {
      client.free();
      server.free();
    }
  }

  it('onKeyLog freeing its connection or its context, or hand-shaking another connection of the same context: ReentrancyError inside; the handshake completes', () => {
    const seen: string[] = [];
    const record = (fn: () => void): void => {
      try {
        fn();
        seen.push('ran');
      } catch (error) {
        seen.push((error as Error).name);
      }
    };
    expect(handshakeWith((_s, client) => client.onKeyLog((_line, c) => record(() => c.free()))).done).toBe(true);
    expect(handshakeWith((_s, client) => client.onKeyLog(() => record(() => client.free()))).done).toBe(true);
    expect(
      handshakeWith((server, client) =>
        client.onKeyLog(() => record(() => instance().connectInMemory(client, server, { hostname: HOSTNAME }).free())),
      ).done,
    ).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set(['ReentrancyError']));
  });

  it('onKeyLog writing, reading or setting a session on its connection mid-handshake is refused; the handshake completes', () => {
    const seen: string[] = [];
    expect(
      handshakeWith((_s, client) =>
        client.onKeyLog((_line, c) => {
          const fresh = instance().SSL_SESSION_new();
          for (const fn of [() => c.write('early?'), () => c.read(), () => c.setSession(fresh)]) {
            try {
              fn();
              seen.push('ran');
            } catch (error) {
              seen.push((error as Error).name);
            }
          }
          fresh.free();
        }),
      ).done,
    ).toBe(true);
    expect(seen).not.toContain('ran');
    expect(new Set(seen)).toEqual(new Set(['OpenSSLWasmError', 'ReentrancyError']));
  });

  it('onNewSession freeing its context or its connection: ReentrancyError inside, the session handed back, nothing leaks', () => {
    const seen: string[] = [];
    for (const which of ['context', 'connection'] as const) {
      expect(
        handshakeWith((_s, client) =>
          client.onNewSession((_session, c) => {
            try {
              which === 'context' ? client.free() : c.free();
            } catch (error) {
              seen.push(error instanceof ReentrancyError ? 'ReentrancyError' : String(error));
            }
            return false;
          }),
        ).done,
      ).toBe(true);
    }
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(new Set(seen)).toEqual(new Set(['ReentrancyError']));
  });

  it('a callback that throws fails the connection with CallbackError, and everything is freed', () => {
    const ossl = instance();
    const cert = ossl.generateCertificate({ commonName: HOSTNAME });
    const { server, client } = contextPair(ossl, cert);
    client.onKeyLog(() => {
      throw new Error('kaboom');
    });
    expect(() => ossl.connectInMemory(client, server, { hostname: HOSTNAME })).toThrow(/onKeyLog threw: kaboom/);
    expect(client.connections).toEqual([]);
    expect(server.connections).toEqual([]);
    client.free();
    server.free();
  });
});

describe('connections across instances and after free', () => {
  it("another instance's session into setSession / newConnection is a ForeignObjectError; a freed connection's write is a UseAfterFreeError", async () => {
    const ossl = instance();
    const other = await loadOpenSSL();
    const cert = ossl.generateCertificate({ commonName: HOSTNAME });
    const { server, client } = contextPair(ossl, cert);
    const foreign = other.SSL_SESSION_new();
    const c = client.newConnection({ hostname: HOSTNAME });
    expectRefused(ossl, () => c.setSession(foreign), ForeignObjectError);
    expectRefused(ossl, () => client.newConnection({ hostname: HOSTNAME, session: foreign }), ForeignObjectError);
    expectRefused(other, () => other.SSL_get_session(c), ForeignObjectError);
    c.free();
    expectRefused(ossl, () => c.write('after free'), UseAfterFreeError);
    expect(() => c.free()).not.toThrow(); // a second free of a connection does nothing
    foreign.free();
    client.free();
    server.free();
    expectClean(other);
  });
});

describe('the constants the package reads itself cannot be changed by anyone else', () => {
  it('SESS_CACHE, SITES and BRIDGE_CLOSE are frozen: writing to them throws, and onNewSession still sets CLIENT | NO_INTERNAL_STORE', async () => {
    const { BRIDGE_CLOSE } = await import('../../dist/node/bridge.js');
    const tamper = [
      () => Object.assign(SESS_CACHE, { NO_INTERNAL_STORE: 0 }),
      () => Object.assign(SESS_CACHE, { CLIENT: 0 }),
      () => Object.assign(SITES[0], { site: 'forged' }),
      () => (SITES as unknown as unknown[]).push({ site: 'forged' }),
      () => Object.assign(BRIDGE_CLOSE, { NOT_ALLOWED: 1000 }),
    ];
    for (const t of tamper) expect(t).toThrow(TypeError);
    expect(SESS_CACHE.NO_INTERNAL_STORE).toBe(0x0200);
    const ossl = instance();
    const cert = ossl.generateCertificate({ commonName: HOSTNAME });
    const client = ossl.createContext({ role: 'client', ca: cert.certificate });
    client.onNewSession(() => false);
    expect(client.sessionCacheMode).toBe(SESS_CACHE.SERVER | SESS_CACHE.CLIENT | SESS_CACHE.NO_INTERNAL_STORE);
    client.free();
  });
});

describe('a verifying client always has a name to verify', () => {
  it('newConnection() / connectInMemory without hostname (or with an empty one) on a verifying client is refused before C (before, any certificate its CA signed was accepted, for any host)', () => {
    const ossl = instance();
    const cert = ossl.generateCertificate({ commonName: HOSTNAME });
    const { server, client } = contextPair(ossl, cert);
    expectRefused(ossl, () => client.newConnection(), InvalidArgumentError);
    expectRefused(ossl, () => client.newConnection({ alpn: ['h2'] }), InvalidArgumentError);
    expectRefused(ossl, () => ossl.connectInMemory(client, server), InvalidArgumentError);
    expect(client.connections).toEqual([]);
    expect(server.connections).toEqual([]);
    // An empty name is no name: refused before the SSL object is made (OpenSSL refused it only after).
    expectRefused(ossl, () => client.newConnection({ hostname: '' }), InvalidArgumentError);
    expectRefused(ossl, () => server.newConnection({ hostname: '' }), InvalidArgumentError);
    // With the name, the name is checked: another one fails verification.
    expect(() => ossl.connectInMemory(client, server, { hostname: 'other.example' })).toThrow(/hostname mismatch|verify failed/);
    // A context that says verify: false checks nothing, so it needs no name; a server needs none either.
    const insecure = ossl.createContext({ role: 'client', verify: false });
    ossl.connectInMemory(insecure, server).free();
    insecure.free();
    client.free();
    server.free();
  });
});

describe('application data is data: a string travels with its length', () => {
  it('write() sends a string with NUL intact (as a Web stream does); a lone surrogate, which has no UTF-8, is refused before C', () => {
    const ossl = instance();
    const cert = ossl.generateCertificate({ commonName: HOSTNAME });
    const { server, client } = contextPair(ossl, cert);
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    pair.client.write('a\0b');
    expect([...pair.pump().toServer]).toEqual([0x61, 0, 0x62]);
    expectRefused(ossl, () => pair.client.write('a\ud800'), InvalidArgumentError);
    pair.server.write('ok');
    expect(new TextDecoder().decode(pair.pump().toClient)).toBe('ok');
    pair.free();
    client.free();
    server.free();
  });
});
