/**
 * One instance (one loadOpenSSL() result, one WASM memory) and its OpenSSL-shaped layer: the man
 * pages' names and semantics, for teaching and for porting C code. Both layers are views over the
 * same objects and the same ledger: a session made with SSL_SESSION_new() can be used through
 * Session methods and vice versa.
 */
import type { SessionPtr } from './binding/abi.js';
import type { Binding } from './binding/binding.js';
import { ForeignObjectError, InvalidArgumentError, OpenSSLError } from './errors.js';
import { Ledger } from './ledger/ledger.js';
import { type Cipher, cipherOf, cipherPointer, fields } from './session/fields.js';
import { OWNERSHIP, Runtime } from './session/runtime.js';
import { bytesArgument, installSessionFactories, type Session, type SessionView } from './session/session.js';
import { type CertificateOptions, type GeneratedCertificate, generateCertificate } from './tls/certificate.js';
import type { Connection } from './tls/connection.js';
import { Context, type ContextOptions } from './tls/context.js';
import { connectInMemory, type InMemoryOptions, type InMemoryPair, pump } from './tls/in-memory.js';
import { TlsRegistry } from './tls/registry.js';

/** A session argument of the OpenSSL-shaped layer: a handle or a view. */
export type SessionLike = Session | SessionView;

const OPENSSL_VERSION = 0;

export class OpenSSL {
  /** @internal */
  readonly rt: Runtime;
  /** Who holds which reference: events, live sessions, holders, leak report. */
  readonly ledger: Ledger;
  /** OpenSSL's version text, "OpenSSL 3.5.7 ...". */
  readonly version: string;
  /** @internal */
  readonly tls: TlsRegistry;
  /** The last OpenSSLError behind a 0 returned by an OpenSSL-shaped setter (null after a success). */
  lastError: OpenSSLError | null = null;

  /** @internal */
  constructor(b: Binding, options: { debug: boolean; trace: boolean; prefetch: boolean; onLeak: (id: string) => void }) {
    b.x.OPENSSL_init_ssl(0, 0);
    // With a memory cap: every algorithm table now, while memory is plentiful. Built lazily, a
    // table whose first build meets the cap loses algorithms for the instance's life (wasm/glue/init.c).
    if (options.prefetch) b.x.osw_prefetch();
    b.clearErrors();
    this.ledger = new Ledger(b, options.debug, options.trace);
    this.rt = new Runtime(b, this.ledger, options.onLeak);
    installSessionFactories(this.rt);
    this.ledger.resolve = (s) => this.rt.internals(s, 'ledger.holders')[OWNERSHIP].record;
    this.version = b.cstring(b.x.OpenSSL_version(OPENSSL_VERSION)) ?? '';
    this.tls = new TlsRegistry(this.rt);
  }

  // ---- TLS ---------------------------------------------------------------------------------------

  /** An SSL_CTX for a client or a server, with its session cache. */
  createContext(options: ContextOptions): Context {
    return this.rt.guard(() => new Context(this.rt, this.tls, options));
  }

  /** A self-signed certificate and its key, made inside WebAssembly (PEM). */
  generateCertificate(options: CertificateOptions = {}): GeneratedCertificate {
    return this.rt.guard(() => generateCertificate(this.rt.b, options));
  }

  /** A client and a server connection with a complete handshake between them, in memory. */
  connectInMemory(client: Context, server: Context, options: InMemoryOptions = {}): InMemoryPair {
    return connectInMemory(client, server, options);
  }

  /** Moves pending bytes between two in-memory connections until both are quiet (finishing a handshake too). */
  pump(client: Connection, server: Connection, maxRounds?: number): { toClient: Uint8Array; toServer: Uint8Array } {
    if (!client.isHandshakeDone) client.handshake();
    return pump(client, server, maxRounds);
  }

  /** SSL_get_session(3): a view (no reference taken), or null. */
  SSL_get_session(ssl: Connection): SessionView | null {
    return this.mine(ssl, 'SSL_get_session').getSession();
  }
  /** SSL_get0_session(3): the same as SSL_get_session. */
  SSL_get0_session(ssl: Connection): SessionView | null {
    return this.mine(ssl, 'SSL_get0_session').getSession();
  }
  /** SSL_get1_session(3): a handle holding one more reference, or null. */
  SSL_get1_session(ssl: Connection): Session | null {
    return this.mine(ssl, 'SSL_get1_session').get1Session();
  }
  /** SSL_set_session(3): 1 on success (the connection takes its own reference). */
  SSL_set_session(ssl: Connection, s: SessionLike): 0 | 1 {
    this.mine(ssl, 'SSL_set_session');
    try {
      ssl.setSession(s);
      this.lastError = null;
      return 1;
    } catch (error) {
      if (error instanceof OpenSSLError) {
        this.lastError = error;
        return 0;
      }
      throw error;
    }
  }
  SSL_session_reused(ssl: Connection): 0 | 1 {
    return this.mine(ssl, 'SSL_session_reused').sessionReused ? 1 : 0;
  }
  /** SSL_CTX_add_session(3): 1 when added (the cache takes a reference), 0 when it was already there. */
  SSL_CTX_add_session(ctx: Context, s: SessionLike): 0 | 1 {
    this.mine(ctx, 'SSL_CTX_add_session');
    return ctx.addSession(s) ? 1 : 0;
  }
  /** SSL_CTX_remove_session(3): 1 when it was in the cache (the cache drops its reference). */
  SSL_CTX_remove_session(ctx: Context, s: SessionLike): 0 | 1 {
    this.mine(ctx, 'SSL_CTX_remove_session');
    return ctx.removeSession(s) ? 1 : 0;
  }
  /** SSL_CTX_flush_sessions(3): removes the sessions expired at `time` (seconds). */
  SSL_CTX_flush_sessions(ctx: Context, time: number): void {
    this.mine(ctx, 'SSL_CTX_flush_sessions');
    ctx.flushSessions(time);
  }
  /** SSL_CTX_set_session_cache_mode(3): returns the previous mode. */
  SSL_CTX_set_session_cache_mode(ctx: Context, mode: number): number {
    this.mine(ctx, 'SSL_CTX_set_session_cache_mode');
    const previous = ctx.sessionCacheMode;
    ctx.sessionCacheMode = mode;
    return previous;
  }
  SSL_CTX_get_session_cache_mode(ctx: Context): number {
    this.mine(ctx, 'SSL_CTX_get_session_cache_mode');
    return ctx.sessionCacheMode;
  }
  /** SSL_CTX_sess_number(3). */
  SSL_CTX_sess_number(ctx: Context): number {
    this.mine(ctx, 'SSL_CTX_sess_number');
    return ctx.sessionCount;
  }
  /** SSL_CTX_set_timeout(3): returns the previous timeout. */
  SSL_CTX_set_timeout(ctx: Context, seconds: number): number {
    this.mine(ctx, 'SSL_CTX_set_timeout');
    const previous = ctx.timeout;
    ctx.timeout = seconds;
    return previous;
  }

  /** True after this instance trapped; every call then raises InstanceFailedError. */
  get failed(): boolean {
    return this.rt.failed;
  }

  // ---- random numbers ------------------------------------------------------------------------

  /** RAND_status(): 1 when the DRBG is seeded (from crypto.getRandomValues). */
  RAND_status(): number {
    return this.rt.guard(() => this.rt.b.x.RAND_status());
  }

  /** RAND_bytes(n) as a fresh Uint8Array; throws OpenSSLError when the DRBG cannot deliver. */
  RAND_bytes(n: number): Uint8Array {
    if (!Number.isInteger(n) || n < 0 || n > 1 << 24) throw new InvalidArgumentError(`RAND_bytes: bad length ${n}`);
    const b = this.rt.b;
    return this.rt.guard(() => {
      const buf = b.alloc(n, 'RAND_bytes');
      try {
        if (b.x.RAND_bytes(buf, n) !== 1) throw b.error('RAND_bytes');
        return b.copyOut(buf, n);
      } finally {
        b.u8().fill(0, buf, buf + n);
        b.x.osw_free(buf);
      }
    });
  }

  // ---- creating sessions (each returns a handle: one reference the JS side owns) ---------------

  /** SSL_SESSION_new(3): a new empty session, refcount 1. */
  SSL_SESSION_new(): Session {
    return this.create('SSL_SESSION_new', 'new', (b) => b.x.SSL_SESSION_new());
  }

  /** SSL_SESSION_dup(3): a deep copy that belongs to no cache, refcount 1. */
  SSL_SESSION_dup(s: SessionLike): Session {
    const p = this.use(s, 'SSL_SESSION_dup');
    return this.create('SSL_SESSION_dup', 'dup', (b) => b.x.SSL_SESSION_dup(p));
  }

  /** d2i_SSL_SESSION(3): decodes DER into a new session, refcount 1. Garbage raises OpenSSLError. */
  d2i_SSL_SESSION(der: Uint8Array): Session {
    bytesArgument(der, 'd2i_SSL_SESSION');
    return this.create('d2i_SSL_SESSION', 'd2i', (b) => b.withBytes(der, (p, n) => b.x.osw_session_from_der(p, n)));
  }

  /** PEM_read_SSL_SESSION: reads "-----BEGIN SSL SESSION PARAMETERS-----" text or bytes. */
  PEM_read_SSL_SESSION(pem: string | Uint8Array): Session {
    const bytes = typeof pem === 'string' ? new TextEncoder().encode(pem) : bytesArgument(pem, 'PEM_read_SSL_SESSION');
    return this.create('PEM_read_SSL_SESSION', 'pem_read', (b) => b.withBytes(bytes, (p, n) => b.x.osw_session_from_pem(p, n)));
  }

  /** Idiomatic: `using s = ossl.newSession()`. */
  newSession(): Session {
    return this.SSL_SESSION_new();
  }
  sessionFromDER(der: Uint8Array): Session {
    return this.d2i_SSL_SESSION(der);
  }
  sessionFromPEM(pem: string | Uint8Array): Session {
    return this.PEM_read_SSL_SESSION(pem);
  }

  // ---- references -----------------------------------------------------------------------------

  /**
   * SSL_SESSION_up_ref(3): the JS side now holds one more reference through `s` (release it with
   * SSL_SESSION_free(s)). Returns 1, or 0 on error. On a view this makes the view an owner.
   */
  SSL_SESSION_up_ref(s: SessionLike): 0 | 1 {
    const rt = this.rt;
    return rt.guard(() => {
      rt.usable(s, 'SSL_SESSION_up_ref');
      return rt.ledger.run('SSL_SESSION_up_ref', undefined, () =>
        rt.upRefInto(rt.internals(s, 'SSL_SESSION_up_ref'), 'SSL_SESSION_up_ref') ? 1 : 0,
      );
    });
  }

  /**
   * SSL_SESSION_free(3): releases one reference the JS side holds through `s`; null does nothing.
   * Refused (NotOwnedError) on a view that never took a reference: "must only be called for
   * SSL_SESSION objects, for which the reference count was explicitly incremented".
   */
  SSL_SESSION_free(s: SessionLike | null): void {
    if (s === null) return;
    const rt = this.rt;
    rt.guard(() => rt.ledger.run('SSL_SESSION_free', undefined, () => rt.release(s, 'SSL_SESSION_free')));
  }

  // ---- encodings ---------------------------------------------------------------------------------

  /** i2d_SSL_SESSION(3) as bytes. Contains the master secret. */
  i2d_SSL_SESSION(s: SessionLike): Uint8Array {
    this.rt.internals(s, 'i2d_SSL_SESSION'); // s's own method would run in s's instance, not this one
    return s.toDER();
  }
  /** PEM_write_SSL_SESSION as text. Contains the master secret. */
  PEM_write_SSL_SESSION(s: SessionLike): string {
    this.rt.internals(s, 'PEM_write_SSL_SESSION'); // s's own method would run in s's instance, not this one
    return s.toPEM();
  }
  /** SSL_SESSION_print's text. */
  SSL_SESSION_print(s: SessionLike): string {
    this.rt.internals(s, 'SSL_SESSION_print'); // s's own method would run in s's instance, not this one
    return s.print();
  }
  /** SSL_SESSION_print_keylog: the NSS key log line. A secret. */
  SSL_SESSION_print_keylog(s: SessionLike): string {
    return this.get(s, 'SSL_SESSION_print_keylog', (b, p) => {
      const line = fields.printKeylog(b, p);
      if (line === null) throw b.error('SSL_SESSION_print_keylog');
      return line;
    });
  }

  // ---- the accessor family of OpenSSL 3.5 ---------------------------------------------------------

  SSL_SESSION_get_id(s: SessionLike): Uint8Array {
    return this.get(s, 'SSL_SESSION_get_id', fields.id);
  }
  SSL_SESSION_set1_id(s: SessionLike, id: Uint8Array): 0 | 1 {
    return this.set(s, 'SSL_SESSION_set1_id', (b, p) => fields.setId(b, p, bytesArgument(id, 'id')));
  }
  SSL_SESSION_get0_id_context(s: SessionLike): Uint8Array {
    return this.get(s, 'SSL_SESSION_get0_id_context', fields.idContext);
  }
  SSL_SESSION_set1_id_context(s: SessionLike, ctx: Uint8Array): 0 | 1 {
    return this.set(s, 'SSL_SESSION_set1_id_context', (b, p) => fields.setIdContext(b, p, bytesArgument(ctx, 'id_context')));
  }
  /** Seconds since the epoch (SSL_SESSION_get_time_ex). */
  SSL_SESSION_get_time(s: SessionLike): number {
    return this.get(s, 'SSL_SESSION_get_time', fields.time);
  }
  SSL_SESSION_set_time(s: SessionLike, seconds: number): 0 | 1 {
    return this.set(s, 'SSL_SESSION_set_time', (b, p) => fields.setTime(b, p, seconds));
  }
  SSL_SESSION_get_timeout(s: SessionLike): number {
    return this.get(s, 'SSL_SESSION_get_timeout', fields.timeout);
  }
  SSL_SESSION_set_timeout(s: SessionLike, seconds: number): 0 | 1 {
    return this.set(s, 'SSL_SESSION_set_timeout', (b, p) => fields.setTimeout(b, p, seconds));
  }
  SSL_SESSION_get_protocol_version(s: SessionLike): number {
    return this.get(s, 'SSL_SESSION_get_protocol_version', fields.protocolVersion);
  }
  SSL_SESSION_set_protocol_version(s: SessionLike, version: number): 0 | 1 {
    return this.set(s, 'SSL_SESSION_set_protocol_version', (b, p) => fields.setProtocolVersion(b, p, version));
  }
  SSL_SESSION_get0_cipher(s: SessionLike): Cipher | null {
    return this.get(s, 'SSL_SESSION_get0_cipher', cipherOf);
  }
  /** Accepts a Cipher obtained from this instance (SSL_SESSION_get0_cipher, connection.cipher). */
  SSL_SESSION_set_cipher(s: SessionLike, cipher: Cipher): 0 | 1 {
    return this.set(s, 'SSL_SESSION_set_cipher', (b, p) => {
      const c = cipherPointer(b, cipher);
      if (c === null) throw new InvalidArgumentError('SSL_SESSION_set_cipher: the cipher does not come from this instance');
      return b.x.SSL_SESSION_set_cipher(p, c);
    });
  }
  SSL_SESSION_get0_hostname(s: SessionLike): string | null {
    return this.get(s, 'SSL_SESSION_get0_hostname', fields.hostname);
  }
  SSL_SESSION_set1_hostname(s: SessionLike, hostname: string | null): 0 | 1 {
    return this.set(s, 'SSL_SESSION_set1_hostname', (b, p) => fields.setHostname(b, p, hostname));
  }
  SSL_SESSION_get0_alpn_selected(s: SessionLike): Uint8Array {
    return this.get(s, 'SSL_SESSION_get0_alpn_selected', fields.alpnSelected);
  }
  SSL_SESSION_set1_alpn_selected(s: SessionLike, alpn: Uint8Array): 0 | 1 {
    return this.set(s, 'SSL_SESSION_set1_alpn_selected', (b, p) => fields.setAlpnSelected(b, p, bytesArgument(alpn, 'alpn')));
  }
  /** The master secret. A secret. */
  SSL_SESSION_get_master_key(s: SessionLike): Uint8Array {
    return this.get(s, 'SSL_SESSION_get_master_key', fields.masterKey);
  }
  SSL_SESSION_set1_master_key(s: SessionLike, key: Uint8Array): 0 | 1 {
    return this.set(s, 'SSL_SESSION_set1_master_key', (b, p) => fields.setMasterKey(b, p, bytesArgument(key, 'key')));
  }
  SSL_SESSION_get_max_early_data(s: SessionLike): number {
    return this.get(s, 'SSL_SESSION_get_max_early_data', fields.maxEarlyData);
  }
  SSL_SESSION_set_max_early_data(s: SessionLike, n: number): 0 | 1 {
    return this.set(s, 'SSL_SESSION_set_max_early_data', (b, p) => fields.setMaxEarlyData(b, p, n));
  }
  SSL_SESSION_get0_ticket_appdata(s: SessionLike): Uint8Array {
    return this.get(s, 'SSL_SESSION_get0_ticket_appdata', fields.ticketAppData);
  }
  SSL_SESSION_set1_ticket_appdata(s: SessionLike, data: Uint8Array): 0 | 1 {
    return this.set(s, 'SSL_SESSION_set1_ticket_appdata', (b, p) => fields.setTicketAppData(b, p, bytesArgument(data, 'data')));
  }
  SSL_SESSION_is_resumable(s: SessionLike): 0 | 1 {
    return this.get(s, 'SSL_SESSION_is_resumable', fields.isResumable) ? 1 : 0;
  }
  SSL_SESSION_has_ticket(s: SessionLike): 0 | 1 {
    return this.get(s, 'SSL_SESSION_has_ticket', fields.hasTicket) ? 1 : 0;
  }
  SSL_SESSION_get0_ticket(s: SessionLike): Uint8Array {
    return this.get(s, 'SSL_SESSION_get0_ticket', fields.ticket);
  }
  SSL_SESSION_get_ticket_lifetime_hint(s: SessionLike): number {
    return this.get(s, 'SSL_SESSION_get_ticket_lifetime_hint', fields.ticketLifetimeHint);
  }
  /** The peer certificate as DER (SSL_SESSION_get0_peer, then i2d_X509), or null. */
  SSL_SESSION_get0_peer(s: SessionLike): Uint8Array | null {
    return this.get(s, 'SSL_SESSION_get0_peer', fields.peerCertificate);
  }

  // ---- internals ------------------------------------------------------------------------------------

  /** A connection or context of this instance, or a ForeignObjectError. */
  private mine<T extends Connection | Context>(x: T, op: string): T {
    if (!x || (x as { rt?: unknown }).rt !== this.rt) {
      throw new ForeignObjectError(`${op}: ${x?.id ?? String(x)} belongs to another OpenSSL instance`, x?.id ?? '?');
    }
    return x;
  }

  private use(s: SessionLike, op: string): SessionPtr {
    return this.rt.guard(() => this.rt.usable(s, op));
  }

  private get<T>(s: SessionLike, op: string, read: (b: Binding, p: SessionPtr) => T): T {
    const rt = this.rt;
    return rt.guard(() => {
      const p = rt.usable(s, op);
      try {
        return read(rt.b, p);
      } finally {
        rt.b.clearErrors();
      }
    });
  }

  private set(s: SessionLike, op: string, write: (b: Binding, p: SessionPtr) => number): 0 | 1 {
    const rt = this.rt;
    return rt.guard(() => {
      const p = rt.usable(s, op);
      const ok = write(rt.b, p) === 1;
      // The queue is always left empty; the reason for a 0 stays readable in lastError.
      this.lastError = ok ? null : new OpenSSLError(op, rt.b.drainErrors());
      rt.b.clearErrors();
      return ok ? 1 : 0;
    });
  }

  private create(via: string, op: 'new' | 'dup' | 'd2i' | 'pem_read', make: (b: Binding) => SessionPtr): Session {
    const rt = this.rt;
    return rt.guard(() =>
      rt.ledger.run(via, undefined, () => {
        const p = make(rt.b);
        if (p === 0) throw rt.b.error(via);
        rt.b.clearErrors();
        return rt.adopt<Session>(p, op, via, 0);
      }),
    );
  }
}
