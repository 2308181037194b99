// Issue 9: misuse that OpenSSL itself does not catch and that corrupts a session cache in C. A
// cache files its sessions in a hash table keyed by (protocol version, id) and in one linked list
// (one pair of links and one owner per session). Changing the key of a cached session, or filing a
// session in a second cache, is refused before reaching C; the caches stay consistent.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CallbackError,
  type Context,
  type GeneratedCertificate,
  InvalidArgumentError,
  type OpenSSL,
  SESS_CACHE,
  type Session,
} from '../../dist/index.js';
import { loadInstance, useInstance } from '../support/instance.js';
import { contextPair, HOSTNAME } from '../support/tls.js';

let cert: GeneratedCertificate;
let ossl: OpenSSL;

beforeAll(async () => {
  cert = (await loadInstance()).generateCertificate({ commonName: HOSTNAME, keyType: 'P-256' });
});
useInstance({}, (fresh) => {
  ossl = fresh;
});

function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** A server context holding one TLS 1.2 session (by id) from a real handshake, and a handle to it. */
function cachedSession(server: Context, client: Context): Session {
  const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
  const s = pair.server.get1Session() as Session;
  pair.free();
  expect(server.sessionCount).toBe(1);
  return s;
}

describe("a cached session's key (protocol version and id)", () => {
  it('cannot change while the session is in a cache (before the fix the entry was stranded: removeSession missed it, and after a flush the table still counted a freed session); a dup can', () => {
    const { server, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets: false } });
    const s = cachedSession(server, client);
    const id = s.id;
    const changes: [string, () => unknown][] = [
      ['Session.id =', () => (s.id = new Uint8Array(32).fill(7))],
      ['Session.protocolVersion =', () => (s.protocolVersion = 0x0304)],
      ['SSL_SESSION_set1_id', () => ossl.SSL_SESSION_set1_id(s, new Uint8Array(32).fill(7))],
      ['SSL_SESSION_set_protocol_version', () => ossl.SSL_SESSION_set_protocol_version(s, 0x0304)],
    ];
    for (const [name, change] of changes) {
      const error = thrownBy(change);
      expect(error, name).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toContain('session cache, which files it under its protocol version and id');
    }
    expect(s.id).toEqual(id);
    expect(s.protocolVersion).toBe(0x0303);
    // Everything else may change under the cache (OpenSSL re-files the session by its new time).
    s.time = Math.floor(Date.now() / 1000) - 10;
    s.timeout = 600;
    s.hostname = 'renamed.example.test';
    // A copy belongs to no cache.
    const copy = s.dup();
    copy.id = new Uint8Array(32).fill(7);
    copy.protocolVersion = 0x0304;
    expect(copy.id).toEqual(new Uint8Array(32).fill(7));
    copy.free();
    // The cache is intact: removeSession finds the entry, and it counts nothing afterwards.
    expect(server.removeSession(s)).toBe(true);
    expect(server.sessionCount).toBe(0);
    // Out of the cache, the key may change.
    s.id = new Uint8Array(32).fill(9);
    expect(server.addSession(s)).toBe(true);
    expect(server.removeSession(s)).toBe(true);
    s.free();
    server.flushSessions(2 ** 31 - 1);
    expect(server.sessionCount).toBe(0);
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });
});

describe('one session in two caches', () => {
  it("is refused (before the fix the second filing relinked the session with the first list's links, and the next flush looped forever); after removal from the first, the second takes it", () => {
    const { server: a, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets: false } });
    const b = ossl.createContext({
      role: 'server',
      certificate: cert.certificate,
      privateKey: cert.privateKey,
      maxVersion: 'TLSv1.2',
      tickets: false,
    });
    const s = cachedSession(a, client);
    for (const add of [() => b.addSession(s), () => ossl.SSL_CTX_add_session(b, s)]) {
      const error = thrownBy(add);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toBe(
        `${b.id}.addSession: the session is in ${a.id}'s session cache, and a session can be in one cache at a time; remove it there first, or use a dup()`,
      );
    }
    expect([a.sessionCount, b.sessionCount]).toEqual([1, 0]);
    // Re-filing in its own cache is OpenSSL's "already there" (0), as before.
    expect(ossl.SSL_CTX_add_session(a, s)).toBe(0);
    // A copy can go anywhere.
    const copy = s.dup();
    expect(b.addSession(copy)).toBe(true);
    copy.free();
    for (let i = 0; i < 3; i++) ossl.connectInMemory(client, a, { hostname: HOSTNAME }).free();
    a.flushSessions(2 ** 31 - 1);
    b.flushSessions(2 ** 31 - 1);
    expect([a.sessionCount, b.sessionCount]).toEqual([0, 0]);
    expect(b.addSession(s)).toBe(true); // out of a's cache now (the flush took it out)
    expect(b.removeSession(s)).toBe(true);
    s.free();
    a.free();
    b.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  it('an external cache (onGetSession) answering with a session another context caches: the handshake fails cleanly with CallbackError; a dup is accepted and resumes', () => {
    const { server: a, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets: false } });
    const b = ossl.createContext({
      role: 'server',
      certificate: cert.certificate,
      privateKey: cert.privateKey,
      maxVersion: 'TLSv1.2',
      tickets: false,
      sessionCacheMode: SESS_CACHE.SERVER | SESS_CACHE.NO_INTERNAL_LOOKUP, // files what onGetSession returns
    });
    const pair = ossl.connectInMemory(client, a, { hostname: HOSTNAME });
    const clientSession = pair.client.get1Session() as Session;
    const serverSession = pair.server.get1Session() as Session;
    pair.free();
    let answer: Session = serverSession;
    b.onGetSession(() => answer);
    const error = thrownBy(() => ossl.connectInMemory(client, b, { hostname: HOSTNAME, session: clientSession }));
    expect(error).toBeInstanceOf(CallbackError);
    expect((error as CallbackError).cause).toBeInstanceOf(InvalidArgumentError);
    expect([a.sessionCount, b.sessionCount]).toEqual([1, 0]);
    answer = serverSession.dup();
    const resumed = ossl.connectInMemory(client, b, { hostname: HOSTNAME, session: clientSession });
    expect([resumed.client.sessionReused, resumed.server.sessionReused]).toEqual([true, true]);
    resumed.free();
    expect([a.sessionCount, b.sessionCount]).toEqual([1, 1]);
    b.onGetSession(null);
    for (const x of [answer, serverSession, clientSession]) x.free();
    a.free();
    b.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });
});
