/**
 * Sessions that outlive the process: a SessionStore keeps each session's DER (i2d_SSL_SESSION) with
 * when it expires, under a key naming the server (host:port and the ALPN protocols offered).
 * StoredSessions applies the rules on top of any store: an expired entry is dropped, a TLS 1.3
 * ticket is used once (taken out of the store when it is used; the new connection stores the
 * tickets it receives), a TLS 1.2 session stays until it expires or is replaced.
 *
 * A stored session contains its resumption secret (the master key / resumption PSK): whoever
 * reads the store can resume as you and, for TLS 1.2, decrypt the traffic of the sessions resumed
 * from it. Keep stores where you would keep a password.
 */
import type { OpenSSL } from '../openssl.js';
import type { Session } from '../session/session.js';

export interface StoredSession {
  /** i2d_SSL_SESSION of the session. */
  der: Uint8Array;
  /** Seconds since the epoch after which the session is not offered. */
  expires: number;
  /** A TLS 1.3 ticket: used once, then dropped (RFC 8446 §8 recommends single use). */
  singleUse: boolean;
}

/** Where sessions are kept. Implementations only store; StoredSessions applies the rules. */
export interface SessionStore {
  get(key: string): Promise<StoredSession | undefined> | StoredSession | undefined;
  put(key: string, session: StoredSession): Promise<void> | void;
  delete(key: string): Promise<void> | void;
}

/** The key of a server's sessions: host:port plus the ALPN protocols offered (a session is bound to them). */
export function sessionKey(host: string, port: number, alpn: readonly string[] = []): string {
  return alpn.length > 0 ? `${host}:${port} ${alpn.join(',')}` : `${host}:${port}`;
}

/** A store in memory (a Map of DER bytes: no reference inside WebAssembly is held by it). */
export class MemorySessionStore implements SessionStore {
  readonly #entries = new Map<string, StoredSession>();
  get(key: string): StoredSession | undefined {
    const s = this.#entries.get(key);
    return s && { ...s, der: s.der.slice() };
  }
  put(key: string, session: StoredSession): void {
    this.#entries.set(key, { ...session, der: session.der.slice() });
  }
  delete(key: string): void {
    this.#entries.delete(key);
  }
  get size(): number {
    return this.#entries.size;
  }
}

/** The resumption rules over a store, for one OpenSSL instance (which decodes what it reads). */
export class StoredSessions {
  constructor(
    readonly ossl: OpenSSL,
    readonly store: SessionStore,
  ) {}

  /**
   * The session to offer for `key`, as a handle you own, or null. Expired entries, and entries
   * that no longer decode, are deleted; a single-use ticket is deleted as it is taken.
   */
  async take(key: string, now = Date.now() / 1000): Promise<Session | null> {
    const entry = await this.store.get(key);
    if (!entry) return null;
    if (!(entry.der instanceof Uint8Array) || !(entry.expires > now) || entry.singleUse) await this.store.delete(key);
    if (!(entry.der instanceof Uint8Array) || !(entry.expires > now)) return null;
    try {
      return this.ossl.d2i_SSL_SESSION(entry.der);
    } catch {
      await this.store.delete(key);
      return null;
    }
  }

  /** Stores `session` (serialized; the handle stays yours) unless it cannot be resumed. */
  async keep(key: string, session: Session): Promise<void> {
    if (!session.isResumable) return;
    const lifetime = session.ticketLifetimeHint > 0 ? Math.min(session.timeout, session.ticketLifetimeHint) : session.timeout;
    await this.store.put(key, {
      der: session.toDER(),
      expires: session.time + lifetime,
      singleUse: session.protocolVersion === 0x0304,
    });
  }
}
