// The attacks of the gate's issue, each through the public API only: refused with a typed error
// (or made harmless: the intrinsic extent of bytes is used, never their own `length`), with the
// C counts, the heap bytes and the ledger unchanged, and the instance still working.
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BorrowExpiredError,
  type Context,
  ForeignObjectError,
  type GeneratedCertificate,
  IllegalConstructorError,
  InvalidArgumentError,
  type OpenSSL,
  Session,
  SessionView,
} from '../dist/index.js';
import { expectClean, loadInstance, useInstance } from './support/instance.js';
import { expectInstanceWorks, expectRefused, sessionDER, snapshot } from './support/sessions.js';
import { HOSTNAME } from './support/tls.js';

const instance = useInstance();
let cert: GeneratedCertificate;
beforeAll(async () => {
  cert = (await loadInstance()).generateCertificate({ commonName: HOSTNAME, keyType: 'P-256' });
});

const der = sessionDER();

function contexts(ossl: OpenSSL): { server: Context; client: Context } {
  return {
    server: ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey }),
    client: ossl.createContext({ role: 'client', ca: cert.certificate }),
  };
}

/** A value whose every coercion hook frees `victim` and puts a fresh session where it was. */
function hostile(ossl: OpenSSL, victim: Session, log: string[], made: Session[], as: string | number) {
  const strike = (hook: string) => {
    log.push(hook);
    if (victim.alive) victim.free();
    made.push(ossl.sessionFromDER(der));
    return as;
  };
  return {
    toString: () => strike('toString'),
    valueOf: () => strike('valueOf'),
    [Symbol.toPrimitive]: () => strike('toPrimitive'),
  };
}

describe('1. a setter argument that runs code cannot free the target first', () => {
  it('s.hostname = { toString() { s.free(); ... } } is a TypeError; no hook runs, s keeps its hostname', () => {
    const ossl = instance();
    const s = ossl.sessionFromDER(der);
    s.hostname = 'before.example';
    const log: string[] = [];
    const made: Session[] = [];
    expectRefused(
      ossl,
      () => {
        s.hostname = hostile(ossl, s, log, made, 'attacker.example') as unknown as string;
      },
      TypeError,
    );
    expect(log).toEqual([]);
    expect(made).toEqual([]);
    expect(s.alive).toBe(true);
    expect(s.hostname).toBe('before.example');
    s.free();
  });

  const numeric: [string, (ossl: OpenSSL, s: Session, v: unknown) => unknown][] = [
    ['Session.protocolVersion', (_o, s, v) => Reflect.set(s, 'protocolVersion', v)],
    ['Session.maxEarlyData', (_o, s, v) => Reflect.set(s, 'maxEarlyData', v)],
    ['Session.time', (_o, s, v) => Reflect.set(s, 'time', v)],
    ['Session.timeout', (_o, s, v) => Reflect.set(s, 'timeout', v)],
    ['SSL_SESSION_set_protocol_version', (o, s, v) => o.SSL_SESSION_set_protocol_version(s, v as number)],
    ['SSL_SESSION_set_max_early_data', (o, s, v) => o.SSL_SESSION_set_max_early_data(s, v as number)],
    ['SSL_SESSION_set_time', (o, s, v) => o.SSL_SESSION_set_time(s, v as number)],
    ['SSL_SESSION_set_timeout', (o, s, v) => o.SSL_SESSION_set_timeout(s, v as number)],
    ['SSL_SESSION_set1_hostname', (o, s, v) => o.SSL_SESSION_set1_hostname(s, v as string)],
  ];
  it.each(numeric)('%s with valueOf / Symbol.toPrimitive / toString hooks: TypeError, no hook runs', (_name, call) => {
    const ossl = instance();
    const s = ossl.sessionFromDER(der);
    const log: string[] = [];
    const made: Session[] = [];
    expectRefused(ossl, () => call(ossl, s, hostile(ossl, s, log, made, 0x0303)), TypeError);
    expect(log).toEqual([]);
    expect(s.alive).toBe(true);
    expect(s.protocolVersion).toBe(0x0304);
    s.free();
  });

  it('the bytes setters and SSL_SESSION_set1_* with objects whose hooks free the target: TypeError, no hook runs', () => {
    const ossl = instance();
    const s = ossl.sessionFromDER(der);
    const log: string[] = [];
    const made: Session[] = [];
    for (const call of [
      (v: unknown) => Reflect.set(s, 'id', v),
      (v: unknown) => Reflect.set(s, 'masterKey', v),
      (v: unknown) => Reflect.set(s, 'ticketAppData', v),
      (v: unknown) => ossl.SSL_SESSION_set1_id_context(s, v as Uint8Array),
      (v: unknown) => ossl.SSL_SESSION_set1_alpn_selected(s, v as Uint8Array),
      (v: unknown) => ossl.SSL_SESSION_set_cipher(s, v as never),
    ]) {
      const before = snapshot(ossl);
      expect(() => call(hostile(ossl, s, log, made, 'x'))).toThrow(Error);
      expect(snapshot(ossl).live).toEqual(before.live);
    }
    expect(log).toEqual([]);
    expect(s.alive).toBe(true);
    s.free();
  });

  it('Context setters with hooks that free the context and make another: TypeError, nothing runs, nothing changes', () => {
    const ossl = instance();
    const { server, client } = contexts(ossl);
    client.timeout = 300;
    const log: string[] = [];
    const made: Context[] = [];
    const strike = () => {
      log.push('hook');
      client.free();
      made.push(ossl.createContext({ role: 'client', verify: false }));
      return 7;
    };
    const evil = { valueOf: strike, toString: strike, [Symbol.toPrimitive]: strike };
    for (const call of [
      () => Reflect.set(client, 'timeout', evil),
      () => Reflect.set(client, 'sessionCacheSize', evil),
      () => Reflect.set(client, 'sessionCacheMode', evil),
      () => ossl.SSL_CTX_set_session_cache_mode(client, evil as unknown as number),
      () => ossl.SSL_CTX_set_timeout(client, evil as unknown as number),
      () => ossl.SSL_CTX_flush_sessions(client, evil as unknown as number),
    ]) {
      expectRefused(ossl, call, TypeError);
    }
    expect(log).toEqual([]);
    expect(client.isFreed).toBe(false);
    expect(client.timeout).toBe(300);
    client.free();
    server.free();
  });
});

/** A Uint8Array whose own `length` lies and runs code. */
function lyingBytes(real: Uint8Array, length: number, onRead: () => void): Uint8Array {
  class Lying extends Uint8Array {
    override get length(): number {
      onRead();
      return length;
    }
  }
  return new Lying(real);
}

describe('2. and 3. bytes whose length runs code or lies', () => {
  it("a subclass whose length getter frees the session: the getter never runs; the session's own bytes are written", () => {
    const ossl = instance();
    const s = ossl.sessionFromDER(der);
    let ran = 0;
    const key = new Uint8Array(48).fill(0x42);
    s.masterKey = lyingBytes(key, 48, () => {
      ran++;
      s.free();
    });
    expect(ran).toBe(0);
    expect(s.alive).toBe(true);
    expect(s.masterKey).toEqual(key);
    s.free();
  });

  it('a Proxy around bytes (its get trap frees the session) is a TypeError; the trap never runs', () => {
    const ossl = instance();
    const s = ossl.sessionFromDER(der);
    let trapped = 0;
    const proxy = new Proxy(new Uint8Array(32), {
      get(target, key, receiver) {
        trapped++;
        if (s.alive) s.free();
        return Reflect.get(target, key, receiver);
      },
    });
    for (const call of [
      () => Reflect.set(s, 'id', proxy),
      () => ossl.SSL_SESSION_set1_ticket_appdata(s, proxy),
      () => ossl.d2i_SSL_SESSION(proxy),
    ]) {
      expectRefused(ossl, call, TypeError);
    }
    expect(trapped).toBe(0);
    expect(s.alive).toBe(true);
    s.free();
  });

  it.each([
    ['smaller', 1],
    ['larger', 4096],
  ])('a length %s than the data: exactly the real bytes are copied in and read back; heap and neighbours intact', (_what, lie) => {
    const ossl = instance();
    const s = ossl.sessionFromDER(der);
    const neighbour = ossl.sessionFromDER(der);
    neighbour.ticketAppData = Uint8Array.of(1, 2, 3);
    const heap = ossl.ledger.heapBytes();
    const data = new Uint8Array(2048).fill(0x5a);
    s.ticketAppData = lyingBytes(data, lie, () => {});
    expect(s.ticketAppData).toEqual(data);
    expect(neighbour.ticketAppData).toEqual(Uint8Array.of(1, 2, 3));
    s.ticketAppData = new Uint8Array(0);
    expect(ossl.ledger.heapBytes()).toBe(heap);
    const decoded = ossl.d2i_SSL_SESSION(lyingBytes(der, lie, () => {}));
    const plain = ossl.d2i_SSL_SESSION(der);
    expect(decoded.toDER()).toEqual(plain.toDER());
    plain.free();
    expect(ossl.failed).toBe(false);
    decoded.free();
    neighbour.free();
    s.free();
    expectInstanceWorks(ossl);
  });
});

describe('4. strings C would cut or change are refused', () => {
  it('newConnection({ hostname: "example.test\\0.attacker.example" }) is an InvalidArgumentError: no connection is made', () => {
    const ossl = instance();
    const { server, client } = contexts(ossl);
    expectRefused(ossl, () => client.newConnection({ hostname: `${HOSTNAME}\0.attacker.example` }), InvalidArgumentError);
    expectRefused(ossl, () => ossl.connectInMemory(client, server, { hostname: `${HOSTNAME}\0.attacker.example` }), InvalidArgumentError);
    expect(client.connections).toEqual([]);
    client.free();
    server.free();
  });

  it.each([
    ['NUL', 'a\0b'],
    ['a lone surrogate', 'a\ud800b'],
    ['a lone low surrogate', '\udc00'],
  ])('%s in a session hostname, a cipher list, an ALPN name or a certificate: InvalidArgumentError, nothing changes', (_what, bad) => {
    const ossl = instance();
    const s = ossl.sessionFromDER(der);
    s.hostname = 'kept.example';
    expectRefused(ossl, () => Reflect.set(s, 'hostname', bad), InvalidArgumentError);
    expectRefused(ossl, () => ossl.SSL_SESSION_set1_hostname(s, bad), InvalidArgumentError);
    expect(s.hostname).toBe('kept.example');
    expectRefused(ossl, () => ossl.createContext({ role: 'client', verify: false, ciphers: bad }), InvalidArgumentError);
    expectRefused(ossl, () => ossl.createContext({ role: 'client', verify: false, ciphersuites: bad }), InvalidArgumentError);
    expectRefused(ossl, () => ossl.createContext({ role: 'client', verify: false, alpn: ['h2', bad] }), InvalidArgumentError);
    expectRefused(ossl, () => ossl.createContext({ role: 'client', ca: bad }), InvalidArgumentError);
    const { server, client } = contexts(ossl);
    expectRefused(ossl, () => client.newConnection({ alpn: [bad] }), InvalidArgumentError);
    expectRefused(ossl, () => client.newConnection({ hostname: bad }), InvalidArgumentError);
    client.free();
    server.free();
    s.free();
  });
});

describe('5. numbers are never coerced', () => {
  it.each([
    ['ctx.timeout = -5', (_o: OpenSSL, c: Context) => Reflect.set(c, 'timeout', -5), InvalidArgumentError],
    ['ctx.timeout = 2**31', (_o: OpenSSL, c: Context) => Reflect.set(c, 'timeout', 2 ** 31), InvalidArgumentError],
    ['ctx.sessionCacheSize = NaN', (_o: OpenSSL, c: Context) => Reflect.set(c, 'sessionCacheSize', Number.NaN), InvalidArgumentError],
    ['ctx.sessionCacheSize = 2**40', (_o: OpenSSL, c: Context) => Reflect.set(c, 'sessionCacheSize', 2 ** 40), InvalidArgumentError],
    ['ctx.sessionCacheMode = 1.5', (_o: OpenSSL, c: Context) => Reflect.set(c, 'sessionCacheMode', 1.5), InvalidArgumentError],
    ["ctx.timeout = '300'", (_o: OpenSSL, c: Context) => Reflect.set(c, 'timeout', '300'), TypeError],
    ['SSL_CTX_set_timeout(ctx, -1)', (o: OpenSSL, c: Context) => o.SSL_CTX_set_timeout(c, -1), InvalidArgumentError],
    [
      'SSL_CTX_set_session_cache_mode(ctx, 2**32 + 1)',
      (o: OpenSSL, c: Context) => o.SSL_CTX_set_session_cache_mode(c, 2 ** 32 + 1),
      InvalidArgumentError,
    ],
    [
      'createContext({ timeout: -5 })',
      (o: OpenSSL) => o.createContext({ role: 'client', verify: false, timeout: -5 }),
      InvalidArgumentError,
    ],
    [
      'createContext({ sessionCacheSize: Infinity })',
      (o: OpenSSL) => o.createContext({ role: 'client', verify: false, sessionCacheSize: Number.POSITIVE_INFINITY }),
      InvalidArgumentError,
    ],
  ] as const)('%s is refused and the context keeps its value', (_name, call, error) => {
    const ossl = instance();
    const ctx = ossl.createContext({ role: 'client', verify: false, timeout: 300, sessionCacheSize: 20 });
    expectRefused(ossl, () => call(ossl, ctx), error);
    expect(ctx.timeout).toBe(300);
    expect(ctx.sessionCacheSize).toBe(20);
    ctx.free();
  });

  it.each([
    ['maxEarlyData = -1', (s: Session) => Reflect.set(s, 'maxEarlyData', -1), InvalidArgumentError],
    ['maxEarlyData = 2**32', (s: Session) => Reflect.set(s, 'maxEarlyData', 2 ** 32), InvalidArgumentError],
    ['protocolVersion = 0x10000', (s: Session) => Reflect.set(s, 'protocolVersion', 0x10000), InvalidArgumentError],
    ['protocolVersion = NaN', (s: Session) => Reflect.set(s, 'protocolVersion', Number.NaN), InvalidArgumentError],
    ['time = 1.5', (s: Session) => Reflect.set(s, 'time', 1.5), InvalidArgumentError],
    ['hostname = 12345', (s: Session) => Reflect.set(s, 'hostname', 12345), TypeError],
    ['maxEarlyData = 10n', (s: Session) => Reflect.set(s, 'maxEarlyData', 10n), TypeError],
  ] as const)('session %s is refused and the session keeps its value', (_name, call, error) => {
    const ossl = instance();
    const s = ossl.sessionFromDER(der);
    s.maxEarlyData = 16384;
    s.hostname = 'kept.example';
    expectRefused(ossl, () => call(s), error);
    expect(s.maxEarlyData).toBe(16384);
    expect(s.protocolVersion).toBe(0x0304);
    expect(s.hostname).toBe('kept.example');
    s.free();
  });
});

describe('6. internals are unreachable', () => {
  it('a handle has no own properties or symbols; nothing reaches its ownership record', () => {
    const ossl = instance();
    const s = ossl.sessionFromDER(der);
    const other = s.upRef();
    expect(Object.getOwnPropertySymbols(s)).toEqual([]);
    expect(Object.getOwnPropertyNames(s)).toEqual([]);
    expect(Reflect.ownKeys(ossl)).not.toContain('rt');
    expect(Object.getOwnPropertySymbols(ossl.ledger)).toEqual([]);
    for (const key of ['rt', 'tls', 'guard', 'run', 'adopt', 'tookReference', 'refused']) {
      expect((ossl as unknown as Record<string, unknown>)[key]).toBeUndefined();
      expect((ossl.ledger as unknown as Record<string, unknown>)[key]).toBeUndefined();
    }
    const { server, client } = contexts(ossl);
    expect(Object.getOwnPropertySymbols(client)).toEqual([]);
    expect(Object.keys(client).sort()).toEqual(['id', 'role']);
    expect((client as unknown as Record<string, unknown>).ptr).toBeUndefined();
    s.free();
    expect(s.alive).toBe(false);
    expect(other.references).toBe(1);
    expect(other.holders().references).toBe(1);
    other.free();
    client.free();
    server.free();
  });

  it.each([
    ['Session', () => new (Session as unknown as new () => unknown)()],
    ['SessionView', () => new (SessionView as unknown as new () => unknown)()],
    ['Session with a forged token', () => Reflect.construct(Session, [Symbol('construct')])],
  ])('new %s() is an IllegalConstructorError that says how to get one', (_name, make) => {
    expect(make).toThrow(IllegalConstructorError);
    expect(make).toThrow(/newSession|sessionFromDER/);
  });

  it('util.inspect and JSON show only the ids, the count and the state', () => {
    const ossl = instance();
    const s = ossl.sessionFromDER(der);
    const text = inspect(s, { depth: 8, showHidden: true });
    expect(text.length).toBeLessThan(200);
    expect(text).toContain(s.sessionId);
    expect(text).toContain('references: 1');
    expect(JSON.parse(JSON.stringify(s))).toEqual({
      kind: 'Session',
      session: s.sessionId,
      handle: s.handleId,
      references: 1,
      state: 'alive',
    });
    expect(inspect(ossl, { depth: 8, showHidden: true }).length).toBeLessThan(200);
    expect(inspect(ossl.ledger, { depth: 8, showHidden: true }).length).toBeLessThan(200);
    s.free();
    expect(JSON.parse(JSON.stringify(s)).state).toBe('freed');
  });
});

describe('7. another copy of the package', () => {
  it("its handles and contexts are ForeignObjectErrors here, and this copy's there", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osw-copy-'));
    cpSync(new URL('../dist', import.meta.url), join(dir, 'dist'), { recursive: true });
    const copy = (await import(pathToFileURL(join(dir, 'dist/index.js')).href)) as typeof import('../dist/index.js');
    const theirs = await copy.loadOpenSSL();
    const ossl = instance();
    const foreign = theirs.sessionFromDER(der);
    const foreignCtx = theirs.createContext({ role: 'client', verify: false });
    const mine = ossl.sessionFromDER(der);
    for (const call of [
      () => ossl.SSL_SESSION_free(foreign),
      () => ossl.SSL_SESSION_get0_hostname(foreign),
      () => ossl.SSL_SESSION_up_ref(foreign),
      () => ossl.i2d_SSL_SESSION(foreign),
      () => ossl.ledger.holders(foreign),
      () => ossl.SSL_CTX_add_session(foreignCtx, mine),
      () => ossl.SSL_CTX_set_timeout(foreignCtx, 5),
    ]) {
      expectRefused(ossl, call, ForeignObjectError);
    }
    expect(() => theirs.SSL_SESSION_free(mine)).toThrow(copy.ForeignObjectError);
    expect(foreign.references).toBe(1);
    foreign.free();
    foreignCtx.free();
    expectClean(theirs); // the other copy's instance: the same end checks, by hand (the fixture loads this copy's)
    mine.free();
  });
});

describe('8. a view expires for good', () => {
  it('A -> B -> A: the view of A taken before setSession(B) stays expired after setSession(A)', () => {
    const ossl = instance();
    const { server, client } = contexts(ossl);
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const a = pair.client.get1Session() as Session;
    const b = a.dup();
    pair.free();
    const c = client.newConnection({ hostname: HOSTNAME, session: a });
    const view = c.getSession() as SessionView;
    expect(view.sessionId).toBe(a.sessionId);
    c.setSession(b);
    expect(view.alive).toBe(false);
    c.setSession(a);
    expect(view.alive).toBe(false);
    expectRefused(ossl, () => view.hostname, BorrowExpiredError);
    expectRefused(ossl, () => view.upRef(), BorrowExpiredError);
    const fresh = c.getSession() as SessionView;
    expect(fresh.hostname).toBe(HOSTNAME);
    c.free({ abort: true });
    a.free();
    b.free();
    client.free();
    server.free();
  });
});
