/**
 * The TLS layer's per-instance state: which Context and Connection stand behind each C pointer,
 * the callbacks C makes into JS (dispatched to them), and exceptions those callbacks threw,
 * held until C has returned and they can be raised safely.
 */
import type { CharPtr, CtxPtr, SslPtr } from '../binding/abi.js';
import type { Runtime } from '../session/runtime.js';
import type { Connection } from './connection.js';
import type { Context } from './context.js';

export class TlsRegistry {
  readonly contexts = new Map<number, Context>();
  readonly connections = new Map<number, Connection>();
  private faults: { callback: string; error: unknown }[] = [];
  private nextContext = 0;
  private nextConnection = 0;
  /** The callback running now (for fault attribution). */
  current = '';

  constructor(readonly rt: Runtime) {
    const host = rt.b.host;
    host.fault = (error) => this.fault(error);
    host.newSession = (ctx, ssl, sess) =>
      this.dispatch('onNewSession', 0, () => this.contexts.get(ctx)?.handleNewSession(ssl as SslPtr, sess) ?? 0);
    host.removeSession = (ctx, sess) =>
      this.dispatch('onRemoveSession', undefined, () => this.contexts.get(ctx)?.handleRemoveSession(sess));
    host.getSession = (ctx, ssl, id, len) =>
      this.dispatch('onGetSession', 0, () => this.contexts.get(ctx)?.handleGetSession(ssl as SslPtr, id, len) ?? 0);
    rt.ledger.nameHolder = (kind, ptr) => {
      if (kind === 'cache') {
        const context = this.contexts.get(ptr);
        return context ? `${context.id} cache` : undefined;
      }
      return kind === 'connection' ? this.connections.get(ptr)?.id : undefined;
    };
    host.alpnSelect = (ssl, list, len) =>
      this.dispatch('alpn', -1, () => this.connections.get(ssl)?.context.handleAlpnSelect(list, len) ?? -1);
    host.keylog = (ssl, line) =>
      this.dispatch('onKeyLog', undefined, () => {
        const connection = this.connections.get(ssl);
        connection?.context.handleKeyLog(rt.b.cstring(line as CharPtr) ?? '', connection);
      });
  }

  contextId(): string {
    return `X${++this.nextContext}`;
  }
  connectionId(): string {
    return `C${++this.nextConnection}`;
  }
  connectionFor(ssl: SslPtr | number): Connection | undefined {
    return this.connections.get(ssl);
  }
  contextFor(ctx: CtxPtr | number): Context | undefined {
    return this.contexts.get(ctx);
  }

  /** Runs a JS callback called from C; an exception is recorded, never thrown into C. */
  private dispatch<T>(name: string, fallback: T, fn: () => T): T {
    const outer = this.current;
    this.current = name;
    try {
      return fn();
    } catch (error) {
      this.faults.push({ callback: name, error });
      return fallback;
    } finally {
      this.current = outer;
    }
  }

  fault(error: unknown): void {
    this.faults.push({ callback: this.current || 'callback', error });
  }

  /** The first exception a callback threw since the last call, if any (and forgets them all). */
  takeFault(): { callback: string; error: unknown } | null {
    if (this.faults.length === 0) return null;
    const first = this.faults[0];
    this.faults = [];
    return first;
  }
}
