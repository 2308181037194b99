/**
 * One instance's core state and the ownership checks both public layers share: is the instance
 * failed, is a handle alive, owned, of this instance, is a borrow still valid; trap containment;
 * moving references through the ledger's writer. The session classes are handed in through the
 * constructor (they live above this layer). A refused call never reaches C and changes nothing.
 */
import type { SessionPtr } from '../binding/abi.js';
import type { Binding } from '../binding/binding.js';
import {
  BorrowExpiredError,
  DoubleFreeError,
  ForeignObjectError,
  InstanceFailedError,
  NotOwnedError,
  UseAfterFreeError,
} from '../errors.js';
import type { EventOp } from '../ledger/events.js';
import type { LedgerWriter, Ownership, SessionRecord } from '../ledger/ledger.js';
import type { LeakInfo } from '../ledger/objects.js';
import { CONSTRUCT, notOurs, recognise, refuseConstruction } from './brand.js';

/** Where a view was borrowed from; it expires for good when that changes or goes away. */
export interface Borrow {
  /** "SSL_get_session(C2)" */
  readonly label: string;
  /** Why the borrow no longer holds, or null while it does. */
  expired(): string | null;
}

/** What stands behind one Session or SessionView (in the object's ES private field, unreachable from outside). */
export interface SessionState {
  readonly core: Core;
  /** The public object this state stands behind (set once, by Core, right after it is made). */
  holder: object;
  readonly own: Ownership;
  readonly borrow: Borrow | null;
  /** Why the borrow expired, once it did: expiry is final (A -> B -> A does not revive a view). */
  expiredBecause: string | null;
  /** Whether the finalizer watches the object now (registration waits for the end of the turn). */
  watched: boolean;
}

let readState: (v: object) => SessionState | undefined;

/**
 * The base of Session and SessionView: the state lives in an ES private field, read by a brand
 * check (`#state in v`) that runs no code of the value's own (a Proxy has no private fields) and,
 * unlike a WeakMap entry, costs nothing to create with each handle.
 */
export abstract class SessionObject {
  #state: SessionState | undefined;
  static {
    readState = (v) => (#state in v ? v.#state : undefined);
  }
  /** @internal */
  constructor(token: unknown, state: SessionState | undefined, how: string) {
    if (token !== CONSTRUCT) refuseConstruction(token, new.target.name, how);
    this.#state = state;
  }
}

/** The state behind a session object of this copy of the package, or undefined. */
export function sessionState(v: unknown): SessionState | undefined {
  return typeof v === 'object' && v !== null ? readState(v) : undefined;
}

// Another copy of the package recognises this copy's sessions through the shared registry.
recognise((v) => {
  const s = readState(v);
  return s === undefined ? undefined : s.borrow === null ? 'Session' : 'SessionView';
});

/** Makes the public objects for a state (the session classes, injected by the instance's builder). */
export interface SessionFactories {
  handle(state: SessionState): object;
  view(state: SessionState): object;
}

/** Handles made in this turn wait here for the finalizer; most are freed before it ends and never need it. */
const SETTLE_AT = 256;

export class Core {
  private failure: unknown = null;
  private readonly finalizer: FinalizationRegistry<Ownership> | null;
  /** Objects holding references that the finalizer does not watch yet (see watch()). */
  private unwatched: SessionState[] = [];
  private settleQueued = false;
  private readonly settleNow = (): void => {
    this.settleQueued = false;
    this.settle();
  };

  constructor(
    readonly b: Binding,
    readonly ledger: LedgerWriter,
    private readonly factories: SessionFactories,
    onLeak: (id: string, info: LeakInfo) => void,
  ) {
    this.finalizer =
      typeof FinalizationRegistry === 'function'
        ? new FinalizationRegistry<Ownership>((own) => {
            // Only reports: freeing from a finalizer would hide the bug and race with C.
            if (own.references > 0 && own.record.alive)
              onLeak(own.record.id, { kind: 'session', ...(own.created ? { created: own.created } : {}) });
          })
        : null;
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  /** Refuses every call once the instance trapped: its memory can no longer be trusted. */
  assertNotFailed(): void {
    if (this.failure !== null) throw new InstanceFailedError(this.failure);
  }

  /**
   * Runs C work. A trap (unreachable, out of bounds, stack overflow) marks the instance failed:
   * its memory can no longer be trusted, so every later call raises InstanceFailedError.
   */
  guard<T>(fn: () => T): T {
    if (this.failure !== null) throw new InstanceFailedError(this.failure);
    try {
      return fn();
    } catch (error) {
      throw this.contain(error);
    }
  }

  /** The error to raise for `error` thrown while C ran: a trap fails the instance. */
  contain(error: unknown): unknown {
    if (error instanceof WebAssembly.RuntimeError || isEmscriptenAbort(error)) {
      this.failure = error;
      return new InstanceFailedError(error);
    }
    return error;
  }

  // ---- session arguments ---------------------------------------------------------------------------

  /** Conversion of a session argument: the state behind it, of this instance. Runs no check of liveness. */
  session(v: unknown, op: string): SessionState {
    const state = sessionState(v);
    if (state === undefined) throw notOurs(v, op, 'a Session or SessionView', ['Session', 'SessionView']);
    if (state.core !== this) {
      throw new ForeignObjectError(
        `${op}: ${state.own.record.id} belongs to another OpenSSL instance (each loadOpenSSL() has its own memory)`,
        state.own.record.id,
      );
    }
    return state;
  }

  /** The pointer of a session that may be read or written now, or a refusal (no user code runs). */
  usable(state: SessionState, op: string): SessionPtr {
    const own = state.own;
    const record = own.record;
    if (own.references === 0) {
      if (own.owned || state.borrow === null) {
        throw new UseAfterFreeError(
          `${op}: ${record.id} was used through ${own.id} after all its references were released`,
          record.id,
          provenance(own),
        );
      }
      const why = this.expiry(state);
      if (why !== null) {
        throw new BorrowExpiredError(
          `${op}: the view of ${record.id} borrowed from ${state.borrow.label} has expired: ${why}`,
          record.id,
          provenance(own),
        );
      }
    }
    if (!record.alive) throw new UseAfterFreeError(`${op}: ${record.id} has been freed`, record.id, provenance(own));
    return record.ptr;
  }

  /** Why a view's borrow expired (once expired, always expired), or null. */
  expiry(state: SessionState): string | null {
    if (state.expiredBecause !== null) return state.expiredBecause;
    const why = state.borrow?.expired() ?? null;
    if (why !== null) state.expiredBecause = why;
    return why;
  }

  /** The check before SSL_SESSION_free through `state`: refuses what JS does not hold. */
  releasable(state: SessionState, via: string): SessionPtr {
    const own = state.own;
    if (own.references === 0) {
      if (own.owned) {
        throw new DoubleFreeError(
          `${via}: double free of ${own.record.id} through ${own.id}: every reference it held is already released`,
          own.record.id,
          provenance(own),
        );
      }
      throw new NotOwnedError(
        `${via}: ${own.record.id} is borrowed from ${state.borrow?.label ?? 'OpenSSL'}; the JS side holds no reference to free. ` +
          'SSL_SESSION_free(3): it "must only be called for SSL_SESSION objects, for which the reference count was explicitly incremented" ' +
          '(up_ref, SSL_get1_session, d2i_SSL_SESSION, new, dup).',
        own.record.id,
        provenance(own),
      );
    }
    if (!own.record.alive) throw new UseAfterFreeError(`${via}: ${own.record.id} has been freed`, own.record.id, provenance(own));
    return own.record.ptr;
  }

  // ---- moving references (after the checks; no user code runs in here) ------------------------------

  /** Wraps a reference JS just received from C (new, dup, d2i, PEM read, get1) in a new handle. */
  adopt<T>(ptr: SessionPtr, op: EventOp, via: string, opcode: 0 | 1): T {
    return this.handle(this.ledger.adopt(ptr, op, via, opcode)) as T;
  }

  handle(own: Ownership): object {
    const state: SessionState = { core: this, holder: NO_HOLDER, own, borrow: null, expiredBecause: null, watched: false };
    const h = this.factories.handle(state);
    state.holder = h;
    this.watch(state);
    return h;
  }

  /** A view of the session at ptr, borrowed from `borrow`. */
  view(ptr: SessionPtr, borrow: Borrow): object {
    const record: SessionRecord = this.ledger.recordFor(ptr);
    const own = this.ledger.newOwnership(record, 0);
    const state: SessionState = { core: this, holder: NO_HOLDER, own, borrow, expiredBecause: null, watched: false };
    const v = this.factories.view(state);
    state.holder = v;
    return v;
  }

  /**
   * The finalizer reports an object collected while it holds references. Registering costs more
   * than the rest of upRef()+free(), and most handles are freed in the turn that made them, so an
   * object waits (held strongly: it cannot be collected unseen) until the end of the turn or until
   * SETTLE_AT others wait, and is registered then only if it still holds references.
   */
  private watch(state: SessionState): void {
    if (this.finalizer === null || state.watched) return;
    const n = this.unwatched.push(state);
    if (n >= SETTLE_AT) this.settle();
    else if (!this.settleQueued) {
      this.settleQueued = true;
      if (typeof queueMicrotask === 'function') queueMicrotask(this.settleNow);
      else this.settle();
    }
  }

  private settle(): void {
    const waiting = this.unwatched;
    this.unwatched = [];
    for (const state of waiting) {
      if (state.watched || state.own.references === 0) continue;
      state.watched = true;
      this.finalizer?.register(state.holder, state.own, state.own);
    }
  }

  // The reference moves run in the ledger's call context (enter/leave), or without one when the
  // ledger says the trace is quiet (release mode: the call's own record is then read directly).
  // OpenSSL's error queue is left as it was: SSL_SESSION_up_ref never queues an error, and
  // SSL_SESSION_free can only when it frees the session, so only then is the queue emptied.

  /** Runs a reference move in the ledger's call context, or without one when the trace is quiet. */
  private move<A, R>(via: string, now: (this: Core, a: A, via: string, quiet: boolean) => R, a: A): R {
    const ledger = this.ledger;
    if (ledger.quiet()) return now.call(this, a, via, true);
    ledger.enter(via, undefined);
    try {
      return now.call(this, a, via, false);
    } finally {
      ledger.leave(via);
    }
  }

  /** SSL_SESSION_up_ref through `state` (the OpenSSL-shaped layer: the same object holds one more). */
  upRefInto(state: SessionState, via: string): boolean {
    return this.move(via, this.upRefNow, state);
  }

  private upRefNow(state: SessionState, via: string, quiet: boolean): boolean {
    const own = state.own;
    if (this.b.x.SSL_SESSION_up_ref(own.record.ptr) !== 1) {
      if (quiet) this.ledger.settle(via);
      this.b.clearErrors(); // a 0 leaves the queue empty, as the gate did for every call
      return false;
    }
    this.ledger.tookReference(own, via, quiet);
    if (own.references === 1) this.watch(state);
    return true;
  }

  /** A new handle holding one more reference (Session.upRef, SessionView.upRef). */
  newReference(record: SessionRecord, via: string): object {
    return this.move(via, this.newReferenceNow, record);
  }

  private newReferenceNow(record: SessionRecord, via: string, quiet: boolean): object {
    const own = this.ledger.newOwnership(record, 0);
    if (this.b.x.SSL_SESSION_up_ref(record.ptr) !== 1) {
      if (quiet) this.ledger.settle(via);
      throw this.b.error(via);
    }
    this.ledger.tookReference(own, via, quiet);
    return this.handle(own);
  }

  /** SSL_SESSION_free through `state`, after releasable() passed. */
  release(state: SessionState, via: string): void {
    this.move(via, this.releaseNow, state);
  }

  private releaseNow(state: SessionState, via: string, quiet: boolean): void {
    const own = state.own;
    const expected = this.ledger.beforeRelease(own);
    this.b.x.SSL_SESSION_free(own.record.ptr);
    this.ledger.releasedReference(own, via, expected, quiet);
    if (!own.record.alive) this.b.clearErrors();
    if (own.references === 0 && state.watched) {
      state.watched = false;
      this.finalizer?.unregister(own);
    }
  }
}

/** What a state's holder is until Core sets it, right after the object is made. */
const NO_HOLDER: object = Object.freeze({});

export function provenance(own: Ownership): { created?: string; released?: string } {
  return {
    ...((own.created ?? own.record.created) ? { created: own.created ?? own.record.created } : {}),
    ...(own.released ? { released: own.released } : {}),
  };
}

function isEmscriptenAbort(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('Aborted(');
}
