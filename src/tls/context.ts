/**
 * Context: an SSL_CTX and its session cache. The cache holds its own reference to every session in
 * it; the ledger sees those references (holder "X1 cache") and every callback's hand-offs.
 */
import type { CtxPtr, SessionPtr, SslPtr } from '../binding/abi.js';
import { CallbackError, InvalidArgumentError, ReentrancyError, UseAfterFreeError } from '../errors.js';
import type { Ownership } from '../ledger/ledger.js';
import { OWNERSHIP, type Runtime, type SessionInternals } from '../session/runtime.js';
import { disposeSymbol, type Session, type SessionView } from '../session/session.js';
import { alpnWire } from './alpn.js';
import { Connection, type ConnectionOptions } from './connection.js';
import type { TlsRegistry } from './registry.js';

export type ProtocolVersion = 'TLSv1.2' | 'TLSv1.3' | number;

/** SSL_CTX_set_session_cache_mode flags. */
export const SESS_CACHE = {
  OFF: 0x0000,
  CLIENT: 0x0001,
  SERVER: 0x0002,
  BOTH: 0x0003,
  NO_AUTO_CLEAR: 0x0080,
  NO_INTERNAL_LOOKUP: 0x0100,
  NO_INTERNAL_STORE: 0x0200,
  NO_INTERNAL: 0x0300,
  UPDATE_TIME: 0x0400,
} as const;

export interface ContextOptions {
  role: 'client' | 'server';
  minVersion?: ProtocolVersion;
  maxVersion?: ProtocolVersion;
  /** TLS 1.2 cipher list (SSL_CTX_set_cipher_list). */
  ciphers?: string;
  /** TLS 1.3 cipher suites (SSL_CTX_set_ciphersuites). */
  ciphersuites?: string;
  /** Key exchange groups ("X25519:P-256"). */
  groups?: string;
  /** Client: protocols offered. Server: protocols accepted, in preference order. */
  alpn?: string[];
  /** PEM: the leaf certificate, optionally followed by its chain. Required for servers. */
  certificate?: string;
  /** PEM private key. Required for servers. */
  privateKey?: string;
  /** PEM certificate(s) to trust. A client needs them unless `verify: false`; a server that gets any verifies client certificates. */
  ca?: string | string[];
  /**
   * Verify the peer's certificate (client: the server's, and its name whenever a hostname is given;
   * server: request and verify a client certificate). Default: true for a client (which then needs
   * `ca`), for a server true when `ca` is given.
   */
  verify?: boolean;
  /**
   * SSL_SESS_CACHE_* flags (default: OpenSSL's, SERVER). A client context that gets an
   * onNewSession callback while its mode lacks CLIENT gets CLIENT | NO_INTERNAL_STORE added.
   */
  sessionCacheMode?: number;
  sessionCacheSize?: number;
  /** Session lifetime in seconds (SSL_CTX_set_timeout). */
  timeout?: number;
  /** Server: issue session tickets (default true). false: TLS 1.2 resumes by session ID, TLS 1.3 with stateful tickets. */
  tickets?: boolean;
  /** Server: TLS 1.3 tickets per handshake (OpenSSL's default: 2). */
  numTickets?: number;
  /**
   * Server: accept TLS 1.3 early data (0-RTT) up to this many bytes (true: 16384), advertised in the
   * tickets it issues. OpenSSL's anti-replay stays on: a ticket's early data is accepted once.
   */
  acceptEarlyData?: boolean | number;
  /** Server: the session id context (default "openssl-session-wasm"). */
  sessionIdContext?: string;
}

/** The counters of SSL_CTX_sess_*(3). */
export interface CacheStats {
  number: number;
  connect: number;
  connectGood: number;
  connectRenegotiate: number;
  accept: number;
  acceptGood: number;
  acceptRenegotiate: number;
  hits: number;
  cbHits: number;
  misses: number;
  timeouts: number;
  cacheFull: number;
}

const CTRL = {
  SESS_NUMBER: 20,
  SESS_CONNECT: 21,
  SESS_CONNECT_GOOD: 22,
  SESS_CONNECT_RENEGOTIATE: 23,
  SESS_ACCEPT: 24,
  SESS_ACCEPT_GOOD: 25,
  SESS_ACCEPT_RENEGOTIATE: 26,
  SESS_HIT: 27,
  SESS_CB_HIT: 28,
  SESS_MISSES: 29,
  SESS_TIMEOUTS: 30,
  SESS_CACHE_FULL: 31,
  SET_SESS_CACHE_SIZE: 42,
  GET_SESS_CACHE_SIZE: 43,
  SET_SESS_CACHE_MODE: 44,
  GET_SESS_CACHE_MODE: 45,
} as const;
const SSL_OP_NO_TICKET = 1 << 14;
const SSL_VERIFY_PEER = 0x01;
const SSL_VERIFY_FAIL_IF_NO_PEER_CERT = 0x02;

export function protocolNumber(v: ProtocolVersion): number {
  if (typeof v === 'number') return v;
  if (v === 'TLSv1.2') return 0x0303;
  if (v === 'TLSv1.3') return 0x0304;
  throw new InvalidArgumentError(`unknown protocol version ${String(v)} (use 'TLSv1.2' or 'TLSv1.3')`);
}

// biome-ignore lint/suspicious/noConfusingVoidType: a callback that returns nothing (void) means "not kept"
type NewSessionCallback = (session: Session, connection: Connection) => boolean | void;
type RemoveSessionCallback = (session: SessionView, context: Context) => void;
type GetSessionCallback = (id: Uint8Array, connection: Connection) => Session | SessionView | null | undefined;

export class Context {
  /** "X1": how the ledger names this context; its cache is the holder "X1 cache". */
  readonly id: string;
  readonly role: 'client' | 'server';
  /** @internal */
  ptr: CtxPtr;
  /** @internal Connections made from this context that are not freed yet. */
  readonly connections = new Set<Connection>();
  private freed = false;
  private newCb: NewSessionCallback | null = null;
  private removeCb: RemoveSessionCallback | null = null;
  private getCb: GetSessionCallback | null = null;
  private alpnAccepted: string[] | null = null;
  private readonly dropHolders: () => void;
  /** Whether peers' certificates are verified. */
  verifies = false;
  /** Server: whether connections read early data (0-RTT) before completing their handshake. */
  acceptsEarlyData = false;
  /** @internal Set while OpenSSL runs this context's code from JS (its callbacks may not free it). */
  busy = 0;
  /** Removal-callback views expire when the callback returns. */
  private removalEpoch = 0;

  /** @internal */
  constructor(
    /** @internal */
    readonly rt: Runtime,
    private readonly tls: TlsRegistry,
    options: ContextOptions,
  ) {
    if (options.role !== 'client' && options.role !== 'server') {
      throw new InvalidArgumentError(`createContext: role must be 'client' or 'server', got ${String(options.role)}`);
    }
    if (options.role === 'server' && (!options.certificate || !options.privateKey)) {
      throw new InvalidArgumentError(
        'createContext: a server needs certificate and privateKey (PEM); ossl.generateCertificate() makes both',
      );
    }
    if (
      options.role === 'client' &&
      options.verify !== false &&
      (options.ca === undefined || (Array.isArray(options.ca) && options.ca.length === 0))
    ) {
      throw new InvalidArgumentError(
        "createContext: a client verifies the server's certificate, so it needs `ca`: the PEM certificate(s) to trust (your server's CA; for public servers a root bundle, e.g. Node's tls.rootCertificates). To connect without verifying, say so with `verify: false` (anyone on the path can then impersonate the server).",
      );
    }
    const b = rt.b;
    this.role = options.role;
    this.id = tls.contextId();
    const ptr = b.x.osw_ctx_new(this.role === 'server' ? 1 : 0);
    if (ptr === 0) throw b.error('SSL_CTX_new');
    this.ptr = ptr;
    tls.contexts.set(ptr, this);
    const cacheId = `${this.id} cache`;
    this.dropHolders = rt.ledger.addHolderSource((s) =>
      b.x.osw_session_owner(s) === this.ptr ? [{ kind: 'cache', id: cacheId, references: 1 }] : [],
    );
    try {
      this.configure(options);
    } catch (error) {
      this.free();
      throw error;
    }
  }

  private configure(o: ContextOptions): void {
    const b = this.rt.b;
    const check = (ok: boolean, what: string): void => {
      if (!ok) throw b.error(`${what} (${this.id})`);
    };
    if (o.minVersion !== undefined || o.maxVersion !== undefined) {
      check(
        b.x.osw_ctx_set_versions(this.ptr, protocolNumber(o.minVersion ?? 0), protocolNumber(o.maxVersion ?? 0)) === 1,
        'set protocol versions',
      );
    }
    if (o.ciphers !== undefined)
      check(b.withString(o.ciphers, (p) => b.x.SSL_CTX_set_cipher_list(this.ptr, p)) === 1, 'SSL_CTX_set_cipher_list');
    if (o.ciphersuites !== undefined)
      check(b.withString(o.ciphersuites, (p) => b.x.SSL_CTX_set_ciphersuites(this.ptr, p)) === 1, 'SSL_CTX_set_ciphersuites');
    if (o.groups !== undefined) check(b.withString(o.groups, (p) => b.x.osw_ctx_set_groups(this.ptr, p)) === 1, 'SSL_CTX_set1_groups_list');
    if (o.alpn !== undefined) {
      if (this.role === 'client') {
        // SSL_CTX_set_alpn_protos returns 0 on success.
        check(b.withBytes(alpnWire(o.alpn), (p, n) => b.x.SSL_CTX_set_alpn_protos(this.ptr, p, n)) === 0, 'SSL_CTX_set_alpn_protos');
      } else {
        alpnWire(o.alpn);
        this.alpnAccepted = [...o.alpn];
        b.x.osw_ctx_set_alpn_select(this.ptr, 1);
      }
    }
    if (o.certificate !== undefined) {
      check(b.withString(o.certificate, (p, n) => b.x.osw_ctx_use_certificate_pem(this.ptr, p, n)) === 1, 'use certificate');
    }
    if (o.privateKey !== undefined) {
      check(b.withString(o.privateKey, (p, n) => b.x.osw_ctx_use_private_key_pem(this.ptr, p, n)) === 1, 'use private key');
    }
    const cas = o.ca === undefined ? [] : Array.isArray(o.ca) ? o.ca : [o.ca];
    for (const ca of cas) check(b.withString(ca, (p, n) => b.x.osw_ctx_add_ca_pem(this.ptr, p, n)) > 0, 'add CA certificate');
    // A client verifies its server unless told otherwise, in so many words.
    const verify = o.verify ?? (this.role === 'client' || cas.length > 0);
    this.verifies = verify;
    if (verify) {
      b.x.SSL_CTX_set_verify(this.ptr, SSL_VERIFY_PEER | (this.role === 'server' ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), 0);
    }
    if (this.role === 'server') {
      const sid = o.sessionIdContext ?? 'openssl-session-wasm';
      check(b.withString(sid, (p, n) => b.x.SSL_CTX_set_session_id_context(this.ptr, p, n)) === 1, 'SSL_CTX_set_session_id_context');
      if (o.tickets === false) b.x.osw_ctx_set_options(this.ptr, SSL_OP_NO_TICKET);
      if (o.numTickets !== undefined) check(b.x.SSL_CTX_set_num_tickets(this.ptr, o.numTickets) === 1, 'SSL_CTX_set_num_tickets');
      if (o.acceptEarlyData !== undefined && o.acceptEarlyData !== false) {
        const max = o.acceptEarlyData === true ? 16384 : o.acceptEarlyData;
        if (!Number.isInteger(max) || max < 1 || max > 0x7fffffff) {
          throw new InvalidArgumentError('createContext: acceptEarlyData must be true or a byte count from 1 to 2^31-1');
        }
        check(b.x.SSL_CTX_set_max_early_data(this.ptr, max) === 1, 'SSL_CTX_set_max_early_data');
        this.acceptsEarlyData = true;
      }
    }
    if (o.sessionCacheMode !== undefined) this.sessionCacheMode = o.sessionCacheMode;
    if (o.sessionCacheSize !== undefined) this.sessionCacheSize = o.sessionCacheSize;
    if (o.timeout !== undefined) this.timeout = o.timeout;
    b.clearErrors();
  }

  /** @internal The pointer, after checking this context is alive and from this instance. */
  live(op: string): CtxPtr {
    if (this.freed) throw new UseAfterFreeError(`${op}: context ${this.id} was freed`, this.id);
    return this.ptr;
  }

  private ctrl(cmd: number, larg = 0): number {
    return this.rt.guard(() => this.rt.b.x.osw_ctx_ctrl(this.live('SSL_CTX_ctrl'), cmd, larg));
  }

  /** SSL_SESS_CACHE_* flags (SSL_CTX_set_session_cache_mode / get). */
  get sessionCacheMode(): number {
    return this.ctrl(CTRL.GET_SESS_CACHE_MODE);
  }
  set sessionCacheMode(mode: number) {
    this.ctrl(CTRL.SET_SESS_CACHE_MODE, mode);
  }
  get sessionCacheSize(): number {
    return this.ctrl(CTRL.GET_SESS_CACHE_SIZE);
  }
  set sessionCacheSize(n: number) {
    this.ctrl(CTRL.SET_SESS_CACHE_SIZE, n);
  }
  /** Default lifetime of new sessions, seconds (SSL_CTX_set_timeout / get). */
  get timeout(): number {
    return this.rt.guard(() => this.rt.b.x.SSL_CTX_get_timeout(this.live('SSL_CTX_get_timeout')));
  }
  set timeout(seconds: number) {
    this.rt.guard(() => this.rt.b.x.SSL_CTX_set_timeout(this.live('SSL_CTX_set_timeout'), seconds));
  }
  /** Sessions in the internal cache (SSL_CTX_sess_number). */
  get sessionCount(): number {
    return this.ctrl(CTRL.SESS_NUMBER);
  }
  /** The SSL_CTX_sess_* counters. */
  get stats(): CacheStats {
    return {
      number: this.ctrl(CTRL.SESS_NUMBER),
      connect: this.ctrl(CTRL.SESS_CONNECT),
      connectGood: this.ctrl(CTRL.SESS_CONNECT_GOOD),
      connectRenegotiate: this.ctrl(CTRL.SESS_CONNECT_RENEGOTIATE),
      accept: this.ctrl(CTRL.SESS_ACCEPT),
      acceptGood: this.ctrl(CTRL.SESS_ACCEPT_GOOD),
      acceptRenegotiate: this.ctrl(CTRL.SESS_ACCEPT_RENEGOTIATE),
      hits: this.ctrl(CTRL.SESS_HIT),
      cbHits: this.ctrl(CTRL.SESS_CB_HIT),
      misses: this.ctrl(CTRL.SESS_MISSES),
      timeouts: this.ctrl(CTRL.SESS_TIMEOUTS),
      cacheFull: this.ctrl(CTRL.SESS_CACHE_FULL),
    };
  }

  /**
   * SSL_CTX_add_session: the cache takes its own reference. True when added (false: already there).
   * OpenSSL keys the cache by session id: a session without one (SSL_SESSION_new) can be added but
   * not removed by removeSession (only a flush drops it), and a copy with the same id replaces it.
   */
  addSession(s: Session | SessionView): boolean {
    return this.cacheOp('addSession', s, (ctx, p) => {
      this.notInAnotherCache(p, 'addSession');
      return this.rt.b.x.SSL_CTX_add_session(ctx, p);
    });
  }

  /**
   * A session is in at most one cache: its list links and owner are single fields. OpenSSL does not
   * check; filing a session another context caches relinks it into this cache's list with the other
   * list's links, corrupting both (a later flush loops forever). Refused before reaching C.
   */
  private notInAnotherCache(p: SessionPtr, op: string): void {
    const owner = this.rt.b.x.osw_session_owner(p);
    if (owner !== 0 && owner !== this.ptr) {
      const other = this.tls.contextFor(owner)?.id ?? 'another context';
      throw new InvalidArgumentError(
        `${this.id}.${op}: the session is in ${other}'s session cache, and a session can be in one cache at a time; remove it there first, or use a dup()`,
      );
    }
  }
  /** SSL_CTX_remove_session: the cache drops its reference. True when it was there. OpenSSL marks the session not resumable. */
  removeSession(s: Session | SessionView): boolean {
    return this.cacheOp('removeSession', s, (ctx, p) => this.rt.b.x.SSL_CTX_remove_session(ctx, p));
  }
  /** SSL_CTX_flush_sessions_ex: removes sessions expired at `time` (seconds; default now). */
  flushSessions(time: number = Date.now() / 1000): void {
    const rt = this.rt;
    this.notBusy('flushSessions');
    rt.guard(() =>
      rt.ledger.run(`${this.id} flushSessions`, `${this.id} cache`, () => {
        this.busy++;
        try {
          rt.b.x.osw_ctx_flush_sessions(this.live('flushSessions'), time);
        } finally {
          this.busy--;
        }
        this.raiseFault();
      }),
    );
  }

  /**
   * Refuses changing the session cache while OpenSSL runs this context's cache code (a call from
   * inside one of its callbacks): SSL_CTX_add_session calls onRemoveSession from its eviction loop,
   * between filing a session in the hash table and linking it into the list.
   */
  private notBusy(op: string): void {
    if (this.busy > 0) {
      throw new ReentrancyError(
        `${this.id}.${op}: the context is in use by OpenSSL right now (called from one of its callbacks); its session cache cannot change under it`,
      );
    }
  }

  private cacheOp(op: string, s: Session | SessionView, fn: (ctx: CtxPtr, p: SessionPtr) => number): boolean {
    const rt = this.rt;
    this.notBusy(op);
    return rt.guard(() => {
      const p = rt.usable(s, `${this.id}.${op}`);
      const ctx = this.live(op);
      return rt.ledger.run(`${this.id} ${op}`, `${this.id} cache`, () => {
        this.busy++;
        let ok: number;
        try {
          ok = fn(ctx, p);
        } finally {
          this.busy--;
        }
        rt.b.clearErrors();
        this.raiseFault();
        return ok === 1;
      });
    });
  }

  /**
   * SSL_CTX_sess_set_new_cb: called with a handle for each new session (client: each ticket).
   * Return true to keep the handle (free it later); otherwise its reference is released for you.
   * On a client whose cache mode lacks SESS_CACHE.CLIENT, adds CLIENT | NO_INTERNAL_STORE (OpenSSL
   * would never call it otherwise). In CLIENT mode OpenSSL treats a resumed TLS 1.3 session as used
   * up (it marks it not resumable): resume with the newer session the callback receives.
   */
  onNewSession(cb: NewSessionCallback | null): void {
    this.live('onNewSession');
    // OpenSSL calls a client's new-session callback only in CLIENT mode; without it the callback
    // would silently never run. NO_INTERNAL_STORE: the context's own cache still keeps nothing.
    if (cb && this.role === 'client' && (this.sessionCacheMode & SESS_CACHE.CLIENT) === 0) {
      this.sessionCacheMode = this.sessionCacheMode | SESS_CACHE.CLIENT | SESS_CACHE.NO_INTERNAL_STORE;
    }
    this.newCb = cb;
    this.installCallbacks();
  }
  /** SSL_CTX_sess_set_remove_cb: a view of each session leaving the cache, valid during the call. */
  onRemoveSession(cb: RemoveSessionCallback | null): void {
    this.removeCb = cb;
    this.installCallbacks();
  }
  /** SSL_CTX_sess_set_get_cb (server): an external cache. Return a session you keep holding, or null. */
  onGetSession(cb: GetSessionCallback | null): void {
    this.getCb = cb;
    this.installCallbacks();
  }

  private keyLogCb: ((line: string, connection: Connection) => void) | null = null;
  /**
   * Opt-in key log (SSL_CTX_set_keylog_callback): one SSLKEYLOGFILE line per secret, so a capture
   * can be decrypted in Wireshark. Anyone with these lines can read the traffic; null turns it off.
   */
  onKeyLog(cb: ((line: string, connection: Connection) => void) | null): void {
    this.keyLogCb = cb;
    this.rt.guard(() => this.rt.b.x.osw_ctx_set_keylog(this.live('onKeyLog'), cb ? 1 : 0));
  }
  /** @internal */
  handleKeyLog(line: string, connection: Connection): void {
    this.keyLogCb?.(line, connection);
  }

  /** @internal Connections that listen for their new sessions (the Node transport). */
  private sessionListeners = 0;
  /** @internal */
  addSessionListener(delta: 1 | -1): void {
    this.sessionListeners += delta;
    if (!this.freed) this.installCallbacks();
  }

  private installCallbacks(): void {
    const which = (this.newCb || this.sessionListeners > 0 ? 1 : 0) | (this.removeCb ? 2 : 0) | (this.getCb ? 4 : 0);
    this.rt.guard(() => this.rt.b.x.osw_ctx_set_session_callbacks(this.live('set session callbacks'), which));
  }

  /** @internal OpenSSL took a reference for us, then called the new-session callback. */
  handleNewSession(ssl: SslPtr, sess: number): number {
    const rt = this.rt;
    const connection = this.tls.connectionFor(ssl);
    const cb = this.newCb;
    if (!connection) return 0;
    connection.notifySession(sess as SessionPtr);
    if (!cb) return 0;
    // Adopt first: the reference OpenSSL took for the callback is the last up_ref it just made.
    const handle = rt.adopt<Session>(sess as SessionPtr, 'get1', `${this.id} onNewSession`, 1);
    const own: Ownership = (handle as unknown as SessionInternals)[OWNERSHIP];
    return rt.ledger.run(`${this.id} onNewSession`, `${connection.id}`, () => {
      let keep = false;
      try {
        keep = cb(handle, connection) === true;
      } finally {
        if (own.held === 0) keep = true; // the callback freed it itself: the reference is consumed
        if (!keep) rt.ledger.handedBack(own); // returning 0 makes OpenSSL drop the reference
      }
      return keep ? 1 : 0;
    });
  }

  /** @internal */
  handleRemoveSession(sess: number): void {
    const cb = this.removeCb;
    if (!cb) return;
    const epoch = ++this.removalEpoch;
    const view = this.rt.view(sess as SessionPtr, {
      label: `${this.id} onRemoveSession`,
      expired: () => (this.removalEpoch !== epoch ? 'the remove-session callback has returned' : null),
    }) as SessionView;
    try {
      cb(view, this);
    } finally {
      this.removalEpoch++;
    }
  }

  /** @internal */
  handleGetSession(ssl: SslPtr, id: number, len: number): number {
    const cb = this.getCb;
    const connection = this.tls.connectionFor(ssl);
    if (!cb || !connection) return 0;
    const found = cb(this.rt.b.copyOut(id, len), connection);
    if (found === null || found === undefined) return 0;
    // OpenSSL takes its own reference (copy = 1); the JS side keeps the one it holds. Unless
    // NO_INTERNAL_STORE, it then files the session in this context's cache.
    const p = this.rt.usable(found, `${this.id} onGetSession`);
    this.notInAnotherCache(p, 'onGetSession');
    return p;
  }

  /** @internal Server ALPN: the first accepted protocol the client offered. */
  handleAlpnSelect(list: number, len: number): number {
    const wire = this.rt.b.copyOut(list, len);
    const offered: { name: string; at: number }[] = [];
    for (let at = 0; at < wire.length; at += 1 + wire[at]) {
      offered.push({ name: new TextDecoder().decode(wire.subarray(at + 1, at + 1 + wire[at])), at });
    }
    for (const want of this.alpnAccepted ?? []) {
      const hit = offered.find((o) => o.name === want);
      if (hit) return hit.at;
    }
    return -1;
  }

  /** @internal Raises, after C returned, an exception a callback threw inside it. */
  raiseFault(): void {
    const fault = this.tls.takeFault();
    if (fault) throw new CallbackError(fault.callback, fault.error);
  }

  /** A connection using this context (SSL_new over memory BIOs). */
  newConnection(options: ConnectionOptions = {}): Connection {
    this.live('newConnection');
    return new Connection(this.rt, this.tls, this, options);
  }

  /**
   * Releases the JS side's reference to the SSL_CTX. The cache's sessions are removed (onRemoveSession
   * runs for each) once OpenSSL frees the context, which waits for this context's live connections.
   */
  free(): void {
    if (this.freed) return;
    if (this.busy > 0) {
      throw new ReentrancyError(`${this.id}.free: the context is in use by OpenSSL right now (called from its own callback)`);
    }
    const rt = this.rt;
    rt.guard(() =>
      rt.ledger.run(`${this.id} free`, `${this.id} cache`, () => {
        this.freed = true;
        this.busy++;
        try {
          rt.b.x.SSL_CTX_free(this.ptr);
        } finally {
          this.busy--;
        }
        this.release();
        this.tls.takeFault(); // a throwing remove callback cannot stop a free
      }),
    );
  }

  /** @internal Forget the C pointer once OpenSSL really freed the SSL_CTX (no connections left). */
  release(): void {
    if (this.freed && this.connections.size === 0 && this.tls.contexts.get(this.ptr) === this) {
      this.tls.contexts.delete(this.ptr);
      this.dropHolders();
    }
  }

  get isFreed(): boolean {
    return this.freed;
  }

  [disposeSymbol](): void {
    this.free();
  }
}
