// Issue 4: real TLS handshakes inside WebAssembly. Every protocol × certificate key × resumption
// mechanism completes a verified full handshake, carries data both ways, resumes with the saved
// session on both sides, and gives every byte of C heap back.
import { describe, expect, it } from 'vitest';
import { type GeneratedCertificate, type KeyType, type OpenSSL, SESS_CACHE, type Session, TLSError } from '../dist/index.js';
import { useInstance } from './support/instance.js';
import { contextPair, expectEcho, HOSTNAME, PROTOCOL_NUMBER } from './support/tls.js';

type Protocol = 'TLSv1.2' | 'TLSv1.3';
const PROTOCOLS: Protocol[] = ['TLSv1.2', 'TLSv1.3'];
const KEY_TYPES: KeyType[] = ['P-256', 'Ed25519', 'RSA-2048'];
/**
 * The server's two ways to resume: stateless tickets (OpenSSL's default), or its session cache
 * (`tickets: false`, SSL_OP_NO_TICKET): session IDs in TLS 1.2, stateful tickets in TLS 1.3.
 */
function resumptions(protocol: Protocol): { tickets: boolean; label: string }[] {
  return [
    { tickets: true, label: 'stateless tickets' },
    { tickets: false, label: protocol === 'TLSv1.2' ? 'session IDs (tickets: false)' : 'stateful tickets (tickets: false)' },
  ];
}

/**
 * How far ledger.heapBytes() may be from where a scenario started, once OpenSSL's one-time caches
 * are warm. Measured (this build, Node 20): the first TLS 1.2 handshake of an instance leaves
 * ~29 KB behind and the first TLS 1.3 one ~3.8 KB more (state OpenSSL sets up on first use and
 * keeps for the instance's lifetime, such as the algorithms it fetched from the default provider),
 * which is why beforeAll runs one scenario of each protocol first. After that, 48 scenarios in a
 * row each ended within ±16 bytes of their start and the total drift stayed within ±16: the count
 * moves in 8-byte steps even for a bare createContext()+free() (a persistent allocation OpenSSL
 * re-makes can land in a free chunk whose tail is too small for dlmalloc to split off, and is
 * counted with it). The tolerance is four times the largest step seen; a leak is far above it
 * (an empty SSL_SESSION is ~800 bytes, a client's TLS 1.3 session after a handshake ~4.2 KB).
 */
const HEAP_TOLERANCE = 64;

/** The cipher OpenSSL 3.5 negotiates between its own defaults. */
function expectedCipher(protocol: Protocol, keyType: KeyType): string {
  if (protocol === 'TLSv1.3') return 'TLS_AES_256_GCM_SHA384';
  // Ed25519 certificates authenticate ECDHE-ECDSA suites in TLS 1.2 (RFC 8422).
  return keyType === 'RSA-2048' ? 'ECDHE-RSA-AES256-GCM-SHA384' : 'ECDHE-ECDSA-AES256-GCM-SHA384';
}

let ossl: OpenSSL;
const certs = {} as Record<KeyType, GeneratedCertificate>;
let warmHeap: number;

/** A full handshake and one resumption, everything freed: fills the caches OpenSSL fills once per instance. */
function warmUp(protocol: Protocol): void {
  const { server, client } = contextPair(ossl, certs['P-256'], {
    server: { minVersion: protocol, maxVersion: protocol },
  });
  const full = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
  expectEcho(full);
  const saved = full.client.get1Session() as Session;
  full.free();
  const resumed = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: saved });
  expect(resumed.client.sessionReused).toBe(true);
  resumed.free();
  saved.free();
  server.free();
  client.free();
}

useInstance({ scope: 'file' }, (fresh) => {
  ossl = fresh;
  // One certificate per key type for the whole file: RSA-2048 key generation takes most of a second.
  for (const keyType of KEY_TYPES) certs[keyType] = ossl.generateCertificate({ commonName: HOSTNAME, keyType });
  for (const protocol of PROTOCOLS) warmUp(protocol);
  ossl.ledger.assertNoLeaks();
  warmHeap = ossl.ledger.heapBytes();
});

describe.each(PROTOCOLS)('%s', (protocol) => {
  describe.each(KEY_TYPES)('%s certificate', (keyType) => {
    it.each(resumptions(protocol))('verified full handshake, data both ways, then resumption with $label', ({ tickets }) => {
      const heapBefore = ossl.ledger.heapBytes();
      const cert = certs[keyType];
      const { server, client } = contextPair(ossl, cert, {
        server: { minVersion: protocol, maxVersion: protocol, tickets },
        // The client hands each new session to onNewSession (CLIENT) and keeps no cache of its own.
        client: { sessionCacheMode: SESS_CACHE.CLIENT | SESS_CACHE.NO_INTERNAL },
      });
      const fromCallback: Session[] = [];
      client.onNewSession((s) => {
        fromCallback.push(s);
        return true; // keep the handle: freed below
      });

      // Full handshake.
      const full = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
      for (const side of [full.client, full.server]) {
        expect(side.isHandshakeDone).toBe(true);
        expect(side.protocol).toBe(protocol);
        expect(side.cipher).toMatchObject({ name: expectedCipher(protocol, keyType), protocol });
        expect(side.sessionReused).toBe(false);
      }
      expect(full.client.verifyResult).toBe(0);
      expect(full.client.peerCertificate).not.toBeNull();
      expectEcho(full, 'full');

      // TLS 1.2: one session per handshake. TLS 1.3: OpenSSL's two tickets, which connectInMemory
      // already pumped to the client (they arrive after the handshake).
      expect(fromCallback).toHaveLength(protocol === 'TLSv1.3' ? 2 : 1);
      const saved = fromCallback[0];
      expect(saved.isResumable).toBe(true);
      expect(saved.protocolVersion).toBe(PROTOCOL_NUMBER[protocol]);
      expect(saved.cipher?.name).toBe(expectedCipher(protocol, keyType));
      expect(saved.hostname).toBe(HOSTNAME);
      expect(saved.peerCertificate).toEqual(full.client.peerCertificate);
      // Only TLS 1.2 with session IDs resumes without a ticket; TLS 1.3 without stateless tickets
      // still sends a (stateful) ticket, which names the session in the server's cache.
      expect(saved.hasTicket).toBe(tickets || protocol === 'TLSv1.3');
      // What the server keeps: TLS 1.2 session IDs and TLS 1.3 stateful tickets live in its
      // internal cache (one session per ticket); stateless tickets carry the session themselves.
      const serverCached = tickets ? 0 : fromCallback.length;
      expect(server.sessionCount).toBe(serverCached);
      // The alternative to the callback: SSL_get1_session after the pump (TLS 1.3: the last ticket).
      const get1 = full.client.get1Session() as Session;
      expect(get1.sessionId).toBe(fromCallback.at(-1)?.sessionId);
      full.free();

      // Resumption with the session the callback saved.
      const resumed = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: saved });
      expect(resumed.client.sessionReused).toBe(true);
      expect(resumed.server.sessionReused).toBe(true);
      expect(resumed.client.protocol).toBe(protocol);
      expect(resumed.server.cipher?.name).toBe(expectedCipher(protocol, keyType));
      expect(resumed.client.verifyResult).toBe(0);
      expectEcho(resumed, 'resumed');
      // SSL_CTX_set_num_tickets(3): "Following a resumption the number of tickets issued will never
      // be more than 1". TLS 1.2 keeps the session it resumed (no new one).
      expect(fromCallback).toHaveLength(protocol === 'TLSv1.3' ? 3 : 1);
      resumed.free();

      // And with the session SSL_get1_session returned.
      const again = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: get1 });
      expect([again.client.sessionReused, again.server.sessionReused]).toEqual([true, true]);
      expectEcho(again, 'again');
      again.free();

      expect(server.stats).toMatchObject({ accept: 3, acceptGood: 3, hits: 2 });
      expect(client.stats).toMatchObject({ connect: 3, connectGood: 3, hits: 2 });

      get1.free();
      for (const s of fromCallback) s.free();
      server.free();
      client.free();
      ossl.ledger.assertNoLeaks();
      expect(ossl.ledger.live()).toEqual([]);
      expect(Math.abs(ossl.ledger.heapBytes() - heapBefore)).toBeLessThanOrEqual(HEAP_TOLERANCE);
    });
  });
});

describe('verification', () => {
  it('is really on: a hostname the certificate does not name fails the handshake with the X509 reason', () => {
    const heapBefore = ossl.ledger.heapBytes();
    const { server, client } = contextPair(ossl, certs['P-256']);
    let thrown: unknown;
    try {
      ossl.connectInMemory(client, server, { hostname: 'other.test' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TLSError);
    // X509_V_ERR_HOSTNAME_MISMATCH
    expect((thrown as TLSError).verifyResult).toBe(62);
    expect((thrown as TLSError).message).toContain('certificate verify failed');
    // The failed connections were freed; the contexts still make verified connections.
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    expect(pair.client.verifyResult).toBe(0);
    pair.free();
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
    expect(Math.abs(ossl.ledger.heapBytes() - heapBefore)).toBeLessThanOrEqual(HEAP_TOLERANCE);
  });

  it('refuses a certificate the client does not trust (another key with the same name)', () => {
    const { server, client } = contextPair(ossl, certs['P-256'], { client: { ca: certs.Ed25519.certificate } });
    let thrown: unknown;
    try {
      ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TLSError);
    // X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: a self-signed leaf that is not in the trust store.
    expect((thrown as TLSError).verifyResult).toBe(18);
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });
});

describe('the C heap over the whole matrix', () => {
  it('ends where it stood once the one-time caches were warm: every handshake gave its memory back', () => {
    ossl.ledger.assertNoLeaks();
    expect(ossl.ledger.live()).toEqual([]);
    expect(Math.abs(ossl.ledger.heapBytes() - warmHeap)).toBeLessThanOrEqual(HEAP_TOLERANCE);
  });
});
