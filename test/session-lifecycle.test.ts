// Issue 3: every statement of SSL_SESSION_new(3) / SSL_SESSION_free(3) (new, dup, up_ref, free,
// and d2i's fresh reference), through the OpenSSL-shaped layer, the idiomatic Session, and both mixed.
import { describe, expect, it } from 'vitest';
import { DoubleFreeError, disposeSymbol, type OpenSSL, Session } from '../dist/index.js';
import { loadInstance, useInstance } from './support/instance.js';
import { liveEntry, referencesOf, sessionDER } from './support/sessions.js';

let ossl: OpenSSL;
useInstance({}, (fresh) => {
  ossl = fresh;
});

/** The ledger's events about one session, oldest first. */
function eventsOf(s: Session) {
  return ossl.ledger.events().filter((e) => e.session === s.sessionId);
}

/** A session with every settable field filled in (DER-encodable: it has a cipher). */
function populatedSession(): Session {
  const s = ossl.d2i_SSL_SESSION(sessionDER());
  s.idContext = Uint8Array.of(9, 8, 7);
  s.time = 1_700_000_000;
  s.timeout = 7200;
  s.hostname = 'example.org';
  s.alpnSelected = new TextEncoder().encode('h2');
  s.maxEarlyData = 16_384;
  s.ticketAppData = Uint8Array.of(0xca, 0xfe);
  return s;
}

describe('SSL_SESSION_new(3): "creates a new SSL_SESSION structure"', () => {
  it('SSL_SESSION_new returns a session with reference count 1, held by one JS handle', () => {
    const s = ossl.SSL_SESSION_new();
    expect(s).toBeInstanceOf(Session);
    expect(s.alive).toBe(true);
    expect(ossl.ledger.live()).toEqual([
      {
        session: s.sessionId,
        references: 1,
        handleReferences: 1,
        handles: [s.handleId],
        holders: [{ kind: 'handle', id: s.handleId, references: 1 }],
      },
    ]);
    const report = ossl.ledger.holders(s);
    expect(report).toMatchObject({ session: s.sessionId, references: 1, handleReferences: 1, unattributed: 0 });
    expect(report.holders).toEqual([{ kind: 'handle', id: expect.stringMatching(/^H\d+$/), references: 1 }]);
    expect(eventsOf(s)).toMatchObject([{ op: 'new', references: 1, cause: 'js', via: 'SSL_SESSION_new' }]);
    ossl.SSL_SESSION_free(s);
    ossl.ledger.assertNoLeaks();
  });

  it('newSession() is SSL_SESSION_new: one reference, and each call makes a distinct session', () => {
    const a = ossl.newSession();
    const b = ossl.newSession();
    expect(a.sessionId).not.toBe(b.sessionId);
    expect(referencesOf(ossl, a)).toBe(1);
    expect(referencesOf(ossl, b)).toBe(1);
    expect(ossl.ledger.stats()).toMatchObject({ liveSessions: 2, handleReferences: 2, js: { new: 2 } });
    a.free();
    b.free();
    ossl.ledger.assertNoLeaks();
  });

  it('assertNoLeaks names a session that is still held, and passes once it is freed', () => {
    const s = ossl.SSL_SESSION_new();
    expect(() => ossl.ledger.assertNoLeaks()).toThrow(s.sessionId);
    s.free();
    ossl.ledger.assertNoLeaks();
  });
});

describe('SSL_SESSION_up_ref(3): "increments the reference count"', () => {
  it('SSL_SESSION_up_ref returns 1 and adds exactly one reference, held through the same object', () => {
    const s = ossl.SSL_SESSION_new();
    expect(ossl.SSL_SESSION_up_ref(s)).toBe(1);
    expect(liveEntry(ossl, s)).toMatchObject({ references: 2, handleReferences: 2 });
    expect(ossl.ledger.holders(s).holders).toEqual([{ kind: 'handle', id: expect.any(String), references: 2 }]);
    expect(ossl.SSL_SESSION_up_ref(s)).toBe(1);
    expect(referencesOf(ossl, s)).toBe(3);
    expect(eventsOf(s).map((e) => [e.op, e.references, e.via])).toEqual([
      ['new', 1, 'SSL_SESSION_new'],
      ['up_ref', 2, 'SSL_SESSION_up_ref'],
      ['up_ref', 3, 'SSL_SESSION_up_ref'],
    ]);
    for (const references of [2, 1, 0]) {
      ossl.SSL_SESSION_free(s);
      expect(referencesOf(ossl, s)).toBe(references);
    }
    ossl.ledger.assertNoLeaks();
  });

  it('Session.upRef() returns a new handle holding one more reference; each handle frees its own', () => {
    const s = ossl.newSession();
    const t = s.upRef();
    expect(t).toBeInstanceOf(Session);
    expect(t).not.toBe(s);
    expect(t.sessionId).toBe(s.sessionId);
    expect(liveEntry(ossl, s)).toMatchObject({ references: 2, handleReferences: 2 });
    expect(liveEntry(ossl, s)?.handles).toHaveLength(2);
    expect(eventsOf(s).at(-1)).toMatchObject({ op: 'up_ref', references: 2, cause: 'js', via: 'Session.upRef' });

    s.free();
    expect(s.alive).toBe(false);
    expect(t.alive).toBe(true);
    expect(liveEntry(ossl, t)).toMatchObject({ references: 1, handleReferences: 1 });
    expect(t.id).toEqual(new Uint8Array(0)); // the session itself is untouched
    t.free();
    expect(liveEntry(ossl, t)).toBeUndefined();
    ossl.ledger.assertNoLeaks();
  });
});

describe('SSL_SESSION_free(3): "decrements the reference count ... frees ... if the reference count has reached 0"', () => {
  it('SSL_SESSION_free subtracts one reference and keeps the session alive while references remain', () => {
    const s = ossl.SSL_SESSION_new();
    const t = s.upRef();
    s.id = Uint8Array.of(1, 2, 3);
    ossl.SSL_SESSION_free(s);
    expect(liveEntry(ossl, t)).toMatchObject({ references: 1, handleReferences: 1 });
    expect(eventsOf(t).at(-1)).toMatchObject({ op: 'free', references: 1, cause: 'js', via: 'SSL_SESSION_free' });
    expect(t.id).toEqual(Uint8Array.of(1, 2, 3));
    ossl.SSL_SESSION_free(t);
    ossl.ledger.assertNoLeaks();
  });

  it('SSL_SESSION_free on the last reference frees the session: the event shows references 0 and live() no longer lists it', () => {
    const s = ossl.SSL_SESSION_new();
    ossl.SSL_SESSION_free(s);
    expect(eventsOf(s).at(-1)).toMatchObject({ op: 'free', references: 0, cause: 'js', via: 'SSL_SESSION_free' });
    expect(ossl.ledger.live()).toEqual([]);
    expect(ossl.ledger.holders(s)).toMatchObject({ references: 0, handleReferences: 0, holders: [] });
    expect(s.alive).toBe(false);
    expect(ossl.ledger.stats()).toMatchObject({ liveSessions: 0, handleReferences: 0, js: { new: 1, free: 1 } });
    ossl.ledger.assertNoLeaks();
  });

  it('SSL_SESSION_free(null) does nothing: no event, no refusal, no change to live sessions', () => {
    const s = ossl.SSL_SESSION_new();
    const events = ossl.ledger.events().length;
    const stats = ossl.ledger.stats();
    expect(ossl.SSL_SESSION_free(null)).toBeUndefined();
    expect(ossl.ledger.events()).toHaveLength(events);
    expect(ossl.ledger.stats()).toEqual(stats);
    expect(liveEntry(ossl, s)).toMatchObject({ references: 1, handleReferences: 1 });
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it("Session.free() releases the handle's reference and marks the handle dead", () => {
    const s = ossl.newSession();
    s.free();
    expect(s.alive).toBe(false);
    expect(eventsOf(s).at(-1)).toMatchObject({ op: 'free', references: 0, cause: 'js', via: 'Session.free' });
    expect(ossl.ledger.live()).toEqual([]);
    ossl.ledger.assertNoLeaks();
  });

  it('`using` frees the handle at the end of its scope', () => {
    let id = '';
    {
      using s = ossl.newSession();
      id = s.sessionId;
      expect(ossl.ledger.live().map((l) => l.session)).toEqual([id]);
    }
    expect(ossl.ledger.live()).toEqual([]);
    expect(ossl.ledger.events().at(-1)).toMatchObject({ op: 'free', session: id, references: 0, via: 'Session.free' });
    ossl.ledger.assertNoLeaks();
  });

  it('`using` frees the handle when its scope is left by an exception', () => {
    expect(() => {
      using s = ossl.newSession();
      s.hostname = 'before.the.throw';
      throw new Error('boom');
    }).toThrow('boom');
    expect(ossl.ledger.live()).toEqual([]);
    ossl.ledger.assertNoLeaks();
  });

  it('disposing a handle that was already freed does nothing (no DoubleFreeError, no refusal)', () => {
    const s = ossl.newSession();
    s.free();
    expect(() => s[disposeSymbol]()).not.toThrow();
    {
      using again = s; // a scope that ends on an already-freed handle
      expect(again.alive).toBe(false);
    }
    expect(ossl.ledger.stats().refused).toBe(0);
    expect(ossl.ledger.stats().js.free).toBe(1);
    ossl.ledger.assertNoLeaks();
  });

  it('disposeSymbol is Symbol.dispose on this runtime', () => {
    expect(disposeSymbol).toBe(Symbol.dispose);
    ossl.ledger.assertNoLeaks();
  });
});

describe('SSL_SESSION_dup(3): "a copy of src ... not owned by any cache that src may have been in"', () => {
  it("dup returns a new session with reference count 1 and its own ledger id; the original's count is unchanged", () => {
    const s = ossl.SSL_SESSION_new();
    const copy = ossl.SSL_SESSION_dup(s);
    expect(copy.sessionId).not.toBe(s.sessionId);
    expect(liveEntry(ossl, copy)).toMatchObject({ references: 1, handleReferences: 1 });
    expect(liveEntry(ossl, s)).toMatchObject({ references: 1, handleReferences: 1 });
    expect(eventsOf(copy)).toMatchObject([{ op: 'dup', references: 1, cause: 'js', via: 'SSL_SESSION_dup' }]);
    ossl.SSL_SESSION_free(copy);
    ossl.SSL_SESSION_free(s);
    ossl.ledger.assertNoLeaks();
  });

  it('the copy has the same value in every field, and encodes to the same DER', () => {
    const s = populatedSession();
    const copy = ossl.SSL_SESSION_dup(s);
    expect(copy.id).toEqual(s.id);
    expect(copy.idContext).toEqual(Uint8Array.of(9, 8, 7));
    expect(copy.time).toBe(1_700_000_000);
    expect(copy.timeout).toBe(7200);
    expect(copy.protocolVersion).toBe(0x0304);
    expect(copy.cipher).toEqual(s.cipher);
    expect(copy.cipher?.name).toBe('TLS_AES_128_GCM_SHA256');
    expect(copy.hostname).toBe('example.org');
    expect(copy.alpnSelected).toEqual(new TextEncoder().encode('h2'));
    expect(copy.masterKey).toEqual(s.masterKey);
    expect(copy.maxEarlyData).toBe(16_384);
    expect(copy.ticketAppData).toEqual(Uint8Array.of(0xca, 0xfe));
    expect(copy.isResumable).toBe(s.isResumable);
    expect(copy.toDER()).toEqual(s.toDER());
    copy.free();
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it("the copy is deep: changing the copy's fields changes nothing in the original, and the reverse", () => {
    const s = populatedSession();
    const der = s.toDER();
    const copy = s.dup();
    copy.id = Uint8Array.of(0x11);
    copy.idContext = Uint8Array.of(0x22);
    copy.hostname = 'copy.example';
    copy.alpnSelected = Uint8Array.of(0x68, 0x33);
    copy.masterKey = new Uint8Array(48).fill(0x55);
    copy.ticketAppData = Uint8Array.of(1);
    copy.timeout = 1;
    copy.maxEarlyData = 1;
    expect(s.toDER()).toEqual(der);
    expect(s.hostname).toBe('example.org');

    const copyDer = copy.toDER();
    s.hostname = 'original.example';
    s.masterKey = new Uint8Array(48).fill(0x66);
    expect(copy.toDER()).toEqual(copyDer);
    expect(copy.hostname).toBe('copy.example');
    copy.free();
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it('the copy outlives the original: freeing the original leaves the copy whole', () => {
    const s = populatedSession();
    const der = s.toDER();
    const copy = s.dup();
    s.free();
    expect(copy.alive).toBe(true);
    expect(copy.toDER()).toEqual(der);
    expect(ossl.ledger.live()).toEqual([
      {
        session: copy.sessionId,
        references: 1,
        handleReferences: 1,
        handles: [copy.handleId],
        holders: [{ kind: 'handle', id: copy.handleId, references: 1 }],
      },
    ]);
    copy.free();
    ossl.ledger.assertNoLeaks();
  });

  it('the copy belongs to no cache: its only holder is the JS handle, nothing is unattributed', () => {
    const s = ossl.newSession();
    const copy = s.dup();
    const report = ossl.ledger.holders(copy);
    expect(report.holders).toEqual([{ kind: 'handle', id: expect.any(String), references: 1 }]);
    expect(report.unattributed).toBe(0);
    copy.free();
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it("a dup of a session in a server's session cache is in no cache: the JS handle is its only holder", () => {
    const cert = ossl.generateCertificate({ keyType: 'P-256', commonName: 'localhost' });
    const server = ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey, tickets: false });
    const client = ossl.createContext({ role: 'client', ca: cert.certificate });
    const pair = ossl.connectInMemory(client, server, { hostname: 'localhost' });
    const cached = pair.server.get1Session() as Session;
    const kinds = (s: Session) =>
      ossl.ledger
        .holders(s)
        .holders.map((h) => h.kind)
        .sort();
    expect(kinds(cached)).toEqual(['cache', 'connection', 'handle']);
    const copy = ossl.SSL_SESSION_dup(cached);
    expect(ossl.ledger.holders(copy)).toMatchObject({ references: 1, handleReferences: 1, unattributed: 0 });
    expect(kinds(copy)).toEqual(['handle']);
    expect(copy.id).toEqual(cached.id);
    const inCache = server.sessionCount;
    server.free(); // its cache drops the original, never the copy
    pair.free();
    client.free();
    expect(inCache).toBeGreaterThan(0);
    expect(ossl.ledger.holders(copy)).toMatchObject({ references: 1, handleReferences: 1 });
    expect(kinds(cached)).toEqual(['handle']);
    copy.free();
    cached.free();
    expect(ossl.ledger.live()).toEqual([]);
    ossl.ledger.assertNoLeaks();
  });

  it('Session.dup() is SSL_SESSION_dup: a new handle on a new session, recorded as a dup', () => {
    const s = ossl.newSession();
    const copy = s.dup();
    expect(copy.sessionId).not.toBe(s.sessionId);
    expect(eventsOf(copy)).toMatchObject([{ op: 'dup', references: 1, via: 'Session.dup' }]);
    expect(ossl.ledger.stats().js).toMatchObject({ new: 1, dup: 1 });
    copy.free();
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it('a dup of a session that holds three references starts at one reference of its own', () => {
    const s = ossl.newSession();
    const t = s.upRef();
    ossl.SSL_SESSION_up_ref(t);
    const copy = ossl.SSL_SESSION_dup(t);
    expect(referencesOf(ossl, s)).toBe(3);
    expect(referencesOf(ossl, copy)).toBe(1);
    copy.free();
    s.free();
    t.free();
    t.free();
    ossl.ledger.assertNoLeaks();
  });
});

describe('d2i_SSL_SESSION(3) and PEM_read: a fresh reference the caller owns', () => {
  it('d2i returns a fresh session with reference count 1 and a new ledger id, independent of the one encoded', () => {
    const s = ossl.d2i_SSL_SESSION(sessionDER());
    const der = s.toDER();
    const decoded = ossl.d2i_SSL_SESSION(der);
    expect(decoded.sessionId).not.toBe(s.sessionId);
    expect(liveEntry(ossl, decoded)).toMatchObject({ references: 1, handleReferences: 1 });
    expect(liveEntry(ossl, s)).toMatchObject({ references: 1, handleReferences: 1 });
    expect(eventsOf(decoded)).toMatchObject([{ op: 'd2i', references: 1, cause: 'js', via: 'd2i_SSL_SESSION' }]);
    decoded.hostname = 'only.the.decoded.one';
    expect(s.hostname).toBeNull();
    s.free();
    expect(decoded.toDER()).not.toEqual(der);
    decoded.free();
    ossl.ledger.assertNoLeaks();
  });

  it('sessionFromDER and sessionFromPEM are d2i and PEM_read: a new handle with one reference each', () => {
    const a = ossl.sessionFromDER(sessionDER());
    const b = ossl.sessionFromPEM(a.toPEM());
    expect(new Set([a.sessionId, b.sessionId]).size).toBe(2);
    expect(referencesOf(ossl, a)).toBe(1);
    expect(referencesOf(ossl, b)).toBe(1);
    expect(eventsOf(b)).toMatchObject([{ op: 'pem_read', references: 1, via: 'PEM_read_SSL_SESSION' }]);
    a.free();
    b.free();
    ossl.ledger.assertNoLeaks();
  });

  it('decoding the same DER twice gives two independent sessions', () => {
    const der = sessionDER();
    const a = ossl.d2i_SSL_SESSION(der);
    const b = ossl.d2i_SSL_SESSION(der);
    expect(a.sessionId).not.toBe(b.sessionId);
    a.free();
    expect(b.toDER()).toEqual(ossl.i2d_SSL_SESSION(b));
    expect(liveEntry(ossl, b)).toMatchObject({ references: 1, handleReferences: 1 });
    b.free();
    ossl.ledger.assertNoLeaks();
  });
});

describe('both layers act on the same objects and the same ledger', () => {
  it('a session made with SSL_SESSION_new is freed through Session.free', () => {
    const s = ossl.SSL_SESSION_new();
    s.free();
    expect(ossl.ledger.live()).toEqual([]);
    ossl.ledger.assertNoLeaks();
  });

  it('a handle from Session.upRef is released with SSL_SESSION_free, the original with Session.free', () => {
    const s = ossl.newSession();
    const t = s.upRef();
    ossl.SSL_SESSION_free(t);
    expect(t.alive).toBe(false);
    expect(liveEntry(ossl, s)).toMatchObject({ references: 1, handleReferences: 1 });
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it('SSL_SESSION_up_ref on a Session makes it hold two references; Session.free releases one at a time, a third is a double free', () => {
    const s = ossl.newSession();
    expect(ossl.SSL_SESSION_up_ref(s)).toBe(1);
    s.free();
    expect(s.alive).toBe(true);
    expect(liveEntry(ossl, s)).toMatchObject({ references: 1, handleReferences: 1 });
    s.free();
    expect(s.alive).toBe(false);
    expect(ossl.ledger.live()).toEqual([]);
    expect(() => s.free()).toThrow(DoubleFreeError);
    ossl.ledger.assertNoLeaks();
  });

  it('disposing a handle releases every reference held through it, including those SSL_SESSION_up_ref added', () => {
    const s = ossl.newSession();
    {
      using scoped = s;
      ossl.SSL_SESSION_up_ref(scoped);
      expect(liveEntry(ossl, s)).toMatchObject({ references: 2, handleReferences: 2 });
    }
    expect(s.alive).toBe(false);
    expect(ossl.ledger.live()).toEqual([]);
    expect(ossl.ledger.stats().js.free).toBe(2);
    ossl.ledger.assertNoLeaks();
  });

  it('the OpenSSL-shaped accessors and the Session properties read and write the same session', () => {
    const s = ossl.newSession();
    ossl.SSL_SESSION_set1_hostname(s, 'shared.example');
    s.timeout = 99;
    expect(s.hostname).toBe('shared.example');
    expect(ossl.SSL_SESSION_get_timeout(s)).toBe(99);
    const copy = ossl.SSL_SESSION_dup(s);
    expect(copy.hostname).toBe('shared.example');
    ossl.SSL_SESSION_free(copy);
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it('the ledger counts every reference event of both layers under its API name', () => {
    const s = ossl.SSL_SESSION_new();
    const t = s.upRef();
    ossl.SSL_SESSION_up_ref(t);
    const d = s.dup();
    const e = ossl.SSL_SESSION_dup(d);
    for (const h of [s, t, t, d]) h.free();
    ossl.SSL_SESSION_free(e);
    expect(
      ossl.ledger
        .events()
        .filter((x) => x.cause === 'js')
        .map((x) => `${x.op}:${x.via}:${x.references}`),
    ).toEqual([
      'new:SSL_SESSION_new:1',
      'up_ref:Session.upRef:2',
      'up_ref:SSL_SESSION_up_ref:3',
      'dup:Session.dup:1',
      'dup:SSL_SESSION_dup:1',
      'free:Session.free:2',
      'free:Session.free:1',
      'free:Session.free:0',
      'free:Session.free:0',
      'free:SSL_SESSION_free:0',
    ]);
    expect(ossl.ledger.stats()).toMatchObject({ liveSessions: 0, handleReferences: 0, js: { new: 1, up_ref: 2, dup: 2, free: 5 } });
    ossl.ledger.assertNoLeaks();
  });
});

describe('the ledger without tracing (trace: false) keeps the same counts', () => {
  it('new, up_ref, dup and free report the same references, and a freed session leaves live()', async () => {
    const quiet = await loadInstance({ trace: false });
    const s = quiet.SSL_SESSION_new();
    const t = s.upRef();
    quiet.SSL_SESSION_up_ref(t);
    const copy = quiet.SSL_SESSION_dup(s);
    expect(quiet.ledger.holders(s)).toMatchObject({ references: 3, handleReferences: 3 });
    expect(quiet.ledger.holders(copy)).toMatchObject({ references: 1, handleReferences: 1 });
    for (const h of [t, s, t, copy]) h.free();
    expect(quiet.ledger.live()).toEqual([]);
    expect(
      quiet.ledger
        .events()
        .filter((e) => e.op === 'free')
        .map((e) => e.references),
    ).toEqual([2, 1, 0, 0]);
    expect(quiet.ledger.violations()).toEqual([]);
    quiet.ledger.assertNoLeaks();
    ossl.ledger.assertNoLeaks();
  });
});
