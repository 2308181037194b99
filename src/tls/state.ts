/**
 * What stands behind a Context or a Connection, shared between the two classes and the registry
 * without either importing the other: plain state objects in module WeakMaps, never on the public
 * objects. Each class owns its own state's fields (they are read-only here); the other side only
 * reads, or calls the functions named here.
 */
import type { CharPtr, CtxPtr, SessionPtr, SslPtr } from '../binding/abi.js';
import { notOurs } from '../core/brand.js';
import type { Core } from '../core/instance.js';
import { ForeignObjectError, InvalidArgumentError, UseAfterFreeError } from '../errors.js';
import type { TlsRegistry } from './registry.js';

export interface ContextState {
  readonly kind: 'context';
  readonly core: Core;
  readonly tls: TlsRegistry;
  readonly object: object;
  /** "X1": how the ledger names this context; its cache is the holder "X1 cache". */
  readonly id: string;
  readonly role: 'client' | 'server';
  readonly ptr: CtxPtr;
  readonly freed: boolean;
  /** Non-zero while OpenSSL runs this context's code from JS (its callbacks may not change its cache or free it). */
  readonly busy: number;
  /** Whether peers' certificates are verified. */
  readonly verifies: boolean;
  /** Server: whether connections read early data (0-RTT) before completing their handshake. */
  readonly acceptsEarlyData: boolean;
  /** Runs fn (C work of one of this context's connections) with the context marked busy. */
  whileBusy<T>(fn: () => T): T;
  /** A connection started (1) or stopped (-1) listening for its new sessions. */
  listenForSessions(change: 1 | -1): void;
  /** Forgets the C pointer once OpenSSL really freed the SSL_CTX (no connections left). */
  release(): void;
  newSession(ssl: SslPtr, sess: number): number;
  removeSession(sess: number): void;
  getSession(ssl: SslPtr, id: number, len: number): number;
  alpnSelect(list: number, len: number): number;
  keyLog(line: CharPtr, connection: ConnectionState): void;
}

export interface ConnectionState {
  readonly kind: 'connection';
  readonly core: Core;
  readonly object: object;
  /** "C1": how the ledger names this connection when it holds a session. */
  readonly id: string;
  readonly ptr: SslPtr;
  readonly context: ContextState;
  readonly freed: boolean;
  /** Calls the connection's session listener with a view of a new session. */
  notifySession(p: SessionPtr): void;
}

const states = new WeakMap<object, ContextState | ConnectionState>();

export function setState(object: object, state: ContextState | ConnectionState): void {
  states.set(object, state);
}

/** The state behind a Context or Connection of this copy of the package, or undefined. */
export function tlsState(v: unknown): ContextState | ConnectionState | undefined {
  return states.get(v as object);
}

/** Conversion of a context argument: its state, of this instance (liveness is checked later). */
export function contextOf(v: unknown, what: string, core: Core | null): ContextState {
  const s = states.get(v as object);
  if (s === undefined || s.kind !== 'context') throw notOurs(v, what, 'a Context (ossl.createContext())', ['Context']);
  if (core !== null && s.core !== core) throw new ForeignObjectError(`${what}: ${s.id} belongs to another OpenSSL instance`, s.id);
  return s;
}

/**
 * A context handed to a transport adapter (connect, accept, connectTLS, ...): one of ours, alive,
 * of the role the adapter needs. Its state answers role and verifies, never the object's own
 * properties, so a look-alike or a stale object is refused before anything is made.
 */
export function adapterContext(v: unknown, what: string, role: 'client' | 'server'): ContextState {
  if (v === undefined || v === null)
    throw new InvalidArgumentError(`${what}: needs a ${role} context (createContext({ role: "${role}" }))`);
  const s = contextOf(v, what, null);
  liveContext(s, what);
  if (s.role !== role) {
    throw new InvalidArgumentError(
      `${what}: needs a ${role} context (createContext({ role: "${role}" })), got ${s.id}, a ${s.role} context`,
    );
  }
  return s;
}

export function connectionOf(v: unknown, what: string, core: Core | null): ConnectionState {
  const s = states.get(v as object);
  if (s === undefined || s.kind !== 'connection') throw notOurs(v, what, 'a Connection (context.newConnection())', ['Connection']);
  if (core !== null && s.core !== core) throw new ForeignObjectError(`${what}: ${s.id} belongs to another OpenSSL instance`, s.id);
  return s;
}

/**
 * A context or connection argument of the OpenSSL-shaped layer (SSL_CTX_*, SSL_*), of `core`'s
 * instance, or a counted refusal.
 */
export function mine<T>(core: Core, x: T, op: string, kind: 'context' | 'connection'): T {
  try {
    return (kind === 'context' ? contextOf(x, op, core) : connectionOf(x, op, core)).object as T;
  } catch (error) {
    core.ledger.refused();
    throw error;
  }
}

/** The check of a context argument: alive. */
export function liveContext(s: ContextState, op: string): CtxPtr {
  if (s.freed) throw new UseAfterFreeError(`${op}: context ${s.id} was freed`, s.id);
  return s.ptr;
}
