// Issue 9: calling into the instance from inside its own callbacks. Safe calls work (freeing the
// session a callback was handed, a handshake on other contexts); calls that would free, restart or
// re-enter what OpenSSL is running right now are refused with ReentrancyError (surfacing as the
// CallbackError's cause when the callback lets it escape). Either way the ledger agrees with C
// afterwards, nothing leaks, and the next handshake works.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CallbackError,
  type Context,
  type GeneratedCertificate,
  type OpenSSL,
  ReentrancyError,
  SESS_CACHE,
  type Session,
  UseAfterFreeError,
} from '../../dist/index.js';
import { loadInstance, useInstance } from '../support/instance.js';
import { contextPair, expectEcho, HOSTNAME } from '../support/tls.js';

let cert: GeneratedCertificate;
let ossl: OpenSSL;

beforeAll(async () => {
  cert = (await loadInstance()).generateCertificate({ commonName: HOSTNAME, keyType: 'P-256' });
});
useInstance({}, (fresh) => {
  ossl = fresh;
});
afterEach(() => {
  expectLedgerAgreesWithC();
});

/** Every live session's C count is exactly what its known holders (handles, connections, caches) hold. */
function expectLedgerAgreesWithC(): void {
  expect(ossl.ledger.violations()).toEqual([]);
  expect(ossl.ledger.stats().lostTraceEvents).toBe(0);
  for (const l of ossl.ledger.live()) {
    expect({ session: l.session, references: l.holders.reduce((n, h) => n + h.references, 0) }).toEqual({
      session: l.session,
      references: l.references,
    });
  }
}

/** The error a call raised (undefined when it returned). */
function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** After whatever a test did: the pair still makes a verified handshake, carries data, and (with a cache) resumes. */
function expectWorks(client: Context, server: Context, resume = true): void {
  const first = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
  expectEcho(first);
  const saved = first.client.get1Session() as Session;
  first.free();
  if (!resume) {
    saved.free();
    return;
  }
  const again = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: saved });
  expect([again.client.sessionReused, again.server.sessionReused]).toEqual([true, true]);
  again.free();
  saved.free();
}

describe('freeing the session a callback was handed', () => {
  it.each(['TLSv1.2', 'TLSv1.3'] as const)(
    '%s: Session.free, SSL_SESSION_free, free-then-keep and upRef-then-free inside onNewSession are all safe',
    (protocol) => {
      const { server, client } = contextPair(ossl, cert, {
        server: { maxVersion: protocol, tickets: false },
        client: { sessionCacheMode: SESS_CACHE.CLIENT | SESS_CACHE.NO_INTERNAL },
      });
      const kept: Session[] = [];
      const serverKept: Session[] = [];
      const ways: ((s: Session, into: Session[]) => boolean | undefined)[] = [
        (s) => {
          s.free();
          return undefined;
        },
        (s) => {
          ossl.SSL_SESSION_free(s);
          return undefined;
        },
        (s) => {
          s.free();
          return true; // claims to keep what it already released: the release stands, OpenSSL drops nothing twice
        },
        (s, into) => {
          into.push(s.upRef());
          s.free();
          return undefined;
        },
      ];
      for (const way of ways) {
        let calls = 0;
        client.onNewSession((s) => {
          calls++;
          return way(s, kept);
        });
        server.onNewSession((s) => way(s, serverKept));
        const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
        pair.pump();
        expect(calls).toBeGreaterThan(0);
        expectLedgerAgreesWithC();
        pair.free();
      }
      expect(kept.length).toBeGreaterThan(0);
      for (const s of kept) expect(s.isResumable).toBe(true);
      const resumed = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: kept.at(-1) });
      expect(resumed.client.sessionReused).toBe(true);
      resumed.free();
      for (const s of [...kept, ...serverKept]) s.free();
      client.onNewSession(null);
      server.onNewSession(null);
      expectWorks(client, server);
      server.free();
      client.free();
      ossl.ledger.assertNoLeaks();
    },
  );
});

describe('a handshake started inside onRemoveSession, on other contexts', () => {
  /** A full handshake with data on an unrelated pair, from inside the callback. */
  function nestedHandshake(other: { client: Context; server: Context }): void {
    const pair = ossl.connectInMemory(other.client, other.server, { hostname: HOSTNAME });
    expectEcho(pair, 'nested');
    pair.free();
  }

  const triggers: [string, (x: Context, client: Context) => void][] = [
    ['flushSessions() removing expired sessions', (x) => x.flushSessions(2 ** 31 - 1)],
    [
      'a full cache evicting its oldest session in the middle of a handshake',
      (x, client) => {
        x.sessionCacheSize = 1;
        ossl.connectInMemory(client, x, { hostname: HOSTNAME }).free();
      },
    ],
    [
      'removeSession()',
      (x, client) => {
        const pair = ossl.connectInMemory(client, x, { hostname: HOSTNAME });
        const view = pair.server.getSession();
        expect(view && x.removeSession(view)).toBe(true);
        pair.free();
      },
    ],
    ['the context being freed', (x) => x.free()],
  ];

  it.each(triggers)('%s: every nested handshake completes; the outer operation completes too', (_name, trigger) => {
    const { server: x, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets: false } });
    const other = contextPair(ossl, cert);
    for (let i = 0; i < 3; i++) ossl.connectInMemory(client, x, { hostname: HOSTNAME }).free();
    let removed = 0;
    x.onRemoveSession(() => {
      removed++;
      nestedHandshake(other);
    });
    trigger(x, client);
    expect(removed).toBeGreaterThan(0);
    expectLedgerAgreesWithC();
    if (!x.isFreed) {
      x.onRemoveSession(null);
      expectWorks(client, x);
      x.free();
    }
    expectWorks(other.client, other.server);
    for (const c of [client, other.client, other.server]) c.free();
    ossl.ledger.assertNoLeaks();
  });
});

describe('calls into what OpenSSL is running right now', () => {
  it('a handshake on the same context from inside its onRemoveSession is refused (before the fix, a full cache evicting inside a handshake refilled itself forever: a hang)', () => {
    const { server: x, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets: false, sessionCacheSize: 2 } });
    const refusals: unknown[] = [];
    x.onRemoveSession(() => {
      refusals.push(thrownBy(() => ossl.connectInMemory(client, x, { hostname: HOSTNAME }).free()));
    });
    for (let i = 0; i < 6; i++) ossl.connectInMemory(client, x, { hostname: HOSTNAME }).free();
    expect(refusals.length).toBeGreaterThanOrEqual(4);
    for (const r of refusals) expect(r).toBeInstanceOf(ReentrancyError);
    expect(x.sessionCount).toBeLessThanOrEqual(2);
    expectLedgerAgreesWithC();
    // Let the refusal escape the callback instead: the handshake that evicted fails cleanly.
    x.onRemoveSession(() => {
      ossl.connectInMemory(client, x, { hostname: HOSTNAME }).free();
    });
    const escaped = thrownBy(() => ossl.connectInMemory(client, x, { hostname: HOSTNAME }));
    expect(escaped).toBeInstanceOf(CallbackError);
    expect((escaped as CallbackError).cause).toBeInstanceOf(ReentrancyError);
    x.onRemoveSession(null);
    x.flushSessions(2 ** 31 - 1);
    expect(x.sessionCount).toBe(0);
    expectWorks(client, x);
    x.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  it("the context's own cache cannot change from inside its callbacks: addSession, removeSession, flushSessions are refused", () => {
    const { server: x, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets: false } });
    const spare = ossl.SSL_SESSION_new();
    const outcomes: unknown[] = [];
    x.onRemoveSession((view) => {
      outcomes.push(thrownBy(() => x.addSession(spare)));
      outcomes.push(thrownBy(() => x.removeSession(view)));
      outcomes.push(thrownBy(() => x.flushSessions()));
    });
    x.onNewSession((s) => {
      outcomes.push(thrownBy(() => x.removeSession(s)));
      outcomes.push(thrownBy(() => x.flushSessions(2 ** 31 - 1)));
    });
    ossl.connectInMemory(client, x, { hostname: HOSTNAME }).free();
    x.flushSessions(2 ** 31 - 1);
    expect(outcomes).toHaveLength(5);
    for (const o of outcomes) expect(o).toBeInstanceOf(ReentrancyError);
    expect(x.sessionCount).toBe(0);
    x.onRemoveSession(null);
    x.onNewSession(null);
    expectWorks(client, x);
    spare.free();
    x.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  const selfCalls: [string, (c: import('../dist/index.js').Connection, other: Session) => unknown][] = [
    [
      "setSession (before the fix: OpenSSL then freed the caller's session instead of its own: a use after free in C)",
      (c, other) => c.setSession(other),
    ],
    ['handshake', (c) => c.handshake()],
    ['read', (c) => c.read()],
    ['shutdown', (c) => c.shutdown()],
    ['free', (c) => c.free()],
    ['free({ abort: true })', (c) => c.free({ abort: true })],
  ];

  describe.each(['client', 'server'] as const)('on its own connection, from inside the %s onNewSession', (side) => {
    it.each(selfCalls)(
      '%s: refused with ReentrancyError; the handshake fails cleanly; the other session keeps its reference',
      (_name, call) => {
        const { server, client } = contextPair(ossl, cert, {
          server: { maxVersion: 'TLSv1.2', tickets: false },
          client: { sessionCacheMode: SESS_CACHE.CLIENT | SESS_CACHE.NO_INTERNAL },
        });
        const other = ossl.SSL_SESSION_new();
        const ctx = side === 'client' ? client : server;
        let inside: unknown = 'not called';
        ctx.onNewSession((_s, connection) => {
          inside = thrownBy(() => call(connection, other));
          if (inside) throw inside;
        });
        const escaped = thrownBy(() => ossl.connectInMemory(client, server, { hostname: HOSTNAME }));
        expect(inside).toBeInstanceOf(ReentrancyError);
        expect(escaped).toBeInstanceOf(CallbackError);
        expect((escaped as CallbackError).cause).toBe(inside);
        expect(ossl.ledger.holders(other).references).toBe(1);
        expectLedgerAgreesWithC();
        ctx.onNewSession(null);
        expectWorks(client, server);
        other.free();
        server.free();
        client.free();
        ossl.ledger.assertNoLeaks();
      },
    );
  });

  it.each([
    ['its own connection, from inside onGetSession', 'connection'],
    ['its own context, from inside onGetSession', 'context'],
  ] as const)('%s: refused; the handshake fails cleanly', (_name, what) => {
    const { server, client } = contextPair(ossl, cert, {
      server: { maxVersion: 'TLSv1.2', tickets: false, sessionCacheMode: SESS_CACHE.SERVER | SESS_CACHE.NO_INTERNAL },
    });
    const first = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const saved = first.client.get1Session() as Session;
    first.free();
    let inside: unknown;
    server.onGetSession((_id, connection) => {
      inside = thrownBy(() => (what === 'connection' ? connection.free() : server.free()));
      if (inside) throw inside;
      return null;
    });
    const escaped = thrownBy(() => ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: saved }));
    expect(inside).toBeInstanceOf(ReentrancyError);
    expect((escaped as CallbackError).cause).toBe(inside);
    expect(server.isFreed).toBe(false);
    server.onGetSession(null);
    expectWorks(client, server, false); // its only cache was the external one just removed
    saved.free();
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  it('its own context, from inside onRemoveSession during flushSessions: refused; freeing it again while it is being freed does nothing', () => {
    const { server: x, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets: false } });
    ossl.connectInMemory(client, x, { hostname: HOSTNAME }).free();
    const inside: unknown[] = [];
    x.onRemoveSession(() => inside.push(thrownBy(() => x.free())));
    x.flushSessions(2 ** 31 - 1);
    expect(inside).toHaveLength(1);
    expect(inside[0]).toBeInstanceOf(ReentrancyError);
    expect(x.isFreed).toBe(false);
    ossl.connectInMemory(client, x, { hostname: HOSTNAME }).free();
    x.free(); // its cache empties: the callback's x.free() is now a no-op
    expect(inside).toHaveLength(2);
    expect(inside[1]).toBeUndefined();
    client.free();
    ossl.ledger.assertNoLeaks();
  });

  it("a connection's session listener freeing that connection: refused; the peer freed from inside a callback: safe, the next step says it was freed", () => {
    const { server, client } = contextPair(ossl, cert, { client: { sessionCacheMode: SESS_CACHE.CLIENT | SESS_CACHE.NO_INTERNAL } });
    const c = client.newConnection({ hostname: HOSTNAME });
    const s = server.newConnection();
    let inside: unknown = 'not called';
    c.onSession(() => {
      inside = thrownBy(() => c.free());
    });
    c.handshake();
    for (let i = 0; i < 10; i++) {
      s.writeEncrypted(c.readEncrypted());
      if (s.isHandshakeDone) s.read();
      else s.handshake();
      c.writeEncrypted(s.readEncrypted());
      if (c.isHandshakeDone) c.read();
      else c.handshake();
    }
    expect(inside).toBeInstanceOf(ReentrancyError);
    c.onSession(null);
    c.free();
    s.free();
    // The peer: not in use by OpenSSL, so freeing it is allowed; the pump then finds it freed.
    client.onNewSession((_s, connection) => {
      for (const other of server.connections) if (other !== connection) other.free();
    });
    const escaped = thrownBy(() => ossl.connectInMemory(client, server, { hostname: HOSTNAME }));
    expect(escaped).toBeInstanceOf(UseAfterFreeError);
    client.onNewSession(null);
    expectWorks(client, server);
    server.free();
    client.free();
    ossl.ledger.assertNoLeaks();
  });
});
