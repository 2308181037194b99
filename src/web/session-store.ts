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
import { boolean, bytes, describe, integer, list, NUMBER_KINDS, record, text } from '../core/convert.js';
import { InvalidArgumentError } from '../errors.js';
import { OpenSSL } from '../openssl.js';
import { Session, SessionView } from '../session/session.js';

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
  // Each part checked, so that two servers can never share a key: a host with a space or a
  // protocol name with a comma would read as another host's, or another protocol list's, key.
  const h = text(host, 'sessionKey: host');
  if (h.length === 0 || /[\s,]/.test(h))
    throw new InvalidArgumentError('sessionKey: host must be a name or address without spaces or commas');
  const p = integer(port, NUMBER_KINDS.port, 'sessionKey: port');
  const names = list(alpn, 'sessionKey: alpn', (v, what) => {
    const name = text(v, what, 255);
    if (name.length === 0 || /[\s,]/.test(name)) throw new InvalidArgumentError(`${what}: a protocol name without spaces or commas`);
    return name;
  });
  return names.length > 0 ? `${h}:${p} ${names.join(',')}` : `${h}:${p}`;
}

/** A store in memory (a Map of DER bytes: no reference inside WebAssembly is held by it). */
export class MemorySessionStore implements SessionStore {
  readonly #entries = new Map<string, StoredSession>();
  get(key: string): StoredSession | undefined {
    const s = this.#entries.get(key);
    return s && { ...s, der: s.der.slice() };
  }
  put(key: string, session: StoredSession): void {
    this.#entries.set(text(key, 'MemorySessionStore.put: key'), storedSession(session, 'MemorySessionStore.put: session'));
  }
  delete(key: string): void {
    this.#entries.delete(key);
  }
  get size(): number {
    return this.#entries.size;
  }
}

/** An entry as a store may keep it: its own copy of the DER, a number of seconds, a boolean. */
export function storedSession(v: unknown, what: string): StoredSession {
  const o = record(v, what, ['der', 'expires', 'singleUse']);
  if (typeof o.expires !== 'number') throw new TypeError(`${what}.expires: expected seconds since the epoch, got ${describe(o.expires)}`);
  return { der: bytes(o.der, `${what}.der`), expires: o.expires, singleUse: boolean(o.singleUse, `${what}.singleUse`) };
}

/** The resumption rules over a store, for one OpenSSL instance (which decodes what it reads). */
export class StoredSessions {
  readonly ossl: OpenSSL;
  readonly store: SessionStore;

  constructor(ossl: OpenSSL, store: SessionStore) {
    if (!(ossl instanceof OpenSSL))
      throw new TypeError(`StoredSessions: expected an OpenSSL instance (await loadOpenSSL()), got ${describe(ossl)}`);
    if (
      typeof store !== 'object' ||
      store === null ||
      ['get', 'put', 'delete'].some((m) => typeof (store as unknown as Record<string, unknown>)[m] !== 'function')
    ) {
      throw new TypeError('StoredSessions: expected a SessionStore (an object with get, put and delete)');
    }
    this.ossl = ossl;
    this.store = store;
  }

  /**
   * The session to offer for `key`, as a handle you own, or null. Expired entries, and entries
   * that no longer decode, are deleted; a single-use ticket is deleted as it is taken.
   */
  async take(key: string, now: number = Math.floor(Date.now() / 1000)): Promise<Session | null> {
    // Checked first: a NaN or string `now` would make every entry look expired, and delete it.
    const k = text(key, 'StoredSessions.take: key');
    const at = integer(now, NUMBER_KINDS.sessionTime, 'StoredSessions.take: now');
    const entry = await this.store.get(k);
    if (!entry) return null;
    const { der, expires, singleUse } = entry;
    const usable = der instanceof Uint8Array && expires > at;
    if (!usable || singleUse) await this.store.delete(k);
    if (!usable) return null;
    try {
      return this.ossl.d2i_SSL_SESSION(der);
    } catch {
      await this.store.delete(k);
      return null;
    }
  }

  /** Stores `session` (serialized; the handle stays yours) unless it cannot be resumed. */
  async keep(key: string, session: Session): Promise<void> {
    const k = text(key, 'StoredSessions.keep: key');
    if (!((session as unknown) instanceof Session || (session as unknown) instanceof SessionView)) {
      throw new TypeError(`StoredSessions.keep: expected a Session, got ${describe(session)}`);
    }
    if (!session.isResumable) return;
    const lifetime = session.ticketLifetimeHint > 0 ? Math.min(session.timeout, session.ticketLifetimeHint) : session.timeout;
    await this.store.put(k, {
      der: session.toDER(),
      expires: session.time + lifetime,
      singleUse: session.protocolVersion === 0x0304,
    });
  }
}
