// The adversarial suite, generated from the declarations: every public method x every argument
// position x hostile shapes. Each case: the typed error (or, where the shape is harmless by
// construction, e.g. a Uint8Array subclass whose own `length` lies, a call that uses only the
// intrinsic extent), no hook of the shape ever runs, C counts, heap bytes and the ledger unchanged
// by a refusal, and the instance still working. A completeness check fails when a declared call
// has no entry here, so a new method cannot ship uncovered.
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUMBER_KINDS } from '../dist/core/convert.js';
import { FIELD_ROWS } from '../dist/core/fields.js';
import { type DeclaredCall, declaredCalls, type ParamKind } from '../dist/core/gate.js';
import {
  type Connection,
  type Context,
  type GeneratedCertificate,
  InvalidArgumentError,
  type OpenSSL,
  OpenSSLWasmError,
  type Session,
  type SessionView,
} from '../dist/index.js';
import { loadInstance } from './support/instance.js';
import { sessionDER, snapshot } from './support/sessions.js';
import { HOSTNAME } from './support/tls.js';

// ---- the world every case runs against ----------------------------------------------------------------

interface World {
  ossl: OpenSSL;
  other: OpenSSL;
  s: Session;
  freed: Session;
  expired: SessionView;
  foreign: Session;
  /** Read once: a case may legitimately free `foreign` (Session.free() with it as `this`). */
  foreignCipher: unknown;
  server: Context;
  client: Context;
  freedContext: Context;
  foreignContext: Context;
  conn: Connection;
  freedConn: Connection;
  /** Set by a shape's hook, should it ever run. */
  ran: string[];
}

let w: World;
let cert: GeneratedCertificate;
const der = sessionDER();

beforeAll(async () => {
  const ossl = await loadInstance(); // both ended through expectClean after the file
  const other = await loadInstance();
  cert = ossl.generateCertificate({ commonName: HOSTNAME, keyType: 'P-256' });
  const server = ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey });
  const client = ossl.createContext({ role: 'client', ca: cert.certificate });
  const freed = ossl.sessionFromDER(der);
  freed.free();
  const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
  const expired = pair.client.getSession() as SessionView;
  pair.free();
  const freedContext = ossl.createContext({ role: 'client', verify: false });
  freedContext.free();
  const conn = client.newConnection({ hostname: HOSTNAME });
  const freedConn = client.newConnection({ hostname: HOSTNAME });
  freedConn.free();
  const foreign = other.sessionFromDER(der);
  w = {
    ossl,
    other,
    s: ossl.sessionFromDER(der),
    freed,
    expired,
    foreign,
    foreignCipher: foreign.cipher,
    server,
    client,
    freedContext,
    foreignContext: other.createContext({ role: 'client', verify: false }),
    conn,
    freedConn,
    ran: [],
  };
});

afterAll(() => {
  w.conn.free({ abort: true });
  w.s.free();
  w.server.free();
  w.client.free();
  if (w.foreign.alive) w.foreign.free(); // Session.free() with it as `this` is a legitimate free in its own instance
  w.foreignContext.free();
});

// ---- parameter kinds and their hostile shapes ---------------------------------------------------------

type Kind =
  | { kind: 'session'; owned?: boolean; nullable?: boolean; any?: boolean; option?: boolean }
  | { kind: 'bytes' }
  | { kind: 'bytesOrText' }
  | { kind: 'bytesOrData' }
  | { kind: 'string'; max: number; nullable?: boolean; optional?: boolean }
  | { kind: 'number'; min: number; max: number; restore?: boolean; optional?: boolean }
  | { kind: 'callback' }
  | { kind: 'cipher' }
  | { kind: 'context'; any?: boolean }
  | { kind: 'connection' };

type Expect = { refuse: (abstract new (...a: never[]) => Error)[] } | 'accept';
interface Shape {
  name: string;
  make(): unknown;
  expect: Expect;
  /** An object of the world's instance (its refusal is counted there even when it stands as `this`). */
  ours?: boolean;
  /** Another instance's object: as `this` of a class member it is simply used, in its own instance. */
  foreignInstance?: boolean;
}

const TYPE = { refuse: [TypeError] };
const INVALID = { refuse: [InvalidArgumentError] };
const OWNERSHIP = { refuse: [OpenSSLWasmError] };

/** An object whose coercion hooks would free the target and make a replacement, if they ever ran. */
function hooked(label: string): Record<string | symbol, unknown> {
  const strike = (hook: string) => () => {
    w.ran.push(`${label}.${hook}`);
    if (w.s.alive) w.s.free();
    return 1;
  };
  return { toString: strike('toString'), valueOf: strike('valueOf'), [Symbol.toPrimitive]: strike('toPrimitive') };
}
function trapping<T extends object>(target: T): T {
  return new Proxy(target, {
    get(t, k) {
      w.ran.push(`proxy.get ${String(k)}`);
      if (w.s.alive) w.s.free();
      const v = Reflect.get(t, k, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
    getPrototypeOf(t) {
      w.ran.push('proxy.getPrototypeOf');
      return Reflect.getPrototypeOf(t);
    },
  });
}
function lying(length: number): Uint8Array {
  class Lying extends Uint8Array {
    override get length(): number {
      w.ran.push('lying.length');
      return length;
    }
    override get byteLength(): number {
      w.ran.push('lying.byteLength');
      return length;
    }
  }
  return new Lying(16).fill(3);
}
function detached(): Uint8Array {
  const b = new Uint8Array(8);
  structuredClone(b.buffer, { transfer: [b.buffer] });
  return b;
}

const common: Shape[] = [
  { name: 'an object with toString/valueOf/toPrimitive hooks', make: () => hooked('arg'), expect: TYPE },
  { name: 'a symbol', make: () => Symbol('x'), expect: TYPE },
  { name: 'a cross-realm object', make: () => runInNewContext('({ length: 1 })'), expect: TYPE },
  { name: 'a frozen empty object', make: () => Object.freeze({}), expect: TYPE },
];

function shapes(k: Kind): Shape[] {
  switch (k.kind) {
    case 'session':
      return [
        ...common,
        // An options field written out as undefined is a session that was never obtained.
        { name: 'undefined', make: () => undefined, expect: k.option ? INVALID : TYPE },
        ...(k.nullable ? [] : [{ name: 'null', make: () => null, expect: TYPE }]),
        { name: 'a raw pointer', make: () => 65536, expect: TYPE },
        { name: 'a Proxy of a live session', make: () => trapping(w.s), expect: TYPE },
        { name: 'an object inheriting from a session', make: () => Object.create(w.s), expect: TYPE },
        { name: "another instance's session", make: () => w.foreign, expect: OWNERSHIP, foreignInstance: true },
        ...(k.any
          ? []
          : [
              { name: 'a freed handle', make: () => w.freed, expect: OWNERSHIP, ours: true },
              { name: 'an expired view', make: () => w.expired, expect: OWNERSHIP, ours: true },
            ]),
      ];
    case 'bytes':
    case 'bytesOrText':
    case 'bytesOrData': {
      const text = k.kind !== 'bytes';
      return [
        ...common,
        { name: 'null', make: () => null, expect: TYPE },
        { name: 'a number', make: () => 42, expect: TYPE },
        { name: 'an array of numbers', make: () => [1, 2, 3], expect: TYPE },
        { name: 'a Proxy of a Uint8Array', make: () => trapping(new Uint8Array(4)), expect: TYPE },
        { name: 'a detached Uint8Array', make: detached, expect: INVALID },
        { name: 'a detached ArrayBuffer', make: () => detached().buffer, expect: INVALID },
        { name: 'a subclass whose length lies small', make: () => lying(1), expect: 'accept' },
        { name: 'a subclass whose length lies large', make: () => lying(4096), expect: 'accept' },
        { name: 'a cross-realm Uint8Array', make: () => runInNewContext('new Uint8Array([1, 2, 3])'), expect: 'accept' },
        { name: 'a SharedArrayBuffer-backed view', make: () => new Uint8Array(new SharedArrayBuffer(8)), expect: 'accept' },
        { name: 'a DataView', make: () => new DataView(new ArrayBuffer(4)), expect: 'accept' },
        ...(text
          ? [
              // PEM is read as a C string; application data travels with its length, so NUL is data.
              { name: 'a string with NUL', make: () => 'a\0b', expect: k.kind === 'bytesOrData' ? 'accept' : INVALID },
              { name: 'a string with a lone surrogate', make: () => 'a\ud800', expect: INVALID },
            ]
          : [{ name: 'a string', make: () => 'abc', expect: TYPE }]),
      ];
    }
    case 'string':
      return [
        ...common,
        { name: 'undefined', make: () => undefined, expect: k.optional ? 'accept' : TYPE },
        ...(k.nullable ? [] : [{ name: 'null', make: () => null, expect: TYPE }]),
        { name: 'a number', make: () => 12345, expect: TYPE },
        { name: 'a String object', make: () => new String('example.test'), expect: TYPE },
        { name: 'a Proxy of a String', make: () => trapping(new String('x')), expect: TYPE },
        { name: 'NUL inside', make: () => `${HOSTNAME}\0.attacker.example`, expect: INVALID },
        { name: 'a lone high surrogate', make: () => 'a\ud83d', expect: INVALID },
        { name: 'a lone low surrogate', make: () => '\ude00b', expect: INVALID },
        ...(k.max < 1 << 20 ? [{ name: '1 MB', make: () => 'a'.repeat(1 << 20), expect: INVALID }] : []),
      ];
    case 'number': {
      const edges: Shape[] = [
        { name: `min - 1 (${k.min - 1})`, make: () => k.min - 1, expect: INVALID },
        { name: `max + 1 (${k.max + 1})`, make: () => k.max + 1, expect: INVALID },
        { name: 'NaN', make: () => Number.NaN, expect: INVALID },
        { name: 'Infinity', make: () => Number.POSITIVE_INFINITY, expect: INVALID },
        { name: '-Infinity', make: () => Number.NEGATIVE_INFINITY, expect: INVALID },
        { name: 'a fraction', make: () => k.min + 0.5, expect: INVALID },
        { name: '2**53', make: () => 2 ** 53, expect: INVALID },
        { name: 'a numeric string', make: () => '5', expect: TYPE },
        { name: 'a bigint', make: () => 5n, expect: TYPE },
        { name: 'a Number object', make: () => new Number(5), expect: TYPE },
        { name: 'null', make: () => null, expect: TYPE },
        { name: 'undefined', make: () => undefined, expect: k.optional ? 'accept' : TYPE },
      ];
      if (k.restore)
        edges.push(
          { name: `min (${k.min})`, make: () => k.min, expect: 'accept' },
          { name: `max (${k.max})`, make: () => k.max, expect: 'accept' },
        );
      return [...common, ...edges];
    }
    case 'callback':
      return [
        ...common,
        { name: 'a string', make: () => 'function () {}', expect: TYPE },
        { name: 'undefined', make: () => undefined, expect: TYPE },
      ];
    case 'context':
      return [
        ...common,
        { name: 'null', make: () => null, expect: TYPE },
        { name: 'a raw pointer', make: () => 65536, expect: TYPE },
        { name: 'a session', make: () => w.s, expect: TYPE },
        { name: 'a Proxy of a context', make: () => trapping(w.client), expect: TYPE },
        ...(k.any ? [] : [{ name: 'a freed context', make: () => w.freedContext, expect: OWNERSHIP, ours: true }]),
        { name: "another instance's context", make: () => w.foreignContext, expect: OWNERSHIP, foreignInstance: true },
      ];
    case 'cipher':
      // A Cipher is recognised by a WeakMap lookup only: no shape's code can run, none is a Cipher of this instance.
      return [
        ...common.map((c) => ({ ...c, expect: INVALID })),
        { name: 'null', make: () => null, expect: INVALID },
        { name: 'a string naming a cipher', make: () => 'TLS_AES_128_GCM_SHA256', expect: INVALID },
        { name: "a copy of a real Cipher's fields", make: () => ({ ...w.s.cipher }), expect: INVALID },
        { name: 'a Proxy of a real Cipher', make: () => trapping(w.s.cipher as object), expect: INVALID },
        { name: "another instance's Cipher", make: () => w.foreignCipher, expect: INVALID },
      ];
    case 'connection':
      return [
        ...common,
        { name: 'null', make: () => null, expect: TYPE },
        { name: 'a context', make: () => w.client, expect: TYPE },
        { name: 'a Proxy of a connection', make: () => trapping(w.conn), expect: TYPE },
        { name: 'a freed connection', make: () => w.freedConn, expect: OWNERSHIP, ours: true },
      ];
  }
}

// ---- the surface: every public method, with its arguments' kinds -----------------------------------------

interface Target {
  /** The declared calls this entry covers (gate op names). */
  ops: string[];
  name: string;
  params: Kind[];
  valid(): unknown[];
  call(args: unknown[]): unknown;
  /** Undo what an accepted case did (a setter's write). */
  restore?(): void;
  /**
   * Argument 0 is `this` of a class method: a `this` that is no object of the world's instance
   * names no instance, so its refusal is counted nowhere (it still never reaches C).
   */
  self?: boolean;
}

const session: Kind = { kind: 'session' };
const numberKind = (name: keyof typeof NUMBER_KINDS, restore = false): Kind => ({
  kind: 'number',
  min: NUMBER_KINDS[name].min,
  max: NUMBER_KINDS[name].max,
  restore,
});

/**
 * The suite's kind of a declared parameter (core/gate.ts: every declaration names its parameters'
 * kinds; the field table's setters name theirs). `restore`: accepted edge values are written, then undone.
 */
function kindOf(p: ParamKind, restore = false): Kind {
  switch (p.kind) {
    case 'session':
      return {
        kind: 'session',
        ...(p.owned ? { owned: true } : {}),
        ...(p.any ? { any: true } : {}),
        ...(p.nullable ? { nullable: true } : {}),
      };
    case 'number':
      return { kind: 'number', min: p.range.min, max: p.range.max, restore, ...(p.optional ? { optional: true } : {}) };
    case 'string':
      return { kind: 'string', max: p.maxBytes, ...(p.nullable ? { nullable: true } : {}), ...(p.optional ? { optional: true } : {}) };
    case 'context':
      return { kind: 'context', ...(p.any ? { any: true } : {}) };
    case 'bytes':
    case 'bytesOrText':
    case 'bytesOrData':
    case 'cipher':
    case 'callback':
    case 'connection':
      return { kind: p.kind };
  }
}

/** A valid value of a declared kind, for the positions a case does not make hostile. */
function validOf(p: ParamKind): unknown {
  switch (p.kind) {
    case 'session':
      return p.owned ? null : w.s;
    case 'context':
      return p.any ? w.freedContext : w.client;
    case 'connection':
      return w.conn;
    case 'bytes':
      return new Uint8Array(0);
    case 'bytesOrText':
    case 'bytesOrData':
      return '';
    case 'string':
      return p.nullable ? null : 'valid.example';
    case 'number':
      return p.range.min;
    case 'cipher':
      return w.s.cipher;
    case 'callback':
      return null;
  }
}

/** The declaration of `op` whose parameters all have kinds (the last such one), or undefined. */
function declaration(op: string): DeclaredCall | undefined {
  return declaredCalls().findLast((d) => d.op === op && d.kinds.every((k) => k !== undefined));
}

/** The suite's kinds of `op`'s declared parameters. */
function declaredKinds(op: string, restore = false): Kind[] {
  const d = declaration(op);
  if (d === undefined) throw new Error(`${op}: no declaration names all its parameters' kinds`);
  return (d.kinds as ParamKind[]).map((k) => kindOf(k, restore));
}

function surface(): Target[] {
  const t: Target[] = [];
  const o = () => w.ossl as unknown as Record<string, (...a: unknown[]) => unknown>;
  // Every row of the field table: its getter and setter, both layers. The value kind is the one the
  // row declares; the valid value is the field's value now, written back after an accepted case.
  for (const [name, row] of FIELD_ROWS) {
    t.push({
      ops: [`Session.${name}`],
      name: `Session.${name} (get)`,
      params: [session],
      valid: () => [w.s],
      call: ([s]) => Reflect.get(Object.getPrototypeOf(w.s), name, s),
    });
    t.push({
      ops: [row.get],
      name: `${row.get}(s)`,
      params: [session],
      valid: () => [w.s],
      call: ([s]) => o()[row.get](s),
    });
    const setter = row.set;
    if (!setter) continue;
    const params = [session, kindOf(setter.kind, true)];
    const original: unknown = Reflect.get(w.s, name);
    const restore = () => {
      expect(o()[setter.name](w.s, original), `${setter.name}: writing the field's value back`).toBe(1);
    };
    t.push({
      ops: [setter.name],
      name: `Session.${name} = v`,
      params,
      valid: () => [w.s, original],
      call: ([s, v]) => Reflect.set(Object.getPrototypeOf(w.s), name, v, s),
      restore,
    });
    t.push({
      ops: [setter.name],
      name: `${setter.name}(s, v)`,
      params,
      valid: () => [w.s, original],
      call: ([s, v]) => o()[setter.name](s, v),
      restore,
    });
  }
  const method = (
    op: string,
    name: string,
    params: Kind[],
    valid: () => unknown[],
    call: (a: unknown[]) => unknown,
    restore?: () => void,
  ) => t.push({ ops: [op], name, params, valid, call, ...(restore ? { restore } : {}) });
  method(
    'SSL_SESSION_up_ref',
    'SSL_SESSION_up_ref(s)',
    [session],
    () => [w.s],
    ([s]) => {
      o().SSL_SESSION_up_ref(s);
      o().SSL_SESSION_free(s);
    },
  );
  method(
    'SSL_SESSION_free',
    'SSL_SESSION_free(s)',
    [{ kind: 'session', owned: true, nullable: true }],
    () => [null],
    ([s]) => o().SSL_SESSION_free(s),
  );
  method(
    'ledger.holders',
    'ledger.holders(s)',
    [{ kind: 'session', any: true }],
    () => [w.s],
    ([s]) => w.ossl.ledger.holders(s),
  );
  method(
    'ledger.history',
    'ledger.history(s)',
    [{ kind: 'session', any: true }],
    () => [w.s],
    ([s]) => w.ossl.ledger.history(s),
  );
  // Contexts.
  const ctx: Kind = { kind: 'context' };
  // A context setter's kinds are its declaration's.
  const ctxSetter = (op: string, prop: string, value: number) =>
    method(
      op,
      `Context.${prop} = v`,
      declaredKinds(op, true),
      () => [w.client, value],
      ([c, v]) => Reflect.set(Object.getPrototypeOf(w.client), prop, v, c),
      () => {
        Reflect.set(w.client, prop, value);
      },
    );
  ctxSetter('SSL_CTX_set_timeout', 'timeout', 300);
  ctxSetter('SSL_CTX_sess_set_cache_size', 'sessionCacheSize', 20);
  ctxSetter('SSL_CTX_set_session_cache_mode', 'sessionCacheMode', 0x0201);
  method(
    'SSL_CTX_get_timeout',
    'Context.timeout',
    [ctx],
    () => [w.client],
    ([c]) => Reflect.get(Object.getPrototypeOf(w.client), 'timeout', c),
  );
  method(
    'SSL_CTX_sess_get_cache_size',
    'Context.sessionCacheSize',
    [ctx],
    () => [w.client],
    ([c]) => Reflect.get(Object.getPrototypeOf(w.client), 'sessionCacheSize', c),
  );
  method(
    'SSL_CTX_get_session_cache_mode',
    'Context.sessionCacheMode',
    [ctx],
    () => [w.client],
    ([c]) => Reflect.get(Object.getPrototypeOf(w.client), 'sessionCacheMode', c),
  );
  method(
    'SSL_CTX_ctrl',
    'Context.sessionCount',
    [ctx],
    () => [w.client],
    ([c]) => Reflect.get(Object.getPrototypeOf(w.client), 'sessionCount', c),
  );
  method(
    'SSL_CTX_flush_sessions',
    'Context.flushSessions(t)',
    [ctx, { ...numberKind('sessionTime'), optional: true } as Kind],
    () => [w.client, 0],
    ([c, v]) => Reflect.apply(Object.getPrototypeOf(w.client).flushSessions, c, [v]),
  );
  method(
    'SSL_CTX_add_session',
    'Context.addSession(s) + removeSession',
    [ctx, session],
    () => [w.server, w.s],
    ([c, s]) => {
      Reflect.apply(Object.getPrototypeOf(w.client).addSession, c, [s]);
      w.server.removeSession(w.s);
    },
  );
  method(
    'SSL_CTX_remove_session',
    'Context.removeSession(s)',
    [ctx, session],
    () => [w.server, w.s],
    ([c, s]) => Reflect.apply(Object.getPrototypeOf(w.client).removeSession, c, [s]),
  );
  for (const cb of ['onNewSession', 'onRemoveSession', 'onGetSession', 'onKeyLog']) {
    method(
      'set session callback',
      `Context.${cb}(fn)`,
      [ctx, { kind: 'callback' }],
      () => [w.server, null],
      ([c, f]) => Reflect.apply(Object.getPrototypeOf(w.client)[cb], c, [f]),
    );
  }
  method(
    'SSL_new',
    'Context.newConnection({ hostname })',
    [ctx, { kind: 'string', max: 255, optional: true }],
    () => [w.client, HOSTNAME],
    ([c, h]) => (Reflect.apply(Object.getPrototypeOf(w.client).newConnection, c, [{ hostname: h }]) as Connection).free(),
  );
  method(
    'SSL_new',
    'Context.newConnection({ session })',
    [ctx, { kind: 'session', option: true }],
    () => [w.client, w.s],
    ([c, s]) => (Reflect.apply(Object.getPrototypeOf(w.client).newConnection, c, [{ session: s }]) as Connection).free({ abort: true }),
  );
  const inMemory = (c: unknown, sv: unknown, options: Record<string, unknown>) =>
    (w.ossl.connectInMemory(c as Context, sv as Context, { hostname: HOSTNAME, ...options }) as { free(): void }).free();
  method(
    'connectInMemory',
    'connectInMemory(client, server)',
    [ctx, ctx],
    () => [w.client, w.server],
    ([c, sv]) => inMemory(c, sv, {}),
  );
  method(
    'connectInMemory',
    'connectInMemory({ session })',
    [{ kind: 'session', option: true }],
    () => [w.s],
    ([s]) => inMemory(w.client, w.server, { session: s }),
  );
  method(
    'connectInMemory',
    'connectInMemory({ hostname })',
    [{ kind: 'string', max: 255, optional: true }],
    () => [HOSTNAME],
    ([h]) => inMemory(w.client, w.server, { hostname: h }),
  );
  method(
    'connectInMemory',
    'connectInMemory({ maxRounds })',
    [{ ...numberKind('rounds'), optional: true } as Kind],
    () => [50],
    ([n]) => inMemory(w.client, w.server, { maxRounds: n }),
  );
  method(
    'createContext',
    'createContext({ ciphers })',
    [{ kind: 'string', max: 64 << 10, optional: true }],
    () => ['HIGH'],
    ([v]) => w.ossl.createContext({ role: 'client', verify: false, ciphers: v as string }).free(),
  );
  method(
    'createContext',
    'createContext({ sessionIdContext })',
    [{ kind: 'string', max: 32, optional: true }],
    () => ['app'],
    ([v]) =>
      w.ossl
        .createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey, sessionIdContext: v as string })
        .free(),
  );
  method(
    'createContext',
    'createContext({ timeout })',
    [{ ...numberKind('long'), optional: true } as Kind],
    () => [300],
    ([v]) => w.ossl.createContext({ role: 'client', verify: false, timeout: v as number }).free(),
  );
  method(
    'createContext',
    'createContext({ numTickets })',
    [{ ...numberKind('tickets'), optional: true } as Kind],
    () => [2],
    ([v]) =>
      w.ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey, numTickets: v as number }).free(),
  );
  method(
    'generateCertificate',
    'generateCertificate({ days })',
    [{ ...numberKind('days'), optional: true } as Kind],
    () => [30],
    ([v]) => w.ossl.generateCertificate({ keyType: 'Ed25519', days: v as number }),
  );
  method(
    'generateCertificate',
    'generateCertificate({ commonName })',
    [{ kind: 'string', max: 255, optional: true }],
    () => ['x.test'],
    ([v]) => w.ossl.generateCertificate({ keyType: 'Ed25519', commonName: v as string }),
  );
  method(
    'SSL_CTX_free',
    'Context.free()',
    [{ kind: 'context', any: true }],
    () => [w.freedContext],
    ([c]) => Reflect.apply(Object.getPrototypeOf(w.client).free, c, []),
  );
  // Connections.
  const conn: Kind = { kind: 'connection' };
  const getter = (op: string, prop: string) =>
    method(
      op,
      `Connection.${prop}`,
      [conn],
      () => [w.conn],
      ([c]) => Reflect.get(Object.getPrototypeOf(w.conn), prop, c),
    );
  getter('pendingEncrypted', 'pendingEncrypted');
  getter('SSL_session_reused', 'sessionReused');
  getter('SSL_get_version', 'protocol');
  getter('SSL_get_current_cipher', 'cipher');
  getter('SSL_get0_alpn_selected', 'alpn');
  getter('SSL_get0_peer_certificate', 'peerCertificate');
  getter('SSL_get0_group_name', 'group');
  getter('SSL_get_peer_cert_chain', 'peerCertificateChain');
  getter('SSL_get_verify_result', 'verifyResult');
  const call0 = (op: string, m: string) =>
    method(
      op,
      `Connection.${m}()`,
      [conn],
      () => [w.conn],
      ([c]) => Reflect.apply(Object.getPrototypeOf(w.conn)[m], c, []),
    );
  call0('SSL_get_session', 'getSession');
  call0('SSL_get1_session', 'get1Session');
  call0('readEncrypted', 'readEncrypted');
  method(
    'writeEncrypted',
    'Connection.writeEncrypted(b)',
    [conn, { kind: 'bytes' }],
    () => [w.conn, new Uint8Array(0)],
    ([c, b]) => Reflect.apply(Object.getPrototypeOf(w.conn).writeEncrypted, c, [b]),
  );
  method(
    'onSession',
    'Connection.onSession(fn)',
    [conn, { kind: 'callback' }],
    () => [w.conn, null],
    ([c, f]) => Reflect.apply(Object.getPrototypeOf(w.conn).onSession, c, [f]),
  );
  method(
    'SSL_set_session',
    'Connection.setSession(s)',
    [conn, session],
    () => [w.conn, w.s],
    ([c, s]) => Reflect.apply(Object.getPrototypeOf(w.conn).setSession, c, [s]),
  );
  method(
    'SSL_set_session',
    'SSL_set_session(ssl, s)',
    [conn, session],
    () => [w.conn, w.s],
    ([c, s]) => w.ossl.SSL_set_session(c as Connection, s as Session),
  );
  method(
    'SSL_get_session',
    'SSL_get_session(ssl)',
    [conn],
    () => [w.conn],
    ([c]) => w.ossl.SSL_get_session(c as Connection),
  );
  method(
    'SSL_CTX_flush_sessions',
    'SSL_CTX_flush_sessions(ctx, t)',
    [ctx, numberKind('sessionTime')],
    () => [w.client, 0],
    ([c, v]) => w.ossl.SSL_CTX_flush_sessions(c as Context, v as number),
  );
  method(
    'SSL_write_early_data',
    'Connection.writeEarlyData(d)',
    [conn, { kind: 'bytesOrData' }],
    () => [w.conn, 'x'],
    ([c, d]) => Reflect.apply(Object.getPrototypeOf(w.conn).writeEarlyData, c, [d]),
  );
  getter('SSL_get_early_data_status', 'earlyDataStatus');
  // Every OpenSSL-shaped function (ossl.SSL_*, d2i_*, RAND_*) with no entry above, generated from its
  // declaration: its parameters' kinds, valid values by kind, and whatever it returns that owns
  // something (a session handle) freed again. A new declaration of this layer needs no edit here.
  const written = new Set(t.flatMap((x) => /^(\w+)\(/.exec(x.name)?.[1] ?? []));
  const freeOwned = (r: unknown): void => {
    if (r !== null && typeof r === 'object' && typeof (r as Partial<Session>).free === 'function') (r as Session).free();
  };
  for (const op of new Set(declaredCalls().map((d) => d.op))) {
    const d = declaration(op);
    if (d === undefined || d.kinds.length === 0 || written.has(op) || typeof o()[op] !== 'function') continue;
    const kinds = d.kinds as ParamKind[];
    t.push({
      ops: [op],
      name: `${op}(${d.params.join(', ')})`,
      params: kinds.map((k) => kindOf(k)),
      valid: () => kinds.map(validOf),
      call: (args) => {
        const r = o()[op](...args);
        freeOwned(r);
        return r;
      },
    });
  }
  // Every Session method (toDER(), upRef(), free(), ...) the same way, `this` as parameter 0 (its
  // getters and setters come from the field table above).
  const methodOf = (name: string): ((...a: unknown[]) => unknown) | undefined => {
    for (let p: object | null = Object.getPrototypeOf(w.s); p !== null; p = Object.getPrototypeOf(p)) {
      const d = Object.getOwnPropertyDescriptor(p, name);
      if (d) return typeof d.value === 'function' ? d.value : undefined;
    }
    return undefined;
  };
  for (const op of new Set(declaredCalls().map((d) => d.op))) {
    const m = op.startsWith('Session.') ? methodOf(op.slice('Session.'.length)) : undefined;
    const d = declaration(op);
    if (m === undefined || d === undefined || t.some((x) => x.name === `${op}()`)) continue;
    const kinds = d.kinds as ParamKind[];
    t.push({
      ops: [op],
      name: `${op}()`,
      params: kinds.map((k) => kindOf(k)),
      valid: () => kinds.map(validOf),
      call: ([self, ...rest]) => {
        const r = Reflect.apply(m, self, rest);
        freeOwned(r);
        return r;
      },
    });
  }
  // A class member's entry (named Class.member) passes `this` as argument 0.
  for (const x of t) x.self = /^(Session|Context|Connection)\./.test(x.name);
  return t;
}

// Calls that never take a caller's value beyond `this` (or take it only through a covered entry).
const NOT_ARGUMENT_TAKING = new Set([
  'RAND_status',
  'SSL_SESSION_new',
  'ledger.events',
  'ledger.live',
  'ledger.stats',
  'ledger.violations',
  'ledger.heapBytes',
  'ledger.assertNoLeaks',
]);
const COVERED_ELSEWHERE = new Set([
  'SSL_CTX_free',
  'endEncrypted',
  'handshake',
  'write',
  'read',
  'shutdown',
  'SSL_has_pending',
  'SSL_free',
]);

// ---- running ---------------------------------------------------------------------------------------------

const tally = { cases: 0, refused: 0, accepted: 0, byError: {} as Record<string, number> };

function runCase(target: Target, position: number, shape: Shape): void {
  const args = target.valid();
  args[position] = shape.make();
  w.ran = [];
  const before = snapshot(w.ossl);
  let thrown: unknown;
  try {
    target.call(args);
  } catch (error) {
    thrown = error;
  }
  const label = `${target.name} #${position} ${shape.name}`;
  expect(w.ran, `${label}: a hook ran`).toEqual([]);
  expect(w.ossl.failed, `${label}: the instance failed`).toBe(false);
  tally.cases++;
  const expected = target.self && position === 0 && shape.foreignInstance ? 'accept' : shape.expect;
  if (expected === 'accept') {
    tally.accepted++;
    if (thrown !== undefined) expect(thrown, `${label}: only OpenSSL may refuse an accepted shape`).toBeInstanceOf(OpenSSLWasmError);
    target.restore?.();
  } else {
    const classes = expected.refuse;
    expect(
      classes.some((c) => thrown instanceof c),
      `${label}: expected ${classes.map((c) => c.name).join('|')}, got ${String(thrown)}`,
    ).toBe(true);
    tally.refused++;
    const name = (thrown as Error).constructor.name;
    tally.byError[name] = (tally.byError[name] ?? 0) + 1;
    const after = snapshot(w.ossl);
    expect(after.live, `${label}: the C counts changed`).toEqual(before.live);
    expect(after.heap, `${label}: the heap changed`).toBe(before.heap);
    expect(after.lastEventSeq, `${label}: the ledger recorded`).toBe(before.lastEventSeq);
    const counted = !(target.self && position === 0 && !shape.ours);
    expect(after.refused, `${label}: refusals counted`).toBe(before.refused + (counted ? 1 : 0));
  }
}

describe('adversarial: every public method x every argument position x hostile shapes', () => {
  it('covers every declared call that takes a caller value', () => {
    const covered = new Set(surface().flatMap((t) => t.ops));
    const missing = declaredCalls()
      .map((d) => d.op)
      .filter((op) => !covered.has(op) && !NOT_ARGUMENT_TAKING.has(op) && !COVERED_ELSEWHERE.has(op));
    expect([...new Set(missing)]).toEqual([]);
  });

  it('each case is refused with its typed error, or harmless; nothing changes on a refusal; the instance works', () => {
    const failures: string[] = [];
    for (const target of surface()) {
      target.params.forEach((kind, position) => {
        for (const shape of shapes(kind)) {
          try {
            runCase(target, position, shape);
          } catch (error) {
            failures.push((error as Error).message.split('\n')[0]);
          }
        }
      });
    }
    expect(failures).toEqual([]);
    // Still working: a full handshake and a resumption.
    const pair = w.ossl.connectInMemory(w.client, w.server, { hostname: HOSTNAME });
    const s = pair.client.get1Session() as Session;
    pair.free();
    const again = w.ossl.connectInMemory(w.client, w.server, { hostname: HOSTNAME, session: s });
    expect(again.client.sessionReused).toBe(true);
    again.free();
    s.free();
    console.log(
      `[adversarial] ${tally.cases} cases: ${tally.refused} refused (${JSON.stringify(tally.byError)}), ${tally.accepted} harmless shapes accepted`,
    );
    expect(tally.cases).toBeGreaterThan(1000);
  });

  it('property: random hostile shapes at random positions of random methods are always refused or harmless, never a trap', () => {
    const targets = surface();
    const cases = targets.flatMap((t) => t.params.flatMap((k, i) => shapes(k).map((s) => [t, i, s] as const)));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: cases.length - 1 }), { minLength: 1, maxLength: 12 }), (picks) => {
        for (const p of picks) runCase(...cases[p]);
      }),
      { numRuns: 200 },
    );
  });
});
