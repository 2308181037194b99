/**
 * The gate: the one flow every public call follows (../../DESIGN.md, "the gate").
 *   1. convert every argument (the only place user code may run),
 *   2. check handles against the ledger (alive? owned? this instance? borrow valid?),
 *   3. call C with no user code in between (callbacks from C are guarded where they are made),
 *   4. record (the ledger's writer, inside the body), 5. return or raise a typed error.
 * A call refused in 1 or 2 never reaches C, changes nothing and is counted in ledger.stats().refused.
 * Every public method is one declaration: its operation name, its parameters' kinds, its body.
 */

import { notOurs } from './brand.js';
import { bytes, bytesOrData, bytesOrText, integer, type NumberKind } from './convert.js';
import { type Core, type SessionState, sessionState } from './instance.js';

/**
 * What a parameter accepts, declared with it: generators (the adversarial suite) derive their
 * hostile cases from these, so a new declaration is covered without a hand-kept list.
 */
export type ParamKind = (
  | { readonly kind: 'session'; readonly owned?: true; readonly any?: true }
  | { readonly kind: 'context'; readonly any?: true }
  | { readonly kind: 'connection'; readonly any?: true }
  | { readonly kind: 'bytes' | 'bytesOrText' | 'bytesOrData' | 'cipher' | 'callback' }
  | { readonly kind: 'string'; readonly maxBytes: number }
  | { readonly kind: 'number'; readonly range: NumberKind }
) & { readonly nullable?: true; readonly optional?: true };

/** One parameter kind: conversion (may run user code), then an optional check (runs none). */
export interface Param<C = unknown, P = C> {
  /** What the parameter is called in messages ("hostname"). */
  readonly name: string;
  /** What it accepts; absent for parameters no caller's value reaches directly (options records, internal arguments). */
  readonly kind?: ParamKind;
  /** `what` names the argument in messages ("SSL_SESSION_set1_hostname: hostname"); `op` the call. */
  convert(v: unknown, what: string, core: Core, op: string): C;
  check?(c: C, op: string, core: Core): P;
}

type Checked<Ps> = { [K in keyof Ps]: Ps[K] extends Param<infer C, infer P> ? (unknown extends P ? C : P) : never };

/** A declared public call: `(core or null, ...raw arguments) => result`. */
export interface Declared<Ps extends readonly Param[], R> {
  readonly op: string;
  readonly params: Ps;
  /** Runs the gate. Without a core, the first argument (a session) names the instance. */
  (core: Core | null, ...raw: unknown[]): R;
}

/** A declared call as generators see it: its operation name, its parameters' names and kinds. */
export interface DeclaredCall {
  readonly op: string;
  readonly params: readonly string[];
  readonly kinds: readonly (ParamKind | undefined)[];
}

const declared: DeclaredCall[] = [];

/** Every declared call: the adversarial suite derives its cases from them and checks it covers them all. */
export function declaredCalls(): readonly DeclaredCall[] {
  return declared;
}

/** Counts a refusal found while C has not been reached yet (inside a body, before its C call). */
export function refuse(core: Core, error: Error): Error {
  core.ledger.refused();
  return error;
}

/**
 * Declares a public call. `body` receives the checked values; it calls C and records through the
 * ledger's writer. `clearErrors`: OpenSSL's error queue is left empty afterwards (the default).
 */
export function declare<const Ps extends readonly Param[], R>(
  op: string,
  params: Ps,
  body: (core: Core, ...args: Checked<Ps>) => R,
  options: { clearErrors?: boolean } = {},
): Declared<Ps, R> {
  const n = params.length;
  const clear = options.clearErrors ?? true;
  declared.push({ op, params: params.map((p) => p.name), kinds: params.map((p) => p.kind) });
  const what = params.map((p) => `${op}: ${p.name}`);
  const call = body as (core: Core, ...args: unknown[]) => R;
  /** The instance: the one given, or (class members) the one of the session standing as `this`. */
  const instanceOf = (given: Core | null, first: unknown): Core => {
    if (given !== null) return given;
    const state = sessionState(first);
    if (state === undefined) throw notOurs(first, op, 'a Session or SessionView', ['Session', 'SessionView']);
    return state.core;
  };
  const finish = (core: Core, v0?: unknown, v1?: unknown): R => {
    // 3. call C, 4. record (inside the body)
    try {
      return n === 0 ? call(core) : n === 1 ? call(core, v0) : call(core, v0, v1);
    } catch (error) {
      throw core.contain(error);
    } finally {
      if (clear) core.b.clearErrors();
    }
  };
  // The same flow, written out for the common arities (no argument arrays on the hot path).
  if (n <= 2) {
    const [p0, p1] = params as readonly Param[];
    const run2 = (given: Core | null, a0?: unknown, a1?: unknown): R => {
      const core = instanceOf(given, a0);
      let v0: unknown;
      let v1: unknown;
      // 1. convert (user code may run here, and only here)
      try {
        if (n > 0) v0 = p0.convert(a0, what[0], core, op);
        if (n > 1) v1 = p1.convert(a1, what[1], core, op);
      } catch (error) {
        core.ledger.refused();
        throw error;
      }
      // 2. check (no user code from here on)
      core.assertNotFailed();
      try {
        if (n > 0 && p0.check !== undefined) v0 = p0.check(v0, op, core);
        if (n > 1 && p1.check !== undefined) v1 = p1.check(v1, op, core);
      } catch (error) {
        core.ledger.refused();
        throw error;
      }
      return finish(core, v0, v1);
    };
    return Object.assign(run2, { op, params }) as unknown as Declared<Ps, R>;
  }
  const run = (given: Core | null, ...raw: unknown[]): R => {
    let core = given;
    if (core === null) {
      const state = sessionState(raw[0]);
      if (state === undefined) throw notOurs(raw[0], op, 'a Session or SessionView', ['Session', 'SessionView']);
      core = state.core;
    }
    // 1. convert (user code may run here, and only here)
    const values: unknown[] = new Array(n);
    try {
      for (let i = 0; i < n; i++) values[i] = params[i].convert(raw[i], what[i], core, op);
    } catch (error) {
      core.ledger.refused();
      throw error;
    }
    // 2. check (no user code from here on)
    core.assertNotFailed();
    try {
      for (let i = 0; i < n; i++) {
        const check = params[i].check;
        if (check !== undefined) values[i] = check(values[i], op, core);
      }
    } catch (error) {
      core.ledger.refused();
      throw error;
    }
    // 3. call C, 4. record (inside the body)
    try {
      return (body as (core: Core, ...args: unknown[]) => R)(core, ...values);
    } catch (error) {
      throw core.contain(error);
    } finally {
      if (clear) core.b.clearErrors();
    }
  };
  return Object.assign(run, { op, params }) as unknown as Declared<Ps, R>;
}

// ---- the parameter kinds every layer uses ---------------------------------------------------------

/** A session (handle or view) that may be read or written now. */
export const SESSION: Param<SessionState> = {
  name: 'session',
  kind: { kind: 'session' },
  convert: (v, _what, core, op) => core.session(v, op),
  check: (s, op, core) => {
    core.usable(s, op);
    return s;
  },
};

/** A session whose reference the JS side releases (SSL_SESSION_free, Session.free). */
export const OWNED_SESSION: Param<SessionState> = {
  name: 'session',
  kind: { kind: 'session', owned: true },
  convert: SESSION.convert,
  check: (s, op, core) => {
    core.releasable(s, op);
    return s;
  },
};

/** A value converted by `convert` (a string, a number of a kind, bytes...). */
export function param<C>(name: string, convert: (v: unknown, what: string) => C): Param<C> {
  return { name, convert: (v, what) => convert(v, what) };
}

/** A whole number of a declared range, refused rather than coerced (convert.ts: integer). */
export function numberParam(name: string, range: NumberKind): Param<number> {
  return { name, kind: { kind: 'number', range }, convert: (v, what) => integer(v, range, what) };
}

/** Bytes, copied through the intrinsic extent (convert.ts: bytes). */
export function bytesParam(name: string): Param<Uint8Array> {
  return { name, kind: { kind: 'bytes' }, convert: (v, what) => bytes(v, what) };
}

/** Bytes, or a string taken as its UTF-8 (convert.ts: bytesOrText). */
export function bytesOrTextParam(name: string): Param<Uint8Array> {
  return { name, kind: { kind: 'bytesOrText' }, convert: (v, what) => bytesOrText(v, what) };
}

/** Bytes, or a string sent as its UTF-8 with NUL as data (convert.ts: bytesOrData). */
export function bytesOrDataParam(name: string): Param<Uint8Array> {
  return { name, kind: { kind: 'bytesOrData' }, convert: (v, what) => bytesOrData(v, what) };
}

/** The same parameter, or `absent` (undefined or null) as itself: neither converted nor checked. */
function orAbsent<C, P, A extends undefined | null>(p: Param<C, P>, absent: A, flag: 'optional' | 'nullable'): Param<C | A, P | A> {
  const check = p.check;
  return {
    name: p.name,
    ...(p.kind ? { kind: { ...p.kind, [flag]: true } } : {}),
    convert: (v, what, core, op) => (v === absent ? absent : p.convert(v, what, core, op)),
    ...(check ? { check: (c: C | A, op: string, core: Core) => (c === absent ? absent : check(c as C, op, core)) } : {}),
  } as Param<C | A, P | A>;
}

/** The same parameter, or undefined when the caller left it out. */
export function optional<C, P>(p: Param<C, P>): Param<C | undefined, P | undefined> {
  return orAbsent(p, undefined, 'optional');
}

/** The same parameter, or null. */
export function nullable<C, P>(p: Param<C, P>): Param<C | null, P | null> {
  return orAbsent(p, null, 'nullable');
}
