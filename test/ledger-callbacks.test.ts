// The session callbacks hand references across the boundary: onNewSession gets one (a handle),
// onRemoveSession and onGetSession a view or what the application returns. Whatever a callback
// does with it, the ledger stays equal to C: every holder named, their sum OpenSSL's count, and a
// reference the callback kept (even by accident) still owned, freeable, and reported if it leaks.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CallbackError,
  type Connection,
  type Context,
  type GeneratedCertificate,
  type OpenSSL,
  SESS_CACHE,
  type Session,
  type SessionView,
} from '../dist/index.js';
import { loadInstance, useInstance } from './support/instance.js';
import { HOSTNAME, leakOf } from './support/tls.js';

let cert: GeneratedCertificate;
let ossl: OpenSSL;

beforeAll(async () => {
  cert = (await loadInstance()).generateCertificate({ commonName: HOSTNAME, keyType: 'P-256' });
});
useInstance({ debug: true }, (fresh) => {
  ossl = fresh;
});

/** A TLS 1.2 server with a session-ID cache (one new session per handshake), a client, and a spare context. */
function setup(sessionCacheMode?: number): { server: Context; client: Context; other: Context } {
  return {
    server: ossl.createContext({
      role: 'server',
      certificate: cert.certificate,
      privateKey: cert.privateKey,
      maxVersion: 'TLSv1.2',
      tickets: false,
      ...(sessionCacheMode === undefined ? {} : { sessionCacheMode }),
    }),
    client: ossl.createContext({ role: 'client', ca: cert.certificate }),
    other: ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey }),
  };
}

/** holders() as { holder: references }, after checking they add up to OpenSSL's own count. */
function holdersOf(s: Session | SessionView): Record<string, number> {
  const report = ossl.ledger.holders(s);
  expect(report.unattributed).toBe(0);
  expect(report.holders.reduce((n, h) => n + h.references, 0)).toBe(report.references);
  return Object.fromEntries(report.holders.map((h) => [h.id, h.references]));
}

function freeAll(...objects: { free(): void }[]): void {
  for (const o of objects) o.free();
}

describe('onNewSession: every way a callback can treat the handle it is given', () => {
  type Got = { handle: Session; connection: Connection };
  const cases: {
    name: string;
    cb: (s: Session, c: Connection, other: Context) => boolean | undefined;
    /** The handle's references after the handshake; the other context's cache. */
    handle: number;
    inOther?: boolean;
    throws?: boolean;
  }[] = [
    { name: 'keeps it (returns true)', cb: () => true, handle: 1 },
    { name: 'returns false', cb: () => false, handle: 0 },
    { name: 'returns nothing', cb: () => undefined, handle: 0 },
    {
      name: 'throws',
      cb: () => {
        throw new Error('boom');
      },
      handle: 0,
      throws: true,
    },
    {
      name: 'takes one more reference, then returns false',
      cb: (s) => {
        ossl.SSL_SESSION_up_ref(s);
        return false;
      },
      handle: 1,
    },
    {
      name: 'takes one more reference, then throws',
      cb: (s) => {
        ossl.SSL_SESSION_up_ref(s);
        throw new Error('boom');
      },
      handle: 1,
      throws: true,
    },
    {
      name: 'takes one more reference and keeps both',
      cb: (s) => {
        ossl.SSL_SESSION_up_ref(s);
        return true;
      },
      handle: 2,
    },
    {
      name: 'frees it inside, then returns false',
      cb: (s) => {
        s.free();
        return false;
      },
      handle: 0,
    },
    {
      name: 'frees it inside, then returns true',
      cb: (s) => {
        s.free();
        return true;
      },
      handle: 0,
    },
    {
      name: "adds it to another context (refused: it is in this context's cache)",
      cb: (s, _c, other) => {
        other.addSession(s);
        return false;
      },
      handle: 0,
      throws: true,
    },
    {
      name: 'adds a copy to another context, then returns false',
      cb: (s, _c, other) => {
        const copy = s.dup();
        other.addSession(copy);
        copy.free();
        return false;
      },
      handle: 0,
    },
    {
      name: 'takes a view of the connection, then returns false',
      cb: (_s, c) => {
        expect(c.getSession()?.sessionId).toBeDefined();
        return false;
      },
      handle: 0,
    },
    {
      name: 'takes a new handle (upRef) and returns false',
      cb: (s) => {
        kept.push(s.upRef());
        return false;
      },
      handle: 0,
    },
  ];
  const kept: Session[] = [];

  for (const c of cases) {
    it(`${c.name}: the ledger equals C, and nothing is lost`, () => {
      kept.length = 0;
      const { server, client, other } = setup();
      let got: Got | null = null;
      server.onNewSession((s, connection) => {
        got = { handle: s, connection };
        return c.cb(s, connection, other);
      });
      let thrown: unknown = null;
      let pair: ReturnType<OpenSSL['connectInMemory']> | null = null;
      try {
        pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
      } catch (error) {
        thrown = error;
      }
      if (c.throws) expect(thrown).toBeInstanceOf(CallbackError);
      else expect(thrown).toBeNull();
      const { handle, connection } = got as unknown as Got;
      const id = handle.sessionId;
      // A failed handshake frees both connections without shutdown: the session leaves the cache.
      const expected: Record<string, number> = c.throws ? {} : { [connection.id]: 1, [`${server.id} cache`]: 1 };
      if (c.handle > 0) expected[handle.handleId] = c.handle;
      if (c.inOther) expected[`${other.id} cache`] = 1;
      for (const k of kept) expected[k.handleId] = 1;
      if (Object.keys(expected).length === 0) expect(ossl.ledger.live().map((l) => l.session)).not.toContain(id);
      else expect(holdersOf(handle)).toEqual(expected);
      // Every reference the callback still holds is the handle's own: it can be released.
      for (let i = 0; i < c.handle; i++) handle.free();
      freeAll(...kept);
      pair?.free();
      freeAll(server, client, other);
      ossl.ledger.assertNoLeaks();
    });
  }

  it('the lost reference: SSL_SESSION_up_ref then return false leaves the handle owning one reference, which assertNoLeaks names with the take that was never given back', () => {
    const { server, client, other } = setup();
    let handle: Session | null = null;
    server.onNewSession((s) => {
      handle = s;
      ossl.SSL_SESSION_up_ref(s);
      return false;
    });
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    pair.free();
    freeAll(server, client, other);
    const s = handle as unknown as Session;
    // C still counts it: OpenSSL dropped one reference, the callback's up_ref is still held.
    expect(ossl.ledger.holders(s)).toMatchObject({ references: 1, handleReferences: 1, unattributed: 0 });
    expect(holdersOf(s)).toEqual({ [s.handleId]: 1 });
    const leak = leakOf(ossl);
    const report = leak.leaks.find((l) => l.sessionId === s.sessionId);
    expect(report).toMatchObject({ handleReferences: 1, references: 1 });
    expect(report?.unmatched.map((t) => [t.holder, t.site, t.via])).toEqual([[s.handleId, 'api', 'SSL_SESSION_up_ref']]);
    expect(report?.unmatched[0].stack).toContain('ledger-callbacks.test.ts');
    expect(leak.message).toContain(`${s.sessionId}: ${s.handleId} took a reference at api (SSL_SESSION_up_ref)`);
    // The reference is not lost: the handle still owns it.
    ossl.SSL_SESSION_free(s);
    ossl.ledger.assertNoLeaks();
  });
});

describe('onRemoveSession: what a callback can do with the view of a session leaving the cache', () => {
  const cases: { name: string; cb: (v: SessionView, other: Context, keep: Session[]) => void; kept: number; inOther?: boolean }[] = [
    { name: 'looks only', cb: (v) => void v.sessionId, kept: 0 },
    { name: 'keeps a handle (upRef)', cb: (v, _o, keep) => void keep.push(v.upRef()), kept: 1 },
    {
      name: 'takes a reference through the view (SSL_SESSION_up_ref)',
      cb: (v, _o, keep) => {
        ossl.SSL_SESSION_up_ref(v);
        keep.push(v as unknown as Session);
      },
      kept: 1,
    },
    {
      name: 'throws',
      cb: () => {
        throw new Error('boom');
      },
      kept: 0,
    },
    { name: 'tries to free the view (refused inside)', cb: (v) => ossl.SSL_SESSION_free(v), kept: 0 },
    { name: 'adds it to another context', cb: (v, other) => void other.addSession(v), kept: 0, inOther: true },
  ];
  for (const c of cases) {
    it(`${c.name}: the cache's reference is released at cache-remove, and the ledger equals C`, () => {
      const { server, client, other } = setup();
      const keep: Session[] = [];
      server.onRemoveSession((v) => c.cb(v, other, keep));
      const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
      const view = pair.server.getSession() as SessionView;
      const s = view.upRef();
      let thrown: unknown = null;
      try {
        server.removeSession(s);
      } catch (error) {
        thrown = error;
      }
      if (c.name === 'throws' || c.name.startsWith('tries')) expect(thrown).toBeInstanceOf(CallbackError);
      else expect(thrown).toBeNull();
      const removal = ossl.ledger.history(s).filter((e) => e.site === 'cache-remove');
      expect(removal.map((e) => [e.op, e.holder])).toEqual([['free', `${server.id} cache`]]);
      const expected: Record<string, number> = { [s.handleId]: 1, [pair.server.id]: 1 };
      for (const k of keep) expected[k.handleId] = (expected[k.handleId] ?? 0) + 1;
      if (c.inOther) expected[`${other.id} cache`] = 1;
      expect(holdersOf(s)).toEqual(expected);
      for (const k of keep) ossl.SSL_SESSION_free(k);
      s.free();
      pair.free();
      freeAll(server, client, other);
      ossl.ledger.assertNoLeaks();
    });
  }
});

describe('onGetSession: what an external cache can return', () => {
  const cases: {
    name: string;
    get: (stored: Session, other: Context, view: SessionView) => Session | SessionView | null;
    inOther?: boolean;
    resumed: boolean;
    throws?: boolean;
    extra?: number;
  }[] = [
    { name: 'the handle it keeps', get: (s) => s, resumed: true },
    { name: 'a view of it', get: (_s, _o, view) => view, resumed: true },
    { name: 'null', get: () => null, resumed: false },
    {
      name: 'throws',
      get: () => {
        throw new Error('boom');
      },
      resumed: false,
      throws: true,
    },
    {
      name: 'the handle after one more reference',
      get: (s) => {
        ossl.SSL_SESSION_up_ref(s);
        return s;
      },
      resumed: true,
      extra: 1,
    },
    {
      name: 'a handle it freed inside (refused)',
      get: (s) => {
        const copy = s.upRef();
        copy.free();
        return copy;
      },
      resumed: false,
      throws: true,
    },
    {
      name: "a session in another context's cache (refused)",
      get: (s, other) => {
        other.addSession(s);
        return s;
      },
      resumed: false,
      throws: true,
      inOther: true,
    },
  ];
  for (const c of cases) {
    it(`returns ${c.name}: the connection's reference is taken at lookup-callback, and the ledger equals C`, () => {
      const { server, client, other } = setup(SESS_CACHE.SERVER | SESS_CACHE.NO_INTERNAL);
      let stored: Session | null = null;
      server.onNewSession((s) => {
        stored ??= s;
        return stored === s;
      });
      const first = ossl.connectInMemory(client, server, { hostname: HOSTNAME }); // stays open: its view is one case
      const offered = first.client.get1Session() as Session;
      const s = stored as unknown as Session;
      // Only the external store has it: the internal cache is off (NO_INTERNAL).
      server.onGetSession(() => c.get(s, other, first.server.getSession() as SessionView));
      let pair: ReturnType<OpenSSL['connectInMemory']> | null = null;
      let thrown: unknown = null;
      try {
        pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: offered });
      } catch (error) {
        thrown = error;
      }
      if (c.throws) expect(thrown).toBeInstanceOf(CallbackError);
      else expect(thrown).toBeNull();
      if (pair) expect(pair.server.sessionReused).toBe(c.resumed);
      const expected: Record<string, number> = { [s.handleId]: 1 + (c.extra ?? 0), [first.server.id]: 1 };
      if (c.inOther) expected[`${other.id} cache`] = 1;
      if (c.resumed && pair) {
        expected[pair.server.id] = 1;
        expect(
          ossl.ledger
            .history(s)
            .filter((e) => e.site === 'lookup-callback')
            .map((e) => [e.op, e.holder]),
        ).toEqual([['up_ref', pair.server.id]]);
      }
      expect(holdersOf(s)).toEqual(expected);
      for (let i = 0; i < 1 + (c.extra ?? 0); i++) s.free();
      pair?.free();
      first.free();
      offered.free();
      freeAll(server, client, other);
      ossl.ledger.assertNoLeaks();
    });
  }
});
