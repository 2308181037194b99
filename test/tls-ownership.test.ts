// Issue 4: who holds a session once TLS is involved. The connection and the context's cache hold
// references OpenSSL takes and drops on its own; the ledger names them after every step, records
// OpenSSL's changes as its own events, and refuses what SSL_SESSION_free(3) forbids.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BorrowExpiredError,
  CallbackError,
  type GeneratedCertificate,
  NotOwnedError,
  type OpenSSL,
  ReentrancyError,
  SESS_CACHE,
  Session,
  SessionView,
} from '../dist/index.js';
import { loadInstance, useInstance } from './support/instance.js';
import { expectRefused } from './support/sessions.js';
import { contextPair, expectEcho, expectHolders, HOSTNAME, now } from './support/tls.js';

let cert: GeneratedCertificate;
let ossl: OpenSSL;

beforeAll(async () => {
  cert = (await loadInstance()).generateCertificate({ commonName: HOSTNAME, keyType: 'P-256' });
});
useInstance({}, (fresh) => {
  ossl = fresh;
});

/**
 * The ledger's events about one session since `after` (a seq): [cause, op, references, via], plus the
 * holder for OpenSSL-caused events (the ledger attributes those to the call OpenSSL ran inside).
 */
function eventsOf(s: Session | SessionView, after = 0): (string | number | undefined)[][] {
  return ossl.ledger
    .events()
    .filter((e) => e.session === s.sessionId && e.seq > after)
    .map((e) => (e.cause === 'openssl' ? [e.cause, e.op, e.references, e.via, e.holder] : [e.cause, e.op, e.references, e.via]));
}

function lastSeq(): number {
  return ossl.ledger.events().at(-1)?.seq ?? 0;
}

describe('SSL_SESSION_free(3) on a session only the cache and a connection hold', () => {
  it('is refused with NotOwnedError; the cache stays intact, flushes cleanly, and a reference taken properly outlives connection and context', () => {
    const { server, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets: false } });
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const cache = `${server.id} cache`;
    const view = pair.server.getSession() as SessionView;
    expect(view).toBeInstanceOf(SessionView);
    expect(server.sessionCount).toBe(1);
    expectHolders(ossl, view, { [cache]: 1, [pair.server.id]: 1 });

    // The man page's failure: "SSL_SESSION_free() must only be called for SSL_SESSION objects, for
    // which the reference count was explicitly incremented". Refused before reaching C: no event,
    // no change to any count or to the heap.
    const error = expectRefused(ossl, () => ossl.SSL_SESSION_free(view), NotOwnedError);
    expect(error.sessionId).toBe(view.sessionId);
    expect(error.message).toContain(`borrowed from SSL_get_session(${pair.server.id})`);
    expect(server.sessionCount).toBe(1);
    expectHolders(ossl, view, { [cache]: 1, [pair.server.id]: 1 });

    // "...the cache list is processed during a SSL_CTX_flush_sessions operation": it walks the list
    // and finds a sound session (not expired, so it stays).
    server.flushSessions();
    expect(server.sessionCount).toBe(1);
    expectHolders(ossl, view, { [cache]: 1, [pair.server.id]: 1 });

    // The right way to keep it: take a reference.
    const kept = view.upRef();
    expect(kept).toBeInstanceOf(Session);
    expectHolders(ossl, kept, { handles: 1, [cache]: 1, [pair.server.id]: 1 });
    const id = kept.id;

    const beforeFree = lastSeq();
    pair.free();
    expect(view.alive).toBe(false);
    expect(() => view.id).toThrow(BorrowExpiredError);
    expectHolders(ossl, kept, { handles: 1, [cache]: 1 });

    server.free(); // the cache drops its reference
    expectHolders(ossl, kept, { handles: 1 });
    client.free();
    expect(eventsOf(kept, beforeFree)).toEqual([
      ['openssl', 'free', 2, `${pair.server.id} free`, pair.server.id],
      ['openssl', 'free', 1, `${server.id} free`, cache],
    ]);
    // The handle outlived connection and context: every getter still reads the session.
    expect(kept.alive).toBe(true);
    expect(kept.id).toEqual(id);
    expect(kept.protocolVersion).toBe(0x0303);
    expect(kept.cipher?.name).toBe('ECDHE-ECDSA-AES256-GCM-SHA384');
    expect(kept.toDER().length).toBeGreaterThan(0);
    expect(kept.isResumable).toBe(false); // freeing the context flushed its cache, which marks sessions so

    kept.free();
    expect(eventsOf(kept).at(-1)).toEqual(['js', 'free', 0, 'Session.free']);
    expect(ossl.ledger.live()).toEqual([]);
    ossl.ledger.assertNoLeaks();
  });
});

describe("holders and events through a session's life", () => {
  it("TLS 1.2 server: connection and cache, a handle, a resumption, removal; OpenSSL's changes are events with cause openssl", () => {
    const { server, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets: false } });
    const cache = `${server.id} cache`;

    // 1. Full handshake: the server connection made the session and filed it in the cache.
    const first = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const serverView = first.server.getSession() as SessionView;
    expectHolders(ossl, serverView, { [cache]: 1, [first.server.id]: 1 });
    expect(eventsOf(serverView)).toEqual([
      ['openssl', 'created', 1, `${first.server.id} handshake`, first.server.id],
      // SSL_CTX_add_session's reference, taken inside the server's handshake step. (The trace does
      // not say whose it is; the ledger names the running call's holder, not the cache.)
      ['openssl', 'up_ref', 2, `${first.server.id} handshake`, expect.any(String)],
    ]);
    const clientView = first.client.getSession() as SessionView;
    expectHolders(ossl, clientView, { [first.client.id]: 1 }); // the client context caches nothing

    // 2. SSL_get1_session: one more reference, the JS side's.
    const serverHandle = first.server.get1Session() as Session;
    const clientHandle = first.client.get1Session() as Session;
    expectHolders(ossl, serverHandle, { handles: 1, [cache]: 1, [first.server.id]: 1 });
    expectHolders(ossl, clientHandle, { handles: 1, [first.client.id]: 1 });
    expect(eventsOf(serverHandle).at(-1)).toEqual(['js', 'get1', 3, `SSL_get1_session(${first.server.id})`]);

    // 3. SSL_free of both connections: each drops its reference (clean shutdown first).
    let mark = lastSeq();
    first.free();
    expectHolders(ossl, serverHandle, { handles: 1, [cache]: 1 });
    expectHolders(ossl, clientHandle, { handles: 1 });
    expect(eventsOf(serverHandle, mark)).toEqual([['openssl', 'free', 2, `${first.server.id} free`, first.server.id]]);
    expect(eventsOf(clientHandle, mark)).toEqual([['openssl', 'free', 1, `${first.client.id} free`, first.client.id]]);

    // 4. Resumption: SSL_set_session gives the client connection a reference; the server finds the
    // cached session and its connection takes one.
    mark = lastSeq();
    const resumed = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: clientHandle });
    expect(resumed.server.sessionReused).toBe(true);
    expectHolders(ossl, clientHandle, { handles: 1, [resumed.client.id]: 1 });
    expectHolders(ossl, serverHandle, { handles: 1, [cache]: 1, [resumed.server.id]: 1 });
    expect(eventsOf(clientHandle, mark)).toEqual([['openssl', 'up_ref', 2, `${resumed.client.id} setSession`, resumed.client.id]]);
    expect(eventsOf(serverHandle, mark)).toEqual([['openssl', 'up_ref', 3, `${resumed.server.id} handshake`, resumed.server.id]]);
    expect((resumed.server.getSession() as SessionView).sessionId).toBe(serverHandle.sessionId);

    // 5. SSL_CTX_remove_session: the cache's reference goes.
    mark = lastSeq();
    expect(server.removeSession(serverHandle)).toBe(true);
    expectHolders(ossl, serverHandle, { handles: 1, [resumed.server.id]: 1 });
    expect(eventsOf(serverHandle, mark)).toEqual([['openssl', 'free', 2, `${server.id} removeSession`, cache]]);
    expect(server.sessionCount).toBe(0);

    // 6. The connections go; the handles are all that is left; freeing them frees the sessions.
    resumed.free();
    expectHolders(ossl, serverHandle, { handles: 1 });
    expectHolders(ossl, clientHandle, { handles: 1 });
    mark = lastSeq();
    serverHandle.free();
    clientHandle.free();
    expect(eventsOf(serverHandle, mark)).toEqual([['js', 'free', 0, 'Session.free']]);
    expect(eventsOf(clientHandle, mark)).toEqual([['js', 'free', 0, 'Session.free']]);
    expect(ossl.ledger.live()).toEqual([]);
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  it("TLS 1.3 client: each ticket is held by the callback's handle, the client cache, and the connection until the next ticket replaces it", () => {
    const { server, client } = contextPair(ossl, cert, { client: { sessionCacheMode: SESS_CACHE.CLIENT } });
    const cache = `${client.id} cache`;
    const tickets: Session[] = [];
    client.onNewSession((s, connection) => {
      // Inside the callback: OpenSSL filed it in the client cache, then took the reference it hands over.
      expectHolders(ossl, s, { handles: 1, [cache]: 1, [connection.id]: 1 });
      tickets.push(s);
      return true;
    });
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const conn = pair.client.id;
    expect(tickets).toHaveLength(2);
    const [t1, t2] = tickets;
    expectHolders(ossl, t1, { handles: 1, [cache]: 1 });
    expectHolders(ossl, t2, { handles: 1, [cache]: 1, [conn]: 1 });
    expect(client.sessionCount).toBe(2);
    expect(eventsOf(t1)).toEqual([
      ['openssl', 'created', 1, `${conn} read`, conn],
      ['openssl', 'up_ref', 2, `${conn} read`, expect.any(String)], // the client cache's reference
      ['js', 'get1', 3, `${client.id} onNewSession`],
      ['openssl', 'free', 2, `${conn} read`, conn], // the second ticket replaced it in the connection
    ]);

    pair.free();
    expectHolders(ossl, t2, { handles: 1, [cache]: 1 });
    const mark = lastSeq();
    client.free(); // the cache's references go with the context
    for (const t of tickets) {
      expectHolders(ossl, t, { handles: 1 });
      expect(eventsOf(t, mark)).toEqual([['openssl', 'free', 1, `${client.id} free`, cache]]);
      t.free();
    }
    server.free();
    ossl.ledger.assertNoLeaks();
    expect(ossl.ledger.live()).toEqual([]);
  });

  it("a view of a TLS 1.3 client connection's session expires when a ticket replaces that session", () => {
    const { server, client } = contextPair(ossl, cert);
    const c = client.newConnection({ hostname: HOSTNAME });
    const s = server.newConnection();
    // Drive the handshake by hand until the client is done, before the tickets are read.
    for (let round = 0; round < 10 && !c.isHandshakeDone; round++) {
      c.handshake();
      s.writeEncrypted(c.readEncrypted());
      s.handshake();
      c.writeEncrypted(s.readEncrypted());
    }
    expect(c.isHandshakeDone).toBe(true);
    const handshakeSession = c.getSession() as SessionView;
    expectHolders(ossl, handshakeSession, { [c.id]: 1 });
    expect(handshakeSession.isResumable).toBe(false); // TLS 1.3: only a ticket makes it resumable

    c.read(); // processes the two NewSessionTicket messages
    expect(handshakeSession.alive).toBe(false);
    expect(() => handshakeSession.hasTicket).toThrow(BorrowExpiredError);
    expect(() => handshakeSession.hasTicket).toThrow(`${c.id} now holds another session`);
    const current = c.getSession() as SessionView;
    expect(current.isResumable).toBe(true);
    expectHolders(ossl, current, { [c.id]: 1 });

    c.free();
    s.free();
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  it("a callback cannot free the connection or the context OpenSSL is running: ReentrancyError, raised as the CallbackError's cause", () => {
    const { server, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets: false } });
    server.onNewSession((_s, connection) => {
      connection.free();
    });
    let thrown: unknown;
    try {
      ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CallbackError);
    expect((thrown as CallbackError).cause).toBeInstanceOf(ReentrancyError);
    server.onNewSession(() => {
      server.free();
    });
    expect(() => ossl.connectInMemory(client, server, { hostname: HOSTNAME })).toThrow(CallbackError);
    expect(server.isFreed).toBe(false);
    server.onNewSession(null);
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    expectEcho(pair);
    pair.free();
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });
});

describe('ending a connection', () => {
  it.each(['TLSv1.2', 'TLSv1.3'] as const)(
    'free() after a completed %s handshake shuts down cleanly: the session stays resumable and resumes',
    (protocol) => {
      const { server, client } = contextPair(ossl, cert, { server: { maxVersion: protocol, tickets: false } });
      const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
      const saved = pair.client.get1Session() as Session;
      const cached = server.sessionCount;
      pair.free();
      expect(saved.isResumable).toBe(true);
      expect(server.sessionCount).toBe(cached);
      const resumed = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: saved });
      expect([resumed.client.sessionReused, resumed.server.sessionReused]).toEqual([true, true]);
      resumed.free();
      saved.free();
      server.free();
      client.free();
      ossl.ledger.assertNoLeaks();
    },
  );

  it.each(['TLSv1.2', 'TLSv1.3'] as const)(
    'free({ abort: true }) of the %s client marks its session not resumable: the next handshake with it is full',
    (protocol) => {
      const { server, client } = contextPair(ossl, cert, { server: { maxVersion: protocol, tickets: false } });
      const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
      const saved = pair.client.get1Session() as Session;
      pair.client.free({ abort: true }); // no close_notify: ssl_clear_bad_session
      pair.server.free();
      expect(saved.isResumable).toBe(false);
      expectHolders(ossl, saved, { handles: 1 });
      const next = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: saved });
      expect([next.client.sessionReused, next.server.sessionReused]).toEqual([false, false]);
      expect(server.stats.hits).toBe(0);
      next.free();
      saved.free();
      server.free();
      client.free();
      ossl.ledger.assertNoLeaks();
    },
  );

  it("free({ abort: true }) of the server takes its session out of the server cache: the client's session, still resumable, is refused", () => {
    const { server, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets: false } });
    const removed: string[] = [];
    server.onRemoveSession((view) => removed.push(view.sessionId));
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const serverSession = (pair.server.getSession() as SessionView).sessionId;
    const saved = pair.client.get1Session() as Session;
    expect(server.sessionCount).toBe(1);
    pair.client.free();
    pair.server.free({ abort: true });
    expect(server.sessionCount).toBe(0);
    expect(removed).toEqual([serverSession]);
    expect(saved.isResumable).toBe(true);
    const next = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: saved });
    expect([next.client.sessionReused, next.server.sessionReused]).toEqual([false, false]);
    next.free();
    saved.free();
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  it('with stateless TLS 1.3 tickets an aborted server loses nothing: the ticket still resumes', () => {
    const { server, client } = contextPair(ossl, cert);
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const saved = pair.client.get1Session() as Session;
    pair.client.free();
    pair.server.free({ abort: true });
    const next = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: saved });
    expect([next.client.sessionReused, next.server.sessionReused]).toEqual([true, true]);
    next.free();
    saved.free();
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });
});

describe('the OpenSSL-shaped TLS functions', () => {
  it('SSL_get_session / SSL_get0_session (views), SSL_get1_session (a handle), SSL_set_session (1), SSL_session_reused (0/1)', () => {
    const { server, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets: false } });
    const c = client.newConnection({ hostname: HOSTNAME });
    const s = server.newConnection();
    // Before any handshake: no session, not reused.
    expect(ossl.SSL_get_session(c)).toBeNull();
    expect(ossl.SSL_get0_session(s)).toBeNull();
    expect(ossl.SSL_get1_session(c)).toBeNull();
    expect(ossl.SSL_session_reused(c)).toBe(0);
    c.free();
    s.free();

    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const view = ossl.SSL_get_session(pair.client) as SessionView;
    const view0 = ossl.SSL_get0_session(pair.client) as SessionView;
    expect(view).toBeInstanceOf(SessionView);
    expect(view0).toBeInstanceOf(SessionView);
    expect(view0.sessionId).toBe(view.sessionId);
    expectHolders(ossl, view, { [pair.client.id]: 1 }); // views take nothing
    const handle = ossl.SSL_get1_session(pair.client) as Session;
    expect(handle).toBeInstanceOf(Session);
    expect(handle.sessionId).toBe(view.sessionId);
    expectHolders(ossl, view, { handles: 1, [pair.client.id]: 1 });
    expect(ossl.SSL_session_reused(pair.client)).toBe(0);
    pair.free();

    const next = client.newConnection({ hostname: HOSTNAME });
    expect(ossl.SSL_set_session(next, handle)).toBe(1);
    expect(ossl.lastError).toBeNull();
    expect((ossl.SSL_get_session(next) as SessionView).sessionId).toBe(handle.sessionId);
    expectHolders(ossl, handle, { handles: 1, [next.id]: 1 });
    next.free();
    const resumed = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: handle });
    expect(ossl.SSL_session_reused(resumed.client)).toBe(1);
    expect(ossl.SSL_session_reused(resumed.server)).toBe(1);
    resumed.free();
    ossl.SSL_SESSION_free(handle);
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  it('SSL_CTX_add_session / SSL_CTX_remove_session return 1 when the cache changed and 0 when it did not; SSL_CTX_sess_number counts', () => {
    const { server, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets: false } });
    const cache = `${server.id} cache`;
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const s = ossl.SSL_get1_session(pair.server) as Session;
    pair.free();
    expect(ossl.SSL_CTX_sess_number(server)).toBe(1);
    expectHolders(ossl, s, { handles: 1, [cache]: 1 });

    let mark = lastSeq();
    expect(ossl.SSL_CTX_remove_session(server, s)).toBe(1);
    expect(ossl.SSL_CTX_sess_number(server)).toBe(0);
    expectHolders(ossl, s, { handles: 1 });
    expect(eventsOf(s, mark)).toEqual([['openssl', 'free', 1, `${server.id} removeSession`, cache]]);
    expect(ossl.SSL_CTX_remove_session(server, s)).toBe(0);
    expect(ossl.SSL_SESSION_is_resumable(s)).toBe(0); // removal marks it

    mark = lastSeq();
    expect(ossl.SSL_CTX_add_session(server, s)).toBe(1);
    expect(ossl.SSL_CTX_sess_number(server)).toBe(1);
    expectHolders(ossl, s, { handles: 1, [cache]: 1 });
    expect(eventsOf(s, mark)).toEqual([['openssl', 'up_ref', 2, `${server.id} addSession`, cache]]);

    // Already there: OpenSSL takes a reference, finds the session, and gives the reference back.
    mark = lastSeq();
    expect(ossl.SSL_CTX_add_session(server, s)).toBe(0);
    expect(ossl.SSL_CTX_sess_number(server)).toBe(1);
    expectHolders(ossl, s, { handles: 1, [cache]: 1 });
    expect(eventsOf(s, mark)).toEqual([
      ['openssl', 'up_ref', 3, `${server.id} addSession`, cache],
      ['openssl', 'free', 2, `${server.id} addSession`, cache],
    ]);

    // Freeing the context empties its cache.
    mark = lastSeq();
    server.free();
    expectHolders(ossl, s, { handles: 1 });
    expect(eventsOf(s, mark)).toEqual([['openssl', 'free', 1, `${server.id} free`, cache]]);
    ossl.SSL_SESSION_free(s);
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  it('a session without an id (a TLS 1.2 server session sent as a ticket) can be added to a cache, but SSL_CTX_remove_session returns 0 and leaves it there', () => {
    const { server, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2' } });
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const s = ossl.SSL_get1_session(pair.server) as Session;
    pair.free();
    expect(s.id).toHaveLength(0); // cleared when the ticket was made
    expect(ossl.SSL_CTX_sess_number(server)).toBe(0);
    expect(ossl.SSL_CTX_add_session(server, s)).toBe(1);
    // remove_session_lock acts only on sessions with an id.
    expect(ossl.SSL_CTX_remove_session(server, s)).toBe(0);
    expect(ossl.SSL_CTX_sess_number(server)).toBe(1);
    expectHolders(ossl, s, { handles: 1, [`${server.id} cache`]: 1 });
    ossl.SSL_CTX_flush_sessions(server, 0); // time 0: OpenSSL flushes every session
    expect(ossl.SSL_CTX_sess_number(server)).toBe(0);
    expectHolders(ossl, s, { handles: 1 });
    ossl.SSL_SESSION_free(s);
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  it('SSL_CTX_set_session_cache_mode and SSL_CTX_set_timeout return the previous value; the getters the current one', () => {
    const { server, client } = contextPair(ossl, cert);
    expect(ossl.SSL_CTX_get_session_cache_mode(server)).toBe(SESS_CACHE.SERVER);
    expect(ossl.SSL_CTX_set_session_cache_mode(server, SESS_CACHE.SERVER | SESS_CACHE.NO_INTERNAL)).toBe(SESS_CACHE.SERVER);
    expect(ossl.SSL_CTX_get_session_cache_mode(server)).toBe(0x0302);
    expect(ossl.SSL_CTX_set_session_cache_mode(server, SESS_CACHE.SERVER)).toBe(0x0302);
    expect(ossl.SSL_CTX_set_session_cache_mode(client, SESS_CACHE.OFF)).toBe(SESS_CACHE.SERVER);
    expect(client.sessionCacheMode).toBe(SESS_CACHE.OFF);

    // OpenSSL's default session lifetime for TLS contexts: two hours.
    expect(ossl.SSL_CTX_set_timeout(server, 300)).toBe(7200);
    expect(server.timeout).toBe(300);
    expect(ossl.SSL_CTX_set_timeout(server, 7200)).toBe(300);
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  it('SSL_CTX_flush_sessions removes the sessions expired at the given time, and nothing else', () => {
    const { server, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets: false } });
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const s = ossl.SSL_get1_session(pair.server) as Session;
    pair.free();
    expect(ossl.SSL_CTX_sess_number(server)).toBe(1);
    expect(ossl.SSL_CTX_flush_sessions(server, now())).toBeUndefined();
    expect(ossl.SSL_CTX_sess_number(server)).toBe(1);
    expect(ossl.SSL_SESSION_is_resumable(s)).toBe(1);
    ossl.SSL_CTX_flush_sessions(server, ossl.SSL_SESSION_get_time(s) + ossl.SSL_SESSION_get_timeout(s) + 1);
    expect(ossl.SSL_CTX_sess_number(server)).toBe(0);
    expect(ossl.SSL_SESSION_is_resumable(s)).toBe(0);
    expectHolders(ossl, s, { handles: 1 });
    ossl.SSL_SESSION_free(s);
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });
});

describe('connections and contexts belong to one instance', () => {
  it("the OpenSSL-shaped TLS functions refuse another instance's connection or context with ForeignObjectError", async () => {
    const { ForeignObjectError } = await import('../dist/index.js');
    const a = await loadInstance();
    const b = await loadInstance();
    const cert = a.generateCertificate();
    const server = a.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey });
    const client = a.createContext({ role: 'client', ca: cert.certificate });
    const pair = a.connectInMemory(client, server, { hostname: 'localhost' });
    expect(() => b.SSL_get_session(pair.client)).toThrow(ForeignObjectError);
    expect(() => b.SSL_get1_session(pair.client)).toThrow(ForeignObjectError);
    expect(() => b.SSL_session_reused(pair.server)).toThrow(ForeignObjectError);
    expect(() => b.SSL_CTX_sess_number(server)).toThrow(ForeignObjectError);
    expect(() => b.SSL_CTX_set_timeout(server, 10)).toThrow(ForeignObjectError);
    expect(a.SSL_CTX_sess_number(server)).toBe(server.sessionCount);
    pair.free();
    client.free();
    server.free();
    a.ledger.assertNoLeaks();
    b.ledger.assertNoLeaks();
  });
});
