// Every site where OpenSSL moves a session reference on its own, provoked through the public API:
// the ledger records the site and the true holder (the connection, the context's cache, the handle),
// and its holders, derived from those events, add up to OpenSSL's own count after every call.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Context,
  type ContextOptions,
  type GeneratedCertificate,
  type LedgerEvent,
  type OpenSSL,
  SESS_CACHE,
  type Session,
  type SessionView,
  TLSError,
} from '../dist/index.js';
import { loadInstance, useInstance } from './support/instance.js';
import { HOSTNAME } from './support/tls.js';

let cert: GeneratedCertificate;
let ossl: OpenSSL;
let mark = 0;

beforeAll(async () => {
  cert = (await loadInstance()).generateCertificate({ commonName: HOSTNAME, keyType: 'P-256' });
});
useInstance({ debug: true }, (fresh) => {
  // debug: the ledger checks its holders against C after every call
  ossl = fresh;
  mark = 0;
});

type Overrides = Omit<ContextOptions, 'role' | 'certificate' | 'privateKey'>;
function contexts(server: Overrides = {}, client: Overrides = {}): { server: Context; client: Context } {
  return {
    server: ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey, ...server }),
    client: ossl.createContext({ role: 'client', ca: cert.certificate, ...client }),
  };
}
const TLS12_ID_CACHE: Overrides = { maxVersion: 'TLSv1.2', tickets: false };

/** [op, site, holder] of every event since the last call, for every session. */
function since(): [string, string, string | undefined, string][] {
  const events = ossl.ledger.events().filter((e) => e.seq > mark);
  mark = events.at(-1)?.seq ?? mark;
  return events.map((e) => [e.op, e.site, e.holder, e.session]);
}
/** The [op, site, holder] of `s`'s own events since the last call. */
function sitesOf(s: Session | SessionView | string, events: ReturnType<typeof since>): [string, string, string | undefined][] {
  const id = typeof s === 'string' ? s : s.sessionId;
  return events.filter((e) => e[3] === id).map(([op, site, holder]) => [op, site, holder]);
}
function holdersOf(s: Session | SessionView): Record<string, number> {
  const report = ossl.ledger.holders(s);
  expect(report.holders.reduce((n, h) => n + h.references, 0)).toBe(report.references);
  return Object.fromEntries(report.holders.map((h) => [h.id, h.references]));
}

describe('sites of a direct call: the handle the call went through is the holder', () => {
  it('api, dup, d2i: new, up_ref, free, dup and decode name the handle', () => {
    const s = ossl.SSL_SESSION_new();
    ossl.SSL_SESSION_up_ref(s);
    const copy = s.dup();
    ossl.SSL_SESSION_free(s);
    const fromPEM = ossl.sessionFromPEM(pemOfHandshake());
    const der = fromPEM.toDER();
    fromPEM.free();
    mark = ossl.ledger.events().at(-1)?.seq ?? 0;
    const decoded = ossl.d2i_SSL_SESSION(der);
    expect(sitesOf(decoded, since())).toEqual([['d2i', 'd2i', decoded.handleId]]);
    expect(ossl.ledger.history(s).map((e) => [e.op, e.site, e.holder, e.references])).toEqual([
      ['new', 'api', s.handleId, 1],
      ['up_ref', 'api', s.handleId, 2],
      ['free', 'api', s.handleId, 1],
    ]);
    expect(ossl.ledger.history(copy).map((e) => [e.op, e.site, e.holder])).toEqual([['dup', 'dup', copy.handleId]]);
    ossl.SSL_SESSION_free(s);
    copy.free();
    decoded.free();
  });
});

/** A PEM of a real session (a handshake's), made in this instance and freed again. */
function pemOfHandshake(): string {
  const { server, client } = contexts();
  const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
  const s = pair.client.get1Session() as Session;
  const pem = s.toPEM();
  s.free();
  pair.free();
  client.free();
  server.free();
  return pem;
}

describe('sites of a handshake', () => {
  it('handshake-new, cache-insert, get1, connection-free: TLS 1.2 with the server cache', () => {
    const { server, client } = contexts(TLS12_ID_CACHE);
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const c = pair.client.id;
    const sv = pair.server.id;
    const events = since();
    const clientSession = pair.client.getSession() as SessionView;
    const serverSession = pair.server.getSession() as SessionView;
    expect(sitesOf(clientSession, events)).toEqual([['created', 'handshake-new', c]]);
    expect(sitesOf(serverSession, events)).toEqual([
      ['created', 'handshake-new', sv],
      ['up_ref', 'cache-insert', `${server.id} cache`],
    ]);
    expect(holdersOf(serverSession)).toEqual({ [sv]: 1, [`${server.id} cache`]: 1 });
    const kept = pair.client.get1Session() as Session;
    expect(sitesOf(kept, since())).toEqual([['get1', 'get1', kept.handleId]]);
    pair.free();
    expect(sitesOf(kept, since())).toEqual([['free', 'connection-free', c]]);
    expect(holdersOf(kept)).toEqual({ [kept.handleId]: 1 });
    kept.free();
    client.free();
    server.free();
  });

  it('ticket-encrypt, ticket-replace: a TLS 1.3 server encodes a private copy into each ticket, the client replaces its session on each', () => {
    const { server, client } = contexts();
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const events = since();
    const sv = pair.server.id;
    // Per ticket the server makes a private copy (created and freed in the same step) and, from the
    // second ticket on, replaces its connection's session with a copy.
    const serverSites = events.filter((e) => e[2] === sv).map(([op, site]) => `${op} ${site}`);
    expect(serverSites).toEqual([
      'created handshake-new',
      'created ticket-encrypt',
      'free ticket-encrypt',
      'created ticket-replace',
      'free ticket-replace',
      'created ticket-encrypt',
      'free ticket-encrypt',
    ]);
    // The client's tickets arrive (connectInMemory reads them): each replaces its session with a copy.
    const c = pair.client.id;
    const clientEvents = events.filter((e) => e[2] === c);
    expect(clientEvents.map(([op, site]) => `${op} ${site}`)).toEqual([
      'created handshake-new',
      'created ticket-replace',
      'free ticket-replace',
      'created ticket-replace',
      'free ticket-replace',
    ]);
    expect(clientEvents[2][3]).toBe(clientEvents[0][3]);
    expect(clientEvents[4][3]).toBe(clientEvents[1][3]);
    expect(clientEvents[3][3]).toBe((pair.client.getSession() as SessionView).sessionId);
    pair.free();
    client.free();
    server.free();
  });
});

describe('sites of resumption', () => {
  it('set-session and lookup: TLS 1.2 resumption from the server cache; the session is then held by cache and both connections', () => {
    const { server, client } = contexts(TLS12_ID_CACHE);
    const first = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const s = first.client.get1Session() as Session;
    first.free();
    since();
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: s });
    expect(pair.client.sessionReused).toBe(true);
    const events = since();
    expect(sitesOf(s, events)).toEqual([['up_ref', 'set-session', pair.client.id]]);
    const cached = pair.server.getSession() as SessionView;
    // The server's fresh session is dropped when it finds the cached one.
    expect(sitesOf(cached, events)).toEqual([['up_ref', 'lookup', pair.server.id]]);
    expect(holdersOf(cached)).toEqual({ [`${server.id} cache`]: 1, [pair.server.id]: 1 });
    pair.free();
    s.free();
    client.free();
    server.free();
  });

  it('ticket-decrypt and cache-single-use: a TLS 1.3 server decodes the ticket; a client with an internal cache drops the ticket it used', () => {
    const { server, client } = contexts({}, { sessionCacheMode: SESS_CACHE.CLIENT });
    let ticket: Session | null = null;
    client.onNewSession((s) => {
      if (ticket) return false;
      ticket = s;
      return true;
    });
    const first = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    first.client.read();
    first.free();
    const s = ticket as unknown as Session;
    expect(holdersOf(s)).toEqual({ [s.handleId]: 1, [`${client.id} cache`]: 1 });
    since();
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: s });
    expect(pair.client.sessionReused).toBe(true);
    const events = since();
    expect(sitesOf(s, events)).toEqual([
      ['up_ref', 'set-session', pair.client.id],
      ['free', 'cache-single-use', `${client.id} cache`],
      ['free', 'ticket-replace', pair.client.id], // the resumed connection's first new ticket
    ]);
    const decoded = events.find((e) => e[1] === 'ticket-decrypt');
    expect(decoded?.slice(0, 3)).toEqual(['created', 'ticket-decrypt', pair.server.id]);
    pair.free();
    s.free();
    client.free();
    server.free();
  });

  it('session-replace: a resumption that changes the key exchange group replaces the client session with a copy', () => {
    const { server, client } = contexts({}, { groups: 'X25519' });
    const other = ossl.createContext({ role: 'client', ca: cert.certificate, groups: 'P-256' });
    const first = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    first.client.read();
    const s = first.client.get1Session() as Session;
    first.free();
    since();
    const pair = ossl.connectInMemory(other, server, { hostname: HOSTNAME, session: s });
    expect(pair.client.sessionReused).toBe(true);
    expect(sitesOf(s, since())).toEqual([
      ['up_ref', 'set-session', pair.client.id],
      ['free', 'session-replace', pair.client.id],
    ]);
    pair.free();
    s.free();
    other.free();
    client.free();
    server.free();
  });

  it('lookup-callback: the session onGetSession returns is taken by the server connection', () => {
    const { server, client } = contexts({ ...TLS12_ID_CACHE, sessionCacheMode: SESS_CACHE.SERVER | SESS_CACHE.NO_INTERNAL });
    let stored: Session | null = null;
    server.onNewSession((s) => {
      stored = s;
      return true;
    });
    server.onGetSession(() => stored);
    const first = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const s = first.client.get1Session() as Session;
    first.free();
    const kept = stored as unknown as Session;
    since();
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: s });
    expect(pair.client.sessionReused).toBe(true);
    expect(sitesOf(kept, since())).toEqual([['up_ref', 'lookup-callback', pair.server.id]]);
    expect(holdersOf(kept)).toEqual({ [kept.handleId]: 1, [pair.server.id]: 1 });
    pair.free();
    s.free();
    kept.free();
    client.free();
    server.free();
  });

  it('cache-timeout: a server lookup that finds its cached session expired removes it', () => {
    const { server, client } = contexts(TLS12_ID_CACHE);
    const first = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const s = first.client.get1Session() as Session;
    const cached = first.server.get1Session() as Session;
    first.free();
    cached.time -= 100_000;
    const cachedId = cached.sessionId;
    cached.free();
    since();
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: s });
    expect(pair.client.sessionReused).toBe(false);
    const events = since();
    expect(sitesOf(cachedId, events)).toEqual([
      ['up_ref', 'lookup', pair.server.id],
      ['free', 'cache-timeout', `${server.id} cache`],
      ['free', 'lookup', pair.server.id],
    ]);
    // The client's offered session was not resumed: its fresh session replaces it.
    expect(sitesOf(s, events)).toEqual([
      ['up_ref', 'set-session', pair.client.id],
      ['free', 'handshake-new', pair.client.id],
    ]);
    pair.free();
    s.free();
    client.free();
    server.free();
  });
});

describe('sites of the cache', () => {
  it('cache-insert, cache-replace, cache-remove, cache-flush, context-free through the context', () => {
    const { server, client } = contexts(TLS12_ID_CACHE);
    const first = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const s = first.client.get1Session() as Session; // the same session id as the server's cached one
    const serverSession = (first.server.getSession() as SessionView).sessionId;
    first.free();
    since();
    const cache = `${client.id} cache`;
    client.addSession(s);
    expect(sitesOf(s, since())).toEqual([['up_ref', 'cache-insert', cache]]);
    const copy = s.dup();
    since();
    client.addSession(copy); // the same id: the cache drops the older one
    const events = since();
    expect(sitesOf(copy, events)).toEqual([['up_ref', 'cache-insert', cache]]);
    expect(sitesOf(s, events)).toEqual([['free', 'cache-replace', cache]]);
    expect(client.removeSession(copy)).toBe(true);
    expect(sitesOf(copy, since())).toEqual([['free', 'cache-remove', cache]]);
    client.addSession(s);
    client.flushSessions(0);
    expect(sitesOf(s, since())).toEqual([
      ['up_ref', 'cache-insert', cache],
      ['free', 'cache-flush', cache],
    ]);
    server.free();
    expect(sitesOf(serverSession, since())).toEqual([['free', 'context-free', `${server.id} cache`]]);
    s.free();
    copy.free();
    client.free();
  });

  it('cache-evict: a full cache evicts its oldest session', () => {
    const { server, client } = contexts({ ...TLS12_ID_CACHE, sessionCacheSize: 1 });
    const first = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const oldest = (first.server.getSession() as SessionView).upRef();
    first.free();
    since();
    const second = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    expect(sitesOf(oldest, since())).toEqual([['free', 'cache-evict', `${server.id} cache`]]);
    expect(holdersOf(oldest)).toEqual({ [oldest.handleId]: 1 });
    second.free();
    oldest.free();
    client.free();
    server.free();
  });

  it('cache-bad: a connection freed without shutdown takes its session out of the cache', () => {
    const { server, client } = contexts(TLS12_ID_CACHE);
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const s = (pair.server.getSession() as SessionView).upRef();
    since();
    pair.server.free({ abort: true });
    expect(sitesOf(s, since())).toEqual([
      ['free', 'cache-bad', `${server.id} cache`],
      ['free', 'connection-free', pair.server.id],
    ]);
    pair.client.free();
    s.free();
    client.free();
    server.free();
  });

  it('cache-alert: a fatal alert takes the session out of the cache', () => {
    const { server, client } = contexts(TLS12_ID_CACHE);
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const s = (pair.server.getSession() as SessionView).upRef();
    since();
    // An application-data record that does not authenticate: the server sends bad_record_mac.
    pair.server.writeEncrypted(Uint8Array.of(23, 3, 3, 0, 40, ...new Uint8Array(40).fill(7)));
    expect(() => pair.server.read()).toThrow(TLSError);
    expect(sitesOf(s, since())).toEqual([['free', 'cache-alert', `${server.id} cache`]]);
    expect(holdersOf(s)).toEqual({ [s.handleId]: 1, [pair.server.id]: 1 });
    pair.free();
    s.free();
    client.free();
    server.free();
  });
});

describe('the new-session callback hand-off', () => {
  it('new-session-cb: the reference handed to the callback is the handle, and OpenSSL takes it back from that handle', () => {
    const { server, client } = contexts(TLS12_ID_CACHE);
    const handed: string[] = [];
    server.onNewSession((s) => {
      handed.push(s.handleId);
      return false;
    });
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const view = pair.server.getSession() as SessionView;
    expect(sitesOf(view, since())).toEqual([
      ['created', 'handshake-new', pair.server.id],
      ['up_ref', 'cache-insert', `${server.id} cache`],
      ['get1', 'new-session-cb', handed[0]],
      ['free', 'new-session-cb', handed[0]],
    ]);
    expect(holdersOf(view)).toEqual({ [pair.server.id]: 1, [`${server.id} cache`]: 1 });
    pair.free();
    client.free();
    server.free();
  });
});

describe('every event of a session names its holder', () => {
  it('history(s) lists every reference taken and dropped with holder and site, and each take is matched by a drop of the same holder', () => {
    const { server, client } = contexts(TLS12_ID_CACHE);
    const first = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const s = first.client.get1Session() as Session;
    first.free();
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: s });
    pair.free();
    const history: LedgerEvent[] = ossl.ledger.history(s);
    expect(history.map((e) => [e.op, e.site, e.holder, e.references])).toEqual([
      ['created', 'handshake-new', first.client.id, 1],
      ['get1', 'get1', s.handleId, 2],
      ['free', 'connection-free', first.client.id, 1],
      ['up_ref', 'set-session', pair.client.id, 2],
      ['free', 'connection-free', pair.client.id, 1],
    ]);
    for (const e of history) expect(e.holder).toBeTruthy();
    s.free();
    expect(ossl.ledger.history(s).at(-1)).toMatchObject({ op: 'free', site: 'api', holder: s.handleId, references: 0 });
    client.free();
    server.free();
  });
});
