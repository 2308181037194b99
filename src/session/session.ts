/**
 * The idiomatic session classes. A `Session` is a handle: it stands for exactly one reference the
 * JS side owns; `upRef()` returns a new handle and `free()` releases this one. A `SessionView` is
 * borrowed (what get0-style functions return): it has no free(), expires for good with what it was
 * borrowed from, and becomes a handle only by taking a reference (`view.upRef()`).
 * Their fields are generated from the one table (../core/fields.ts); every call goes through the
 * gate (../core/gate.ts). What stands behind an object lives in its ES private field (../core/instance.ts).
 */

import { CONSTRUCT, notOurs } from '../core/brand.js';
import { FIELD_ROWS, type SessionFields, type SettableField, type SettableSessionFields, sessionText, writeField } from '../core/fields.js';
import { declare, OWNED_SESSION, type Param, SESSION } from '../core/gate.js';
import { SessionObject, type SessionState, sessionState } from '../core/instance.js';
import { OpenSSLError } from '../errors.js';
import type { HoldersReport } from '../ledger/ledger.js';

/** What the published types name where a consumer's lib has no `Symbol.dispose` (neither esnext.disposable nor @types/node). */
declare const disposeStandIn: unique symbol;
/** `typeof Symbol.dispose` when the consumer's lib declares it (so `using` type-checks), else a unique symbol. */
export type DisposeSymbol = SymbolConstructor extends { readonly dispose: infer D extends symbol } ? D : typeof disposeStandIn;
/** `Symbol.dispose`, or its registered stand-in where the runtime lacks it (so `using` works). */
export const disposeSymbol: DisposeSymbol = ((Symbol as { dispose?: symbol }).dispose ?? Symbol.for('Symbol.dispose')) as DisposeSymbol;

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** A session argument whose liveness is not checked (holders() of a freed session is empty). */
const ANY_SESSION: Param<SessionState> = { name: 'session', kind: { kind: 'session', any: true }, convert: SESSION.convert };

function stateOf(v: unknown, op: string): SessionState {
  const s = sessionState(v);
  if (s === undefined) throw notOurs(v, op, 'a Session or SessionView', ['Session', 'SessionView']);
  return s;
}

/** What inspect and toJSON show: the ledger's ids, the count and the state; never a byte of the session. */
export interface SessionSummary {
  kind: 'Session' | 'SessionView';
  session: string;
  handle: string;
  references: number;
  state: 'alive' | 'released' | 'expired' | 'freed';
}

function summary(v: unknown, kind: SessionSummary['kind']): SessionSummary {
  const s = stateOf(v, `${kind}.toJSON`);
  const own = s.own;
  const state = !own.record.alive
    ? 'freed'
    : own.references > 0
      ? 'alive'
      : s.borrow === null || own.owned
        ? 'released'
        : s.core.expiry(s) === null
          ? 'alive'
          : 'expired';
  return { kind, session: own.record.id, handle: own.id, references: own.references, state };
}

// ---- the declared calls (one per public method; the fields' are generated below) --------------------

const toDER = declare('Session.toDER', [SESSION], (core, s) => sessionText.toDER(core.b, s.own.record.ptr));
const toPEM = declare('Session.toPEM', [SESSION], (core, s) => sessionText.toPEM(core.b, s.own.record.ptr));
const print = declare('Session.print', [SESSION], (core, s) => sessionText.print(core.b, s.own.record.ptr) ?? '');
const holders = declare('Session.holders', [ANY_SESSION], (core, s): HoldersReport => core.ledger.holdersOf(s.own.record));
const upRef = declare('Session.upRef', [SESSION], (core, s) => core.newReference(s.own.record, 'Session.upRef') as Session, {
  clearErrors: false, // see Core.upRefInto
});
const dup = declare('Session.dup', [SESSION], (core, s) =>
  core.ledger.run('Session.dup', undefined, () => {
    const copy = core.b.x.SSL_SESSION_dup(s.own.record.ptr);
    if (copy === 0) throw core.b.error('SSL_SESSION_dup');
    return core.adopt<Session>(copy, 'dup', 'Session.dup', 0);
  }),
);
const free = declare('Session.free', [OWNED_SESSION], (core, s) => core.release(s, 'Session.free'), { clearErrors: false });

/** What both handles and views can read. */
abstract class SessionReader extends SessionObject {
  /** @internal */
  constructor(token: unknown, state?: SessionState) {
    super(
      token,
      state,
      'sessions come from the instance (ossl.newSession(), sessionFromDER/PEM, SSL_SESSION_new/dup, d2i_SSL_SESSION), a connection (get1Session(), getSession()) or upRef()/dup() of another session',
    );
  }

  /** The ledger's stable id of this session ("S3"); the same for every handle and view of it. */
  get sessionId(): string {
    return stateOf(this, 'sessionId').own.record.id;
  }
  /** This object's id in the ledger ("H4"), as `holders()` lists it. */
  get handleId(): string {
    return stateOf(this, 'handleId').own.id;
  }
  /** References the JS side holds through this object (a handle: 1 unless SSL_SESSION_up_ref added more; a view: 0 unless it took some). */
  get references(): number {
    return stateOf(this, 'references').own.references;
  }
  /** False once every reference held through this object is released (handles) or the borrow expired, for good (views). */
  get alive(): boolean {
    const s = stateOf(this, 'alive');
    const own = s.own;
    if (!own.record.alive) return false;
    if (own.references > 0) return true;
    return s.borrow !== null && !own.owned && s.core.expiry(s) === null;
  }
  /** DER encoding (i2d_SSL_SESSION). Contains the master secret: treat as a secret. */
  toDER(): Uint8Array {
    return toDER(null, this);
  }
  /** PEM text (PEM_write_SSL_SESSION). Contains the master secret: treat as a secret. */
  toPEM(): string {
    return toPEM(null, this);
  }
  /** SSL_SESSION_print's text (OpenSSL includes the master key in it). */
  print(): string {
    return print(null, this);
  }
  /** Who holds references to this session right now. */
  holders(): HoldersReport {
    return holders(null, this);
  }
  /** A new handle holding one more reference (SSL_SESSION_up_ref). */
  upRef(): Session {
    return upRef(null, this);
  }
  /** A deep copy that belongs to no cache, in a new handle (SSL_SESSION_dup). */
  dup(): Session {
    return dup(null, this);
  }
}

/** A handle: one reference the JS side owns. Release it with free() or `using`. */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: its field accessors are generated from the one table (core/fields.ts)
export class Session extends SessionReader {
  /** Releases this handle's reference (SSL_SESSION_free). A second call throws DoubleFreeError. */
  free(): void {
    free(null, this);
  }
  /**
   * `using s = ...` releases, at the end of the scope, every reference held through this handle
   * (one, unless SSL_SESSION_up_ref added more to it); a no-op when already freed.
   */
  [disposeSymbol](): void {
    const s = stateOf(this, 'Session[Symbol.dispose]');
    while (s.own.references > 0) this.free();
  }
  /** Only ids, the count and the state: never key material or heap contents. */
  toJSON(): SessionSummary {
    return summary(this, 'Session');
  }
  [inspectSymbol](): string {
    const { session, handle, references, state } = summary(this, 'Session');
    return `Session { session: '${session}', handle: '${handle}', references: ${references}, state: '${state}' }`;
  }
}

/**
 * A borrowed view (SSL_get_session / get0): no free() in its type. It expires for good when the
 * connection or cache it was borrowed from changes or goes away; take a reference with upRef() to keep it.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: its field accessors are generated from the one table (core/fields.ts)
export class SessionView extends SessionReader {
  /** Where this view was borrowed from. */
  get borrowedFrom(): string {
    return stateOf(this, 'borrowedFrom').borrow?.label ?? 'OpenSSL';
  }
  toJSON(): SessionSummary {
    return summary(this, 'SessionView');
  }
  [inspectSymbol](): string {
    const { session, handle, references, state } = summary(this, 'SessionView');
    return `SessionView { session: '${session}', handle: '${handle}', references: ${references}, state: '${state}' }`;
  }
}

// The fields' types come from the table; the accessors are generated from it just below.
export interface SessionView extends SessionFields {}
export interface Session extends SettableSessionFields, Omit<SessionFields, SettableField> {}

for (const [name, row] of FIELD_ROWS) {
  const clearErrors = row.plain !== true;
  const get = declare(`Session.${name}`, [SESSION], (core, s) => row.read(core.b, s.own.record.ptr), { clearErrors });
  const getter = function (this: unknown): unknown {
    return get(null, this);
  };
  Object.defineProperty(SessionReader.prototype, name, { get: getter, enumerable: false, configurable: true });
  const setter = row.set;
  if (setter === undefined) continue;
  const what = `Session.${name}`;
  const value: Param = { name: what, kind: setter.kind, convert: (v, _what, core) => setter.convert(v, what, core) };
  const set = declare(
    setter.name,
    [SESSION, value],
    (core, s, v) => {
      if (!writeField(core, setter, s.own.record.ptr, v)) throw new OpenSSLError(setter.name, core.b.drainErrors());
    },
    { clearErrors },
  );
  Object.defineProperty(Session.prototype, name, {
    get: getter,
    set(this: unknown, v: unknown) {
      set(null, this, v);
    },
    enumerable: false,
    configurable: true,
  });
}

/** Makes the objects the instance core hands out (injected into it: the core is a layer below). */
export const sessionFactories = {
  handle: (state: SessionState): object => new Session(CONSTRUCT, state),
  view: (state: SessionState): object => new SessionView(CONSTRUCT, state),
};
