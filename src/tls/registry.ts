/**
 * The TLS layer's per-instance state: which context and connection stand behind each C pointer,
 * and which connections each context has made (the registry owns those maps: register/unregister);
 * the callbacks C makes into JS (the registry is the instance's HostCallbacks, given to the module
 * when it is instantiated, and dispatches them); and exceptions those callbacks threw, held until C
 * has returned and they can be raised safely.
 */
import type { CharPtr, CtxPtr, SslPtr } from '../binding/abi.js';
import type { HostCallbacks } from '../binding/binding.js';
import type { ConnectionState, ContextState } from './state.js';

export class TlsRegistry implements HostCallbacks {
  // Weak: a context or connection the application dropped without free() must stay collectable,
  // so that the ledger can report it (onLeak); C calls back only for objects JS is still driving.
  readonly #contexts = new Map<number, WeakRef<ContextState>>();
  readonly #connections = new Map<number, WeakRef<ConnectionState>>();
  readonly #weak = new WeakMap<ConnectionState, WeakRef<ConnectionState>>();
  /** Per context, its connections not freed yet (a collected one stays: its SSL still holds the SSL_CTX). */
  readonly #made = new WeakMap<ContextState, Set<WeakRef<ConnectionState>>>();
  #faults: { callback: string; error: unknown }[] = [];
  #nextContext = 0;
  #nextConnection = 0;
  /** The callback running now (for fault attribution). */
  #current = '';

  // ---- what C calls (HostCallbacks) ---------------------------------------------------------------

  newSession(ctx: number, ssl: number, sess: number): number {
    return this.#dispatch('onNewSession', 0, () => this.contextFor(ctx)?.newSession(ssl as SslPtr, sess) ?? 0);
  }
  removeSession(ctx: number, sess: number): void {
    this.#dispatch('onRemoveSession', undefined, () => this.contextFor(ctx)?.removeSession(sess));
  }
  getSession(ctx: number, ssl: number, id: number, len: number): number {
    return this.#dispatch('onGetSession', 0, () => this.contextFor(ctx)?.getSession(ssl as SslPtr, id, len) ?? 0);
  }
  alpnSelect(ssl: number, list: number, len: number): number {
    return this.#dispatch('alpn', -1, () => this.connectionFor(ssl)?.context.alpnSelect(list, len) ?? -1);
  }
  keylog(ssl: number, line: number): void {
    this.#dispatch('onKeyLog', undefined, () => {
      const connection = this.connectionFor(ssl);
      connection?.context.keyLog(line as CharPtr, connection);
    });
  }
  fault(error: unknown): void {
    this.#faults.push({ callback: this.#current || 'callback', error });
  }

  // ---- the maps ------------------------------------------------------------------------------------

  contextId(): string {
    return `X${++this.#nextContext}`;
  }
  connectionId(): string {
    return `C${++this.#nextConnection}`;
  }
  /** A new SSL_CTX: found by its pointer from C's callbacks, named and leak-tracked by the ledger. */
  registerContext(s: ContextState): void {
    this.#contexts.set(s.ptr, new WeakRef(s));
    this.#made.set(s, new Set());
    s.core.ledger.track('context', s.ptr, s.id, s.object);
  }
  /** The application freed the context (OpenSSL may keep the SSL_CTX until its connections are freed). */
  contextFreed(s: ContextState): void {
    s.core.ledger.untrack(s.id, s.object);
  }
  /** OpenSSL freed the SSL_CTX. */
  unregisterContext(s: ContextState): void {
    if (this.contextFor(s.ptr) === s) this.#contexts.delete(s.ptr);
  }
  registerConnection(s: ConnectionState): void {
    const weak = new WeakRef(s);
    this.#weak.set(s, weak);
    this.#connections.set(s.ptr, weak);
    this.#made.get(s.context)?.add(weak);
    s.core.ledger.track('connection', s.ptr, s.id, s.object);
  }
  unregisterConnection(s: ConnectionState): void {
    if (this.connectionFor(s.ptr) === s) this.#connections.delete(s.ptr);
    const weak = this.#weak.get(s);
    if (weak) this.#made.get(s.context)?.delete(weak);
    s.core.ledger.untrack(s.id, s.object);
  }
  connectionFor(ssl: SslPtr | number): ConnectionState | undefined {
    return this.#connections.get(ssl)?.deref();
  }
  contextFor(ctx: CtxPtr | number): ContextState | undefined {
    return this.#contexts.get(ctx)?.deref();
  }
  /** The context's connections that are not freed and not collected. */
  connectionsOf(s: ContextState): ConnectionState[] {
    return [...(this.#made.get(s) ?? [])].flatMap((w) => w.deref() ?? []);
  }
  /** Whether any connection of the context is not freed (collected ones too: their SSL holds the SSL_CTX). */
  hasConnections(s: ContextState): boolean {
    return (this.#made.get(s)?.size ?? 0) > 0;
  }

  // ---- faults --------------------------------------------------------------------------------------

  /** Runs a JS callback called from C; an exception is recorded, never thrown into C. */
  #dispatch<T>(name: string, fallback: T, fn: () => T): T {
    const outer = this.#current;
    this.#current = name;
    try {
      return fn();
    } catch (error) {
      this.#faults.push({ callback: name, error });
      return fallback;
    } finally {
      this.#current = outer;
    }
  }

  /** The first exception a callback threw since the last call, if any (and forgets them all). */
  takeFault(): { callback: string; error: unknown } | null {
    if (this.#faults.length === 0) return null;
    const first = this.#faults[0];
    this.#faults = [];
    return first;
  }
}
