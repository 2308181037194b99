/**
 * The TLS layer's per-instance state: which context and connection stand behind each C pointer
 * (the registry owns both maps: register/unregister), the callbacks C makes into JS (dispatched to
 * them), and exceptions those callbacks threw, held until C has returned and they can be raised safely.
 */
import type { CharPtr, CtxPtr, SslPtr } from '../binding/abi.js';
import type { Binding } from '../binding/binding.js';
import type { SiteHolder } from '../ledger/sites.js';
import type { ConnectionState, ContextState } from './state.js';

export class TlsRegistry {
  readonly #contexts = new Map<number, ContextState>();
  readonly #connections = new Map<number, ConnectionState>();
  #faults: { callback: string; error: unknown }[] = [];
  #nextContext = 0;
  #nextConnection = 0;
  /** The callback running now (for fault attribution). */
  #current = '';

  constructor(b: Binding) {
    const host = b.host;
    host.fault = (error) => this.fault(error);
    host.newSession = (ctx, ssl, sess) =>
      this.#dispatch('onNewSession', 0, () => this.#contexts.get(ctx)?.newSession(ssl as SslPtr, sess) ?? 0);
    host.removeSession = (ctx, sess) => this.#dispatch('onRemoveSession', undefined, () => this.#contexts.get(ctx)?.removeSession(sess));
    host.getSession = (ctx, ssl, id, len) =>
      this.#dispatch('onGetSession', 0, () => this.#contexts.get(ctx)?.getSession(ssl as SslPtr, id, len) ?? 0);
    host.alpnSelect = (ssl, list, len) => this.#dispatch('alpn', -1, () => this.#connections.get(ssl)?.context.alpnSelect(list, len) ?? -1);
    host.keylog = (ssl, line) =>
      this.#dispatch('onKeyLog', undefined, () => {
        const connection = this.#connections.get(ssl);
        connection?.context.keyLog(b.cstring(line as CharPtr) ?? '', connection);
      });
  }

  contextId(): string {
    return `X${++this.#nextContext}`;
  }
  connectionId(): string {
    return `C${++this.#nextConnection}`;
  }
  registerContext(s: ContextState): void {
    this.#contexts.set(s.ptr, s);
  }
  unregisterContext(s: ContextState): void {
    if (this.#contexts.get(s.ptr) === s) this.#contexts.delete(s.ptr);
  }
  registerConnection(s: ConnectionState): void {
    this.#connections.set(s.ptr, s);
    s.context.connections.add(s);
  }
  unregisterConnection(s: ConnectionState): void {
    if (this.#connections.get(s.ptr) === s) this.#connections.delete(s.ptr);
    s.context.connections.delete(s);
  }
  connectionFor(ssl: SslPtr | number): ConnectionState | undefined {
    return this.#connections.get(ssl);
  }
  contextFor(ctx: CtxPtr | number): ContextState | undefined {
    return this.#contexts.get(ctx);
  }

  /** The ledger's name of the holder a trace record points at: "C2" (an SSL), "X1 cache" (an SSL_CTX). */
  nameHolder(kind: SiteHolder, ptr: number): string | undefined {
    if (kind === 'cache') {
      const context = this.#contexts.get(ptr);
      return context ? `${context.id} cache` : undefined;
    }
    return kind === 'connection' ? this.#connections.get(ptr)?.id : undefined;
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
