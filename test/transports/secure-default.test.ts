// Secure by default: a client verifies its server (and the name whenever one is given) unless it
// says `verify: false`; with neither `ca` nor `verify: false` it is refused, saying how to choose.
import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, type OpenSSL, TLSError } from '../../dist/index.js';
import * as web from '../../dist/web/index.js';
import { useOpenSSL } from './fixture.js';

const fx = useOpenSSL();

function handshakeError(client: ReturnType<OpenSSL['createContext']>, hostname?: string): unknown {
  const server = fx.ossl.createContext({ role: 'server', ...fx.cert });
  try {
    const pair = fx.ossl.connectInMemory(client, server, hostname === undefined ? {} : { hostname });
    pair.free();
    return null;
  } catch (error) {
    return error;
  } finally {
    server.free();
  }
}

describe('client contexts are secure by default', () => {
  it('no ca and no verify: false is an InvalidArgumentError that names both choices; nothing is created', () => {
    for (const options of [
      { role: 'client' as const },
      { role: 'client' as const, ca: [] as string[] },
      { role: 'client' as const, verify: true },
    ]) {
      let error: unknown;
      try {
        fx.ossl.createContext(options);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toMatch(/needs `ca`/);
      expect((error as Error).message).toMatch(/verify: false/);
    }
    fx.ossl.ledger.assertNoLeaks();
  });

  it('a client with ca verifies by default and checks the hostname it is given', () => {
    const client = fx.ossl.createContext({ role: 'client', ca: fx.cert.certificate });
    expect(client.verifies).toBe(true);
    expect(handshakeError(client, 'localhost')).toBeNull();
    const mismatch = handshakeError(client, 'wrong.example');
    expect(mismatch).toBeInstanceOf(TLSError);
    expect((mismatch as TLSError).verifyResult).toBe(62); // X509_V_ERR_HOSTNAME_MISMATCH
    client.free();
  });

  it('verify: false is the explicit way out: no ca needed, an unknown certificate is accepted', () => {
    const client = fx.ossl.createContext({ role: 'client', verify: false });
    expect(client.verifies).toBe(false);
    expect(handshakeError(client, 'any.name')).toBeNull();
    client.free();
  });

  it("Node's public roots (tls.rootCertificates) load as ca, and do not trust a self-signed server", () => {
    expect(rootCertificates.length).toBeGreaterThan(100);
    const client = fx.ossl.createContext({ role: 'client', ca: [...rootCertificates] });
    const error = handshakeError(client, 'localhost');
    expect(error).toBeInstanceOf(TLSError);
    expect((error as TLSError).verifyResult).toBe(18); // X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
    client.free();
  });

  it('connect() with a verifying context and no servername is refused, and the transport is released', async () => {
    const client = fx.ossl.createContext({ role: 'client', ca: fx.cert.certificate });
    let cancelled = false;
    const transport = {
      readable: new ReadableStream<Uint8Array>({
        cancel: () => {
          cancelled = true;
        },
      }),
      writable: new WritableStream<Uint8Array>(),
    };
    await expect(web.connect({ transport, context: client })).rejects.toThrow(/give `servername`/);
    expect(transport.readable.locked).toBe(false);
    expect(cancelled).toBe(false); // refused before the stream took the transport: still the caller's
    client.free();
  });
});
