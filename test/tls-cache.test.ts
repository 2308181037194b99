// Issue 4: the session cache of a context, in the spirit of OpenSSL's own test/sslapitest.c
// (execute_test_session, test_tickets, test_session_cache_overflow): the internal cache, an
// external one behind the callbacks, both, TLS 1.3 tickets, the counters, expiry, and callbacks
// that throw. Real handshakes, real OpenSSL; the assertions are what OpenSSL 3.5.7 does.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BorrowExpiredError,
  CallbackError,
  type Context,
  type GeneratedCertificate,
  InvalidArgumentError,
  type OpenSSL,
  SESS_CACHE,
  type Session,
  type SessionView,
} from '../dist/index.js';
import { loadInstance, useInstance } from './support/instance.js';
import { hex } from './support/sessions.js';
import { contextPair, counters, expectEcho, expectHolders, expectNoLeaksBut, HOSTNAME, holderMap, now } from './support/tls.js';

let cert: GeneratedCertificate;
let ossl: OpenSSL;

beforeAll(async () => {
  // PEM text: made once, usable by every instance.
  cert = (await loadInstance()).generateCertificate({ commonName: HOSTNAME, keyType: 'P-256' });
});
useInstance({}, (fresh) => {
  ossl = fresh;
});

/** A full handshake (or a resumption of `session`), data both ways, freed; returns what it learnt. */
function handshake(
  server: Context,
  client: Context,
  session?: Session,
): { clientReused: boolean; serverReused: boolean; session: Session } {
  const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME, ...(session ? { session } : {}) });
  expectEcho(pair);
  const result = {
    clientReused: pair.client.sessionReused,
    serverReused: pair.server.sessionReused,
    session: pair.client.get1Session() as Session,
  };
  pair.free();
  return result;
}

describe("the internal cache (SSL_SESS_CACHE_SERVER, every context's default)", () => {
  it('TLS 1.2 session IDs: the server files each new session under its id and finds it again', () => {
    const { server, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets: false } });
    expect(server.sessionCacheMode).toBe(SESS_CACHE.SERVER);
    expect(client.sessionCacheMode).toBe(SESS_CACHE.SERVER); // so the client caches nothing

    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const cached = pair.server.getSession() as SessionView;
    expect(server.sessionCount).toBe(1);
    expectHolders(ossl, cached, { [`${server.id} cache`]: 1, [pair.server.id]: 1 });
    const saved = pair.client.get1Session() as Session;
    expect(saved.id).toEqual(cached.id);
    pair.free();

    const resumed = handshake(server, client, saved);
    expect([resumed.clientReused, resumed.serverReused]).toEqual([true, true]);
    // The one miss is the first ClientHello: a TLS 1.3-capable client sends a random 32-byte
    // legacy_session_id (RFC 8446, D.4), which the TLS 1.2 server looks up in vain.
    expect(counters(server)).toEqual({ number: 1, accept: 2, acceptGood: 2, hits: 1, misses: 1 });
    expect(counters(client)).toEqual({ connect: 2, connectGood: 2, hits: 1 });
    expect(client.sessionCount).toBe(0);

    resumed.session.free();
    saved.free();
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  it('TLS 1.3 stateless tickets leave the server cache empty, unless an onRemoveSession callback asks to hear of removals', () => {
    const plain = contextPair(ossl, cert);
    handshake(plain.server, plain.client).session.free();
    expect(plain.server.sessionCount).toBe(0);

    // ssl_update_cache: a server with a remove callback caches TLS 1.3 sessions so that it can
    // report their timeouts, one per ticket.
    const told = contextPair(ossl, cert);
    const removed: string[] = [];
    told.server.onRemoveSession((view) => removed.push(view.sessionId));
    handshake(told.server, told.client).session.free();
    expect(told.server.sessionCount).toBe(2);
    told.server.flushSessions(0); // OpenSSL: time 0 flushes every session
    expect(told.server.sessionCount).toBe(0);
    expect(removed).toHaveLength(2);

    for (const { server, client } of [plain, told]) {
      server.free();
      client.free();
    }
    ossl.ledger.assertNoLeaks();
  });
});

describe('an external cache only (SERVER | NO_INTERNAL)', () => {
  /** A JS Map as the server's session store: it holds one handle per filed session. */
  function externalCache(server: Context) {
    const store = new Map<string, Session>();
    const asked: { id: string; found: boolean }[] = [];
    const removed: string[] = [];
    server.onNewSession((s) => {
      store.set(hex(s.id), s);
      return true; // keep the handle: the store owns it now
    });
    server.onGetSession((id) => {
      const s = store.get(hex(id));
      asked.push({ id: hex(id), found: s !== undefined });
      return s ?? null; // OpenSSL takes its own reference; the store keeps its handle
    });
    server.onRemoveSession((view) => {
      removed.push(view.sessionId);
      const s = store.get(hex(view.id));
      store.delete(hex(view.id));
      s?.free();
    });
    return { store, asked, removed };
  }

  it('TLS 1.2: onNewSession files the session, onGetSession finds it by id, the internal cache stays empty', () => {
    const { server, client } = contextPair(ossl, cert, {
      server: { maxVersion: 'TLSv1.2', tickets: false, sessionCacheMode: SESS_CACHE.SERVER | SESS_CACHE.NO_INTERNAL },
    });
    const { store, asked, removed } = externalCache(server);

    const full = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    expect(store.size).toBe(1);
    const [filed] = store.values();
    // The store's handle and the connection hold it; no cache does.
    expectHolders(ossl, filed, { handles: 1, [full.server.id]: 1 });
    const saved = full.client.get1Session() as Session;
    full.free();
    expectHolders(ossl, filed, { handles: 1 });
    expect(server.sessionCount).toBe(0);

    const resumed = handshake(server, client, saved);
    expect([resumed.clientReused, resumed.serverReused]).toEqual([true, true]);
    // First the random legacy_session_id of the full handshake (nobody filed it), then the saved id.
    expect(asked).toEqual([
      { id: expect.any(String), found: false },
      { id: hex(saved.id), found: true },
    ]);
    // NO_INTERNAL_LOOKUP skips the internal lookup, where misses are counted; the callback's find is a cbHit.
    expect(counters(server)).toEqual({ accept: 2, acceptGood: 2, hits: 1, cbHits: 1 });

    // Removing a session the internal cache does not hold returns false, yet OpenSSL still calls
    // the remove callback (remove_session_lock), which is how an external cache hears of it.
    expect(server.removeSession(filed)).toBe(false);
    expect(removed).toEqual([filed.sessionId]);
    expect(store.size).toBe(0);
    expect(filed.alive).toBe(false); // the callback freed the store's handle, the last reference
    const after = handshake(server, client, saved);
    expect(after.serverReused).toBe(false);
    expect(store.size).toBe(1);

    for (const s of [after.session, resumed.session, saved, ...store.values()]) s.free();
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  it('TLS 1.3 stateful tickets: one filing per ticket, found again by the ticket the client offers', () => {
    const { server, client } = contextPair(ossl, cert, {
      server: { tickets: false, sessionCacheMode: SESS_CACHE.SERVER | SESS_CACHE.NO_INTERNAL },
      client: { sessionCacheMode: SESS_CACHE.CLIENT | SESS_CACHE.NO_INTERNAL },
    });
    const { store, asked } = externalCache(server);
    const tickets: Session[] = [];
    client.onNewSession((s) => {
      tickets.push(s);
      return true;
    });

    handshake(server, client).session.free();
    expect(tickets).toHaveLength(2);
    expect(store.size).toBe(2);
    // A stateful ticket is the id of the server's session: the client's session id is its hash.
    const first = tickets[0];
    const resumed = handshake(server, client, first);
    expect([resumed.clientReused, resumed.serverReused]).toEqual([true, true]);
    expect(asked).toEqual([{ id: expect.any(String), found: true }]);
    expect(store.has(asked[0].id)).toBe(true);
    expect(store.size).toBe(3); // the resumption's one new ticket
    expect(counters(server)).toEqual({ accept: 2, acceptGood: 2, hits: 1, cbHits: 1 });
    expect(server.sessionCount).toBe(0);

    for (const s of [resumed.session, ...tickets, ...store.values()]) s.free();
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });
});

describe('both caches (SERVER with callbacks)', () => {
  it('the internal cache answers first; the external one is asked only on an internal miss, and its answer is filed internally again', () => {
    const { server, client } = contextPair(ossl, cert, {
      server: { maxVersion: 'TLSv1.2', tickets: false },
      client: { maxVersion: 'TLSv1.2' }, // no random legacy_session_id: the server looks up only real ids
    });
    // The external store keeps DER, as a shared cache would, and hands out fresh copies.
    const store = new Map<string, Uint8Array>();
    const handedOut: Session[] = [];
    server.onNewSession((s) => {
      store.set(hex(s.id), s.toDER());
      return false; // not kept: OpenSSL drops the callback's reference
    });
    server.onGetSession((id) => {
      const der = store.get(hex(id));
      if (der === undefined) return null;
      const copy = ossl.d2i_SSL_SESSION(der);
      handedOut.push(copy);
      return copy;
    });

    const full = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const serverSession = full.server.get1Session() as Session;
    const saved = full.client.get1Session() as Session;
    full.free();
    expect([server.sessionCount, store.size]).toEqual([1, 1]);

    const internalHit = handshake(server, client, saved);
    expect(internalHit.serverReused).toBe(true);
    expect(handedOut).toHaveLength(0); // the external cache was not asked

    expect(server.removeSession(serverSession)).toBe(true);
    expect(server.sessionCount).toBe(0);
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: saved });
    expect(pair.server.sessionReused).toBe(true);
    expect(handedOut).toHaveLength(1);
    // lookup_sess_in_cache files what the callback found in the internal cache (NO_INTERNAL_STORE unset).
    expect(server.sessionCount).toBe(1);
    expectHolders(ossl, handedOut[0], { handles: 1, [`${server.id} cache`]: 1, [pair.server.id]: 1 });
    pair.free();
    expect(counters(server)).toEqual({ number: 1, accept: 3, acceptGood: 3, hits: 2, misses: 1, cbHits: 1 });

    for (const s of [internalHit.session, serverSession, saved, ...handedOut]) s.free();
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  it('an external cache that hands back the very object removed from the internal cache gets a miss: removal marked it not resumable', () => {
    const { server, client } = contextPair(ossl, cert, {
      server: { maxVersion: 'TLSv1.2', tickets: false },
      client: { maxVersion: 'TLSv1.2' },
    });
    const store = new Map<string, Session>();
    let asked = 0;
    server.onNewSession((s) => {
      store.set(hex(s.id), s);
      return true;
    });
    server.onGetSession((id) => {
      asked++;
      return store.get(hex(id)) ?? null;
    });
    const first = handshake(server, client);
    const [kept] = store.values();
    expect(kept.isResumable).toBe(true);
    server.flushSessions(0);
    expect(kept.isResumable).toBe(false);

    const again = handshake(server, client, first.session);
    expect(asked).toBe(1);
    expect(again.serverReused).toBe(false); // lookup_sess_in_cache ignores a not-resumable session
    expect(counters(server)).toMatchObject({ misses: 1 });
    expect(server.stats.cbHits).toBe(0);

    for (const s of [first.session, again.session, ...store.values()]) s.free();
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });
});

describe('TLS 1.3 tickets', () => {
  it('a full handshake issues two tickets (the client onNewSession runs twice), a resumption one', () => {
    const { server, client } = contextPair(ossl, cert, { client: { sessionCacheMode: SESS_CACHE.CLIENT | SESS_CACHE.NO_INTERNAL } });
    const tickets: Session[] = [];
    client.onNewSession((s, connection) => {
      expect(connection.role).toBe('client');
      tickets.push(s);
      return true;
    });
    handshake(server, client).session.free();
    expect(tickets).toHaveLength(2);
    expect(tickets.every((t) => t.hasTicket && t.isResumable)).toBe(true);
    expect(tickets[0].sessionId).not.toBe(tickets[1].sessionId);
    expect(tickets[0].ticket).not.toEqual(tickets[1].ticket);
    handshake(server, client, tickets[1]).session.free();
    expect(tickets).toHaveLength(3);
    for (const s of tickets) s.free();
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  it.each([0, 1, 3])('numTickets: %i sets how many tickets a full handshake issues', (n) => {
    const { server, client } = contextPair(ossl, cert, {
      server: { numTickets: n },
      client: { sessionCacheMode: SESS_CACHE.CLIENT | SESS_CACHE.NO_INTERNAL },
    });
    let issued = 0;
    client.onNewSession(() => {
      issued++;
      return false;
    });
    const { session } = handshake(server, client);
    expect(issued).toBe(n);
    // Without a ticket the client's session is the handshake's own, which TLS 1.3 cannot resume.
    expect(session.isResumable).toBe(n > 0);
    const next = handshake(server, client, session);
    expect(next.clientReused).toBe(n > 0);
    expect(issued).toBe(n > 0 ? n + 1 : 0);
    next.session.free();
    session.free();
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  it.each([
    ['stateless', true],
    ['stateful', false],
  ] as const)(
    '%s tickets are single-use at the client: with SSL_SESS_CACHE_CLIENT a resumed session is marked not resumable; the server would take the ticket again',
    (_kind, tickets) => {
      const { server, client } = contextPair(ossl, cert, {
        server: { tickets },
        client: { sessionCacheMode: SESS_CACHE.CLIENT | SESS_CACHE.NO_INTERNAL },
      });
      const saved: Session[] = [];
      client.onNewSession((s) => {
        saved.push(s);
        return true;
      });
      handshake(server, client).session.free();
      const [ticket] = saved;
      const copy = ossl.d2i_SSL_SESSION(ticket.toDER()); // the same ticket, in a session OpenSSL never used
      const cachedBefore = server.sessionCount;

      const first = handshake(server, client, ticket);
      expect([first.clientReused, first.serverReused]).toEqual([true, true]);
      // The server does not enforce it: without early data it neither deletes a stateful ticket's
      // session on use (the anti-replay removal runs only when max_early_data > 0: the cache only
      // grew by the resumption's new ticket) nor remembers a stateless one.
      expect(server.sessionCount).toBe(tickets ? 0 : cachedBefore + 1);
      // statem_lib.c: "We encourage applications to only use TLSv1.3 tickets once, so we remove this
      // one from the cache" - and removal marks the session not resumable.
      expect(ticket.isResumable).toBe(false);
      const second = handshake(server, client, ticket);
      expect([second.clientReused, second.serverReused]).toEqual([false, false]);

      // So the same ticket resumes again from a copy the client never marked.
      const replay = handshake(server, client, copy);
      expect([replay.clientReused, replay.serverReused]).toEqual([true, true]);
      // The other ticket of the first handshake is still good.
      const other = handshake(server, client, saved[1]);
      expect(other.serverReused).toBe(true);
      expect(server.stats.hits).toBe(3);

      for (const s of [first.session, second.session, replay.session, other.session, copy, ...saved]) s.free();
      server.free();
      client.free();
      ossl.ledger.assertNoLeaks();
    },
  );

  it('TLS 1.2 sessions are not single-use: the same session resumes again and again', () => {
    for (const tickets of [true, false]) {
      const { server, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets } });
      const { session } = handshake(server, client);
      for (let i = 0; i < 3; i++) {
        const r = handshake(server, client, session);
        expect([r.clientReused, r.serverReused]).toEqual([true, true]);
        r.session.free();
      }
      expect(server.stats.hits).toBe(3);
      expect(session.isResumable).toBe(true);
      session.free();
      server.free();
      client.free();
    }
    ossl.ledger.assertNoLeaks();
  });
});

describe('the SSL_CTX_sess_* counters', () => {
  it('a scripted sequence (fills, evictions, a hit, a miss, a timeout) moves exactly the counters OpenSSL documents', () => {
    const { server, client } = contextPair(ossl, cert, {
      server: { maxVersion: 'TLSv1.2', tickets: false, sessionCacheSize: 3 },
      client: { maxVersion: 'TLSv1.2' },
    });
    expect(server.sessionCacheSize).toBe(3);
    const filed: Session[] = [];
    server.onNewSession((s) => {
      filed.push(s);
      return true;
    });
    const removed: string[] = [];
    server.onRemoveSession((view) => removed.push(view.sessionId));

    const a = handshake(server, client);
    const b = handshake(server, client);
    expect(server.sessionCount).toBe(2);
    expect(counters(server)).toEqual({ number: 2, accept: 2, acceptGood: 2 });
    // SSL_CTX_add_session counts the arriving session (already in its hash table) before it
    // evicts, so a cache of size 3 keeps 2 once full: the third session evicts the oldest.
    const c = handshake(server, client);
    expect(server.sessionCount).toBe(2);
    expect(removed).toEqual([filed[0].sessionId]);
    expect(counters(server)).toEqual({ number: 2, accept: 3, acceptGood: 3, cacheFull: 1 });

    const hitB = handshake(server, client, b.session);
    expect(hitB.serverReused).toBe(true);
    expect(counters(server)).toEqual({ number: 2, accept: 4, acceptGood: 4, hits: 1, cacheFull: 1 });

    // A was evicted: a miss, a full handshake, and its new session evicts the oldest again - B,
    // although B was just resumed (the list is ordered by expiry; hits do not refresh it without
    // SSL_SESS_CACHE_UPDATE_TIME).
    const missA = handshake(server, client, a.session);
    expect(missA.serverReused).toBe(false);
    expect(removed).toEqual([filed[0].sessionId, filed[1].sessionId]);
    expect(counters(server)).toEqual({ number: 2, accept: 5, acceptGood: 5, hits: 1, misses: 1, cacheFull: 2 });

    // C's server session, aged past its lifetime: found, counted as a timeout, removed, not resumed.
    filed[2].time = now() - 100_000;
    const timedOut = handshake(server, client, c.session);
    expect(timedOut.serverReused).toBe(false);
    expect(removed).toEqual([filed[0].sessionId, filed[1].sessionId, filed[2].sessionId]);
    expect(counters(server)).toEqual({ number: 2, accept: 6, acceptGood: 6, hits: 1, misses: 1, timeouts: 1, cacheFull: 2 });
    // The client side: every handshake counted; misses are resumptions the server refused.
    expect(counters(client)).toEqual({ connect: 6, connectGood: 6, hits: 1, misses: 2 });

    for (const r of [a, b, c, hitB, missA, timedOut]) r.session.free();
    for (const s of filed) s.free();
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });
});

describe('expiry', () => {
  it('a session whose time is set far in the past is removed by flushSessions(now): the count drops, onRemoveSession sees a view that expires after the callback', () => {
    const { server, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets: false } });
    let kept: Session | undefined;
    server.onNewSession((s) => {
      kept = s;
      return true;
    });
    const seen: { view: SessionView; alive: boolean; sessionId: string; borrowedFrom: string }[] = [];
    server.onRemoveSession((view, context) => {
      expect(context).toBe(server);
      seen.push({ view, alive: view.alive, sessionId: view.sessionId, borrowedFrom: view.borrowedFrom });
      // During the callback the session is out of the cache's lists, but its reference is still the
      // cache's: OpenSSL releases it (site cache-flush) after the callback returns.
      expect(ossl.ledger.holders(view)).toMatchObject({ references: 2, handleReferences: 1, unattributed: 0 });
      expect(holderMap(ossl.ledger.holders(view))).toEqual({ handles: 1, [`${server.id} cache`]: 1 });
      expect(view.id).toEqual(kept?.id);
    });
    const { session } = handshake(server, client);
    const s = kept as Session;
    expectHolders(ossl, s, { handles: 1, [`${server.id} cache`]: 1 });

    server.flushSessions(); // now: nothing has expired
    expect(server.sessionCount).toBe(1);
    expect(seen).toHaveLength(0);

    const longAgo = now() - 100_000;
    s.time = longAgo; // SSL_SESSION_set_time_ex: re-sorts the cache's expiry list
    expect(s.time).toBe(longAgo);
    server.flushSessions();
    expect(server.sessionCount).toBe(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ alive: true, sessionId: s.sessionId, borrowedFrom: `${server.id} onRemoveSession` });
    expect(seen[0].view.alive).toBe(false);
    expect(() => seen[0].view.id).toThrow(BorrowExpiredError);
    expectHolders(ossl, s, { handles: 1 });
    expect(s.isResumable).toBe(false);

    session.free();
    s.free();
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  it('a short context timeout: new sessions take it, and flushSessions removes them once it has passed', () => {
    const { server, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets: false, timeout: 5 } });
    expect(server.timeout).toBe(5);
    let removed = 0;
    server.onRemoveSession(() => removed++);
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const cached = pair.server.get1Session() as Session;
    pair.free();
    expect(cached.timeout).toBe(5);
    const born = cached.time;
    server.flushSessions(born + 4);
    expect([server.sessionCount, removed]).toEqual([1, 0]);
    server.flushSessions(born + 6);
    expect([server.sessionCount, removed]).toEqual([0, 1]);
    expectHolders(ossl, cached, { handles: 1 });
    cached.free();
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });
});

describe('callbacks that throw', () => {
  it.each(['TLSv1.2', 'TLSv1.3'] as const)(
    'a throwing client onNewSession (%s) surfaces as CallbackError from connectInMemory; nothing leaks; the next handshake works',
    (protocol) => {
      const { server, client } = contextPair(ossl, cert, {
        server: { maxVersion: protocol },
        client: { sessionCacheMode: SESS_CACHE.CLIENT | SESS_CACHE.NO_INTERNAL },
      });
      const boom = new Error('the client store is down');
      let calls = 0;
      client.onNewSession(() => {
        calls++;
        throw boom;
      });
      let thrown: unknown;
      try {
        ossl.connectInMemory(client, server, { hostname: HOSTNAME });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(CallbackError);
      expect(thrown).toMatchObject({ callback: 'onNewSession', cause: boom });
      // TLS 1.3: both tickets arrive in one read, each runs the callback; the first exception is raised.
      expect(calls).toBe(protocol === 'TLSv1.3' ? 2 : 1);
      // The handle made for each call was handed back to OpenSSL, which dropped it.
      expectNoLeaksBut(ossl, [server, client]);
      expect(ossl.ledger.live()).toEqual([]);

      const saved: Session[] = [];
      client.onNewSession((s) => {
        saved.push(s);
        return true;
      });
      handshake(server, client).session.free();
      const resumed = handshake(server, client, saved[0]);
      expect(resumed.clientReused).toBe(true);
      for (const s of [resumed.session, ...saved]) s.free();
      server.free();
      client.free();
      ossl.ledger.assertNoLeaks();
    },
  );

  it('a throwing server onNewSession surfaces as CallbackError; the server context keeps working', () => {
    const { server, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets: false } });
    server.onNewSession(() => {
      throw new TypeError('cannot file');
    });
    expect(() => ossl.connectInMemory(client, server, { hostname: HOSTNAME })).toThrow(CallbackError);
    // The aborted server connection took its session out of the cache again (ssl_clear_bad_session).
    expect(server.sessionCount).toBe(0);
    expectNoLeaksBut(ossl, [server, client]);
    expect(ossl.ledger.live()).toEqual([]);

    server.onNewSession(null);
    const full = handshake(server, client);
    const resumed = handshake(server, client, full.session);
    expect(resumed.serverReused).toBe(true);
    resumed.session.free();
    full.session.free();
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  it('a throwing server onGetSession surfaces as CallbackError from Connection.handshake(); the connection stays failed; the next one resumes', () => {
    const { server, client } = contextPair(ossl, cert, {
      server: { maxVersion: 'TLSv1.2', tickets: false, sessionCacheMode: SESS_CACHE.SERVER | SESS_CACHE.NO_INTERNAL_LOOKUP },
    });
    const full = handshake(server, client);
    const boom = new RangeError('lookup failed');
    server.onGetSession(() => {
      throw boom;
    });
    const c = client.newConnection({ hostname: HOSTNAME, session: full.session });
    const s = server.newConnection();
    expect(c.handshake()).toBe(false); // ClientHello queued
    s.writeEncrypted(c.readEncrypted());
    let thrown: unknown;
    try {
      s.handshake();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CallbackError);
    expect(thrown).toMatchObject({ callback: 'onGetSession', cause: boom });
    expect(() => s.handshake()).toThrow(thrown as Error); // failed for good
    c.free({ abort: true });
    s.free();
    expect(ossl.ledger.stats().handleReferences).toBe(1); // only the saved client session

    server.onGetSession(null);
    server.sessionCacheMode = SESS_CACHE.SERVER;
    const resumed = handshake(server, client, full.session);
    expect(resumed.serverReused).toBe(true);
    resumed.session.free();
    full.session.free();
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  it('a throwing onRemoveSession surfaces from flushSessions as CallbackError, after the flush completed', () => {
    const { server, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets: false } });
    server.onRemoveSession(() => {
      throw new Error('remove failed');
    });
    handshake(server, client).session.free();
    expect(server.sessionCount).toBe(1);
    expect(() => server.flushSessions(0)).toThrow(CallbackError);
    expect(server.sessionCount).toBe(0);
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
    expect(ossl.ledger.live()).toEqual([]);
  });
});

describe('onNewSession on a client context in its default cache mode', () => {
  it('adds CLIENT | NO_INTERNAL_STORE so the callback runs, keeps nothing in its own cache, and the kept session resumes', () => {
    const { server, client } = contextPair(ossl, cert, { server: { tickets: false, maxVersion: 'TLSv1.2' } });
    expect(client.sessionCacheMode).toBe(SESS_CACHE.SERVER);
    const kept: Session[] = [];
    client.onNewSession((session) => {
      kept.push(session);
      return true;
    });
    expect(client.sessionCacheMode).toBe(SESS_CACHE.SERVER | SESS_CACHE.CLIENT | SESS_CACHE.NO_INTERNAL_STORE);
    const first = handshake(server, client);
    expect(kept).toHaveLength(1);
    expect(client.sessionCount).toBe(0);
    const again = handshake(server, client, kept[0]);
    expect([again.clientReused, again.serverReused]).toEqual([true, true]);
    for (const s of [first.session, again.session, ...kept]) s.free();
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  it('refuses an explicit { session: undefined } (a session never obtained) before any handshake, and leaks nothing', () => {
    const { server, client } = contextPair(ossl, cert);
    expect(() => ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: undefined })).toThrow(
      /session is undefined: pass the Session to resume, or leave the option out/,
    );
    expect(() => client.newConnection({ session: undefined })).toThrow(InvalidArgumentError);
    expect(ossl.ledger.live()).toEqual([]);
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });
});
