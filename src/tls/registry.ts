/**
 * The TLS layer's per-instance state: which context and connection stand behind each C pointer
 * (the registry owns both maps: register/unregister), the callbacks C makes into JS (dispatched to
 * them), and exceptions those callbacks threw, held until C has returned and they can be raised safely.
 */
import type { CharPtr, CtxPtr, SslPtr } from '../binding/abi.js';
import type { Binding } from '../binding/binding.js';
import type { ConnectionState, ContextState } from './state.js';

export class TlsRegistry {
  // Weak: a context or connection the application dropped without free() must stay collectable,
  // so that the ledger can report it (onLeak); C calls back only for objects JS is still driving.
  readonly #contexts = new Map<number, WeakRef<ContextState>>();
  readonly #connections = new Map<number, WeakRef<ConnectionState>>();
  readonly #weak = new WeakMap<ConnectionState, WeakRef<ConnectionState>>();
  #faults: { callback: string; error: unknown }[] = [];
  #nextContext = 0;
  #nextConnection = 0;
  /** The callback running now (for fault attribution). */
  #current = '';

  constructor(b: Binding) {
    const host = b.host;
    host.fault = (error) => this.fault(error);
    host.newSession = (ctx, ssl, sess) =>
      this.#dispatch('onNewSession', 0, () => this.contextFor(ctx)?.newSession(ssl as SslPtr, sess) ?? 0);
    host.removeSession = (ctx, sess) => this.#dispatch('onRemoveSession', undefined, () => this.contextFor(ctx)?.removeSession(sess));
    host.getSession = (ctx, ssl, id, len) =>
      this.#dispatch('onGetSession', 0, () => this.contextFor(ctx)?.getSession(ssl as SslPtr, id, len) ?? 0);
    host.alpnSelect = (ssl, list, len) => this.#dispatch('alpn', -1, () => this.connectionFor(ssl)?.context.alpnSelect(list, len) ?? -1);
    host.keylog = (ssl, line) =>
      this.#dispatch('onKeyLog', undefined, () => {
        const connection = this.connectionFor(ssl);
        connection?.context.keyLog(b.cstring(line as CharPtr) ?? '', connection);
      });
  }

  contextId(): string {
    return `X${++this.#nextContext}`;
  }
  connectionId(): string {
    return `C${++this.#nextConnection}`;
  }
  /** A new SSL_CTX: found by its pointer from C's callbacks, named and leak-tracked by the ledger. */
  registerContext(s: ContextState): void {
    this.#contexts.set(s.ptr, new WeakRef(s));
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
    s.context.connections.add(weak);
    s.core.ledger.track('connection', s.ptr, s.id, s.object);
  }
  unregisterConnection(s: ConnectionState): void {
    if (this.connectionFor(s.ptr) === s) this.#connections.delete(s.ptr);
    const weak = this.#weak.get(s);
    if (weak) s.context.connections.delete(weak);
    s.core.ledger.untrack(s.id, s.object);
  }
  connectionFor(ssl: SslPtr | number): ConnectionState | undefined {
    return this.#connections.get(ssl)?.deref();
  }
  contextFor(ctx: CtxPtr | number): ContextState | undefined {
    return this.#contexts.get(ctx)?.deref();
  }

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

  fault(error: unknown): void {
    this.#faults.push({ callback: this.#current || 'callback', error });
  }

  /** The first exception a callback threw since the last call, if any (and forgets them all). */
  takeFault(): { callback: string; error: unknown } | null {
    if (this.#faults.length === 0) return null;
    const first = this.#faults[0];
    this.#faults = [];
    return first;
  }
}
