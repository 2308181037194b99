/**
 * The per-instance core both public layers go through: checks a handle against the ledger (alive?
 * owned? right instance? borrow still valid?), contains traps, and moves references.
 * A refused call never reaches C and changes nothing.
 */
import type { SessionPtr } from '../binding/abi.js';
import type { Binding } from '../binding/binding.js';
import {
  BorrowExpiredError,
  DoubleFreeError,
  ForeignObjectError,
  InstanceFailedError,
  NotOwnedError,
  type OwnershipError,
  UseAfterFreeError,
} from '../errors.js';
import type { EventOp } from '../ledger/events.js';
import type { Ledger, Ownership, SessionRecord } from '../ledger/ledger.js';

export const RUNTIME = Symbol('openssl-session-wasm.runtime');
export const OWNERSHIP = Symbol('openssl-session-wasm.ownership');
export const BORROW = Symbol('openssl-session-wasm.borrow');

/** Where a view was borrowed from; it expires when that changes or goes away. */
export interface Borrow {
  /** "SSL_get_session(C2)" */
  readonly label: string;
  /** Why the borrow no longer holds, or null while it does. */
  expired(): string | null;
}

/** What every session-like object carries (internal; stripped from the published types). */
export interface SessionInternals {
  /** @internal */
  readonly [RUNTIME]: Runtime;
  /** @internal */
  readonly [OWNERSHIP]: Ownership;
  /** @internal */
  readonly [BORROW]: Borrow | null;
}

type Factory<T> = (rt: Runtime, own: Ownership, borrow: Borrow | null) => T;

export class Runtime {
  private failure: unknown = null;
  private readonly finalizer: FinalizationRegistry<Ownership> | null;
  /** Set by the session module (avoids an import cycle between the core and the classes). */
  makeHandle!: Factory<SessionInternals>;
  makeView!: Factory<SessionInternals>;

  constructor(
    readonly b: Binding,
    readonly ledger: Ledger,
    onLeak: (sessionId: string) => void,
  ) {
    this.finalizer =
      typeof FinalizationRegistry === 'function'
        ? new FinalizationRegistry<Ownership>((own) => {
            // Only reports: freeing from a finalizer would hide the bug and race with C.
            if (own.held > 0 && own.record.alive) onLeak(own.record.id);
          })
        : null;
    ledger.guard = (fn) => this.guard(fn);
  }

  get failed(): boolean {
    return this.failure !== null;
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
      if (error instanceof WebAssembly.RuntimeError || isEmscriptenAbort(error)) {
        this.failure = error;
        throw new InstanceFailedError(error);
      }
      throw error;
    }
  }

  /** Raises `error` after counting it as a refused call. */
  refuse(error: OwnershipError): never {
    this.ledger.refused();
    throw error;
  }

  /** The internals of s, after checking it belongs to this instance. */
  internals(s: unknown, op: string): SessionInternals {
    const i = s as SessionInternals | null;
    if (i === null || typeof i !== 'object' || !(OWNERSHIP in i)) {
      // Refused before reaching C like any ownership error, so it is counted the same way.
      this.ledger.refused();
      throw new TypeError(`${op}: expected a Session or SessionView, got ${describe(s)}`);
    }
    if (i[RUNTIME] !== this) {
      this.refuse(
        new ForeignObjectError(
          `${op}: ${i[OWNERSHIP].record.id} belongs to another OpenSSL instance (each loadOpenSSL() has its own memory)`,
          i[OWNERSHIP].record.id,
        ),
      );
    }
    return i;
  }

  /** The pointer of a session that may be read or written now, or a refusal. */
  usable(s: unknown, op: string): SessionPtr {
    const i = this.internals(s, op);
    const own = i[OWNERSHIP];
    const record = own.record;
    if (own.held === 0) {
      if (own.owned || i[BORROW] === null) {
        this.refuse(
          new UseAfterFreeError(
            `${op}: ${record.id} was used through ${own.id} after all its references were released`,
            record.id,
            provenance(own),
          ),
        );
      }
      const why = (i[BORROW] as Borrow).expired();
      if (why !== null) {
        this.refuse(
          new BorrowExpiredError(
            `${op}: the view of ${record.id} borrowed from ${(i[BORROW] as Borrow).label} has expired: ${why}`,
            record.id,
            provenance(own),
          ),
        );
      }
    }
    if (!record.alive) {
      this.refuse(new UseAfterFreeError(`${op}: ${record.id} has been freed`, record.id, provenance(own)));
    }
    return record.ptr;
  }

  /** Wraps a reference JS just received from C (new, dup, d2i, PEM read, get1) in a new handle. */
  adopt<T>(ptr: SessionPtr, op: EventOp, via: string, opcode: 0 | 1): T {
    const own = this.ledger.adopt(ptr, op, via, opcode);
    return this.handle(own) as T;
  }

  handle(own: Ownership): SessionInternals {
    const h = this.makeHandle(this, own, null);
    this.finalizer?.register(h, own, own);
    return h;
  }

  /** A view of the session at ptr, borrowed from `borrow`. */
  view(ptr: SessionPtr, borrow: Borrow): SessionInternals {
    const record: SessionRecord = this.ledger.recordFor(ptr);
    const v = this.makeView(this, this.ledger.newOwnership(record, 0), borrow);
    return v;
  }

  /** SSL_SESSION_up_ref through `own` (the OpenSSL-shaped layer: the same object holds one more). */
  upRefInto(i: SessionInternals, via: string): boolean {
    const own = i[OWNERSHIP];
    if (this.b.x.SSL_SESSION_up_ref(own.record.ptr) !== 1) return false;
    this.ledger.tookReference(own, via);
    if (own.held === 1) this.finalizer?.register(i, own, own);
    return true;
  }

  /** A new handle holding one more reference (Session.upRef, SessionView.upRef). */
  newReference(record: SessionRecord, via: string): SessionInternals {
    const own = this.ledger.newOwnership(record, 0);
    if (this.b.x.SSL_SESSION_up_ref(record.ptr) !== 1) throw this.b.error(via);
    this.ledger.tookReference(own, via);
    return this.handle(own);
  }

  /** SSL_SESSION_free through s: refuses what JS does not hold, else releases one reference. */
  release(s: unknown, via: string): void {
    const i = this.internals(s, via);
    const own = i[OWNERSHIP];
    if (own.held === 0) {
      if (own.owned) {
        this.refuse(
          new DoubleFreeError(
            `${via}: double free of ${own.record.id} through ${own.id}: every reference it held is already released`,
            own.record.id,
            provenance(own),
          ),
        );
      }
      this.refuse(
        new NotOwnedError(
          `${via}: ${own.record.id} is borrowed from ${i[BORROW]?.label ?? 'OpenSSL'}; the JS side holds no reference to free. ` +
            'SSL_SESSION_free(3): it "must only be called for SSL_SESSION objects, for which the reference count was explicitly incremented" ' +
            '(up_ref, SSL_get1_session, d2i_SSL_SESSION, new, dup).',
          own.record.id,
          provenance(own),
        ),
      );
    }
    if (!own.record.alive) {
      this.refuse(new UseAfterFreeError(`${via}: ${own.record.id} has been freed`, own.record.id, provenance(own)));
    }
    const expected = this.ledger.beforeRelease(own);
    this.b.x.SSL_SESSION_free(own.record.ptr);
    this.ledger.releasedReference(own, via, expected);
    if (own.held === 0) this.finalizer?.unregister(own);
  }
}

function provenance(own: Ownership): { created?: string; released?: string } {
  return {
    ...((own.created ?? own.record.created) ? { created: own.created ?? own.record.created } : {}),
    ...(own.released ? { released: own.released } : {}),
  };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return `the number ${v} (raw pointers are not accepted)`;
  return typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v;
}

function isEmscriptenAbort(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('Aborted(');
}
