/**
 * Connection: an SSL over two memory BIOs, so any transport can carry its bytes. The connection
 * holds a reference to its session; views taken from it expire when it is freed or its session
 * changes (a TLS 1.3 ticket replacing it). free() shuts down cleanly first, so the session stays
 * resumable: OpenSSL drops the session of a connection freed without a shutdown.
 */
import type { SessionPtr, SslPtr } from '../binding/abi.js';
import { CallbackError, InvalidArgumentError, OpenSSLWasmError, ReentrancyError, TLSError, UseAfterFreeError } from '../errors.js';
import { type Cipher, describeCipher } from '../session/fields.js';
import type { Runtime } from '../session/runtime.js';
import { disposeSymbol, type Session, type SessionView } from '../session/session.js';
import { alpnWire } from './alpn.js';
import type { Context } from './context.js';
import type { TlsRegistry } from './registry.js';

export interface ConnectionOptions {
  /** SNI name; with a verifying client context, also the name the certificate must match. */
  hostname?: string;
  /** A session to resume (SSL_set_session). */
  session?: Session | SessionView;
  /** Client: protocols to offer on this connection (overrides the context's). */
  alpn?: string[];
}

const SSL_ERROR_WANT_READ = 2;
const SSL_ERROR_WANT_WRITE = 3;
const SSL_ERROR_ZERO_RETURN = 6;
const SSL_SENT_SHUTDOWN = 1;
const SSL_RECEIVED_SHUTDOWN = 2;
const CHUNK = 16384;
const SSL_READ_EARLY_DATA_SUCCESS = 1;
const SSL_READ_EARLY_DATA_FINISH = 2;

export class Connection {
  /** "C1": how the ledger names this connection when it holds a session. */
  readonly id: string;
  readonly role: 'client' | 'server';
  /** @internal */
  readonly ptr: SslPtr;
  private freed = false;
  private done = false;
  private started = false;
  /** Server: SSL_read_early_data reported the end of the early data. */
  private earlyRead = false;
  private earlyChunks: Uint8Array[] = [];
  private failure: Error | null = null;
  private peerClosed = false;
  private readonly dropHolders: () => void;
  private sessionListener: ((view: SessionView) => void) | null = null;
  /** @internal Non-zero while OpenSSL runs this connection's code (callbacks may not free it). */
  busy = 0;

  /** @internal */
  constructor(
    /** @internal */
    readonly rt: Runtime,
    private readonly tls: TlsRegistry,
    readonly context: Context,
    options: ConnectionOptions,
  ) {
    const b = rt.b;
    this.role = context.role;
    this.id = tls.connectionId();
    const ptr = rt.guard(() => b.x.osw_ssl_new(context.live('newConnection'), this.role === 'server' ? 1 : 0));
    if (ptr === 0) throw b.error('SSL_new');
    this.ptr = ptr;
    tls.connections.set(ptr, this);
    context.connections.add(this);
    this.dropHolders = rt.ledger.addHolderSource((s) =>
      !this.freed && b.x.SSL_get_session(this.ptr) === s ? [{ kind: 'connection', id: this.id, references: 1 }] : [],
    );
    try {
      if (options.hostname !== undefined) {
        const verifyName = context.verifies && this.role === 'client' ? 1 : 0;
        if (b.withString(options.hostname, (p) => b.x.osw_ssl_set_hostname(ptr, p, verifyName)) !== 1) {
          throw b.error(`set hostname (${this.id})`);
        }
      }
      if (options.alpn !== undefined) {
        if (b.withBytes(alpnWire(options.alpn), (p, n) => b.x.SSL_set_alpn_protos(ptr, p, n)) !== 0) throw b.error('SSL_set_alpn_protos');
      }
      refuseUndefinedSession(options);
      if (options.session !== undefined) this.setSession(options.session);
    } catch (error) {
      this.free({ abort: true });
      throw error;
    }
  }

  private live(op: string): SslPtr {
    if (this.freed) throw new UseAfterFreeError(`${op}: connection ${this.id} was freed`, this.id);
    if (this.failure) throw this.failure;
    return this.ptr;
  }

  /**
   * Runs C work on this SSL inside the ledger's attribution, then raises a callback's exception.
   * Refused from inside this connection's own callback: OpenSSL is in the middle of its state
   * machine and holds pointers into it (ssl_update_cache frees `s->session` after the new-session
   * callback returns, so a setSession there made it free the caller's session instead).
   * `cache`: the step may file sessions in the context's cache (handshake, read: a TLS 1.3 client
   * files tickets), so it is refused too while OpenSSL runs that context's cache code: a handshake
   * started from an onRemoveSession called by a full cache's eviction loop refilled the cache
   * forever (the loop never ended).
   */
  private step<T>(op: string, fn: (ssl: SslPtr) => T, cache = false): T {
    const rt = this.rt;
    if (!this.freed && this.busy > 0) {
      throw new ReentrancyError(`${this.id}.${op}: the connection is in use by OpenSSL right now (called from its own callback)`);
    }
    if (!this.freed && cache && this.context.busy > 0) {
      throw new ReentrancyError(
        `${this.id}.${op}: its context ${this.context.id} is in use by OpenSSL right now (called from one of its callbacks), and this step may change its session cache`,
      );
    }
    return rt.guard(() =>
      rt.ledger.run(`${this.id} ${op}`, this.id, () => {
        const ssl = this.live(op);
        this.busy++;
        this.context.busy++;
        let result: T;
        try {
          result = fn(ssl);
        } finally {
          this.busy--;
          this.context.busy--;
        }
        const fault = this.tls.takeFault();
        if (fault) {
          rt.b.clearErrors();
          this.failure = new CallbackError(fault.callback, fault.error);
          throw this.failure;
        }
        return result;
      }),
    );
  }

  /** A fatal TLS failure: the connection is unusable from here on. */
  private fail(op: string, ssl: SslPtr): never {
    const b = this.rt.b;
    const verify = b.x.SSL_get_verify_result(ssl);
    const failure = new TLSError(
      `${op} (${this.id})`,
      b.drainErrors(),
      verify,
      verify !== 0 ? (b.cstring(b.x.X509_verify_cert_error_string(verify)) ?? '') : '',
    );
    this.failure = failure;
    throw failure;
  }

  /** Bytes that arrived from the peer's transport. */
  writeEncrypted(bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('writeEncrypted: expected a Uint8Array');
    if (bytes.length === 0) return;
    const b = this.rt.b;
    this.rt.guard(() => {
      const ssl = this.live('writeEncrypted');
      const n = b.withBytes(bytes, (p, len) => b.x.osw_ssl_write_encrypted(ssl, p, len));
      if (n !== bytes.length) throw b.error(`writeEncrypted (${this.id})`);
    });
  }

  /** The peer's transport closed: OpenSSL now sees end of file instead of "no data yet". */
  endEncrypted(): void {
    this.rt.guard(() => this.rt.b.x.osw_ssl_encrypted_eof(this.live('endEncrypted')));
  }

  /** Bytes OpenSSL wants sent to the peer (empty when none). */
  readEncrypted(): Uint8Array {
    const b = this.rt.b;
    return this.rt.guard(() => {
      const ssl = this.live('readEncrypted');
      const n = b.x.osw_ssl_pending_encrypted(ssl);
      if (n <= 0) return new Uint8Array(0);
      const buf = b.alloc(n, `readEncrypted (${this.id})`);
      try {
        const got = b.x.osw_ssl_read_encrypted(ssl, buf, n);
        return b.copyOut(buf, Math.max(0, got));
      } finally {
        b.x.osw_free(buf);
      }
    });
  }

  /** Encrypted bytes waiting to be sent. */
  get pendingEncrypted(): number {
    return this.rt.guard(() => this.rt.b.x.osw_ssl_pending_encrypted(this.live('pendingEncrypted')));
  }

  /** One handshake step: true once complete, false when it needs bytes from the peer. Throws TLSError on failure. */
  handshake(): boolean {
    if (this.done) return true;
    return this.step(
      'handshake',
      (ssl) => {
        const b = this.rt.b;
        this.started = true;
        if (this.role === 'server' && this.context.acceptsEarlyData && !this.earlyRead && !this.readEarlyData(ssl)) return false;
        const ret = b.x.SSL_do_handshake(ssl);
        if (ret === 1) {
          this.done = true;
          b.clearErrors();
          return true;
        }
        const err = b.x.SSL_get_error(ssl, ret);
        if (err === SSL_ERROR_WANT_READ || err === SSL_ERROR_WANT_WRITE) {
          b.clearErrors();
          return false;
        }
        return this.fail('SSL_do_handshake', ssl);
      },
      true,
    );
  }

  /** Server, inside a handshake step: reads early data until OpenSSL says it is over (true) or needs bytes (false). */
  private readEarlyData(ssl: SslPtr): boolean {
    const b = this.rt.b;
    const buf = b.alloc(CHUNK, `SSL_read_early_data (${this.id})`);
    try {
      for (;;) {
        const ret = b.x.SSL_read_early_data(ssl, buf, CHUNK, b.out[0]);
        if (ret === SSL_READ_EARLY_DATA_SUCCESS) {
          this.earlyChunks.push(b.copyOut(buf, b.readU32(b.out[0])));
          continue;
        }
        if (ret === SSL_READ_EARLY_DATA_FINISH) {
          this.earlyRead = true;
          return true;
        }
        const err = b.x.SSL_get_error(ssl, 0);
        if (err === SSL_ERROR_WANT_READ || err === SSL_ERROR_WANT_WRITE) {
          b.clearErrors();
          return false;
        }
        return this.fail('SSL_read_early_data', ssl);
      }
    } finally {
      b.x.osw_free(buf);
    }
  }

  /**
   * Client, before the handshake starts: sends `data` as TLS 1.3 early data (0-RTT) with the
   * ClientHello (SSL_write_early_data). Needs a session to resume whose maxEarlyData is at least
   * data's length. Whether the server took it is earlyDataStatus once the handshake completed.
   */
  writeEarlyData(data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('writeEarlyData: expected a Uint8Array or string');
    if (this.role !== 'client') throw new InvalidArgumentError(`writeEarlyData: ${this.id} is a server connection`);
    if (this.started) throw new InvalidArgumentError(`writeEarlyData: the handshake of ${this.id} has started; early data goes first`);
    const b = this.rt.b;
    const max = this.rt.guard(() => {
      const p = b.x.SSL_get_session(this.live('writeEarlyData'));
      return p === 0 ? 0 : b.x.SSL_SESSION_get_max_early_data(p);
    });
    if (bytes.length === 0 || bytes.length > max) {
      throw new InvalidArgumentError(
        `writeEarlyData: ${bytes.length} bytes, but the session set on ${this.id} allows ${max} bytes of early data (a TLS 1.3 session from a server that accepts early data)`,
      );
    }
    this.step('writeEarlyData', (ssl) => {
      b.withBytes(bytes, (p, n) => {
        if (b.x.SSL_write_early_data(ssl, p, n, b.out[0]) !== 1) this.fail('SSL_write_early_data', ssl);
      });
    });
  }

  /** Server: the early data received (0-RTT), once; empty when none (or already taken). */
  takeEarlyData(): Uint8Array {
    const out = concat(this.earlyChunks);
    this.earlyChunks = [];
    return out;
  }

  /** SSL_get_early_data_status: whether early data was sent and what the server did with it. */
  get earlyDataStatus(): 'not sent' | 'rejected' | 'accepted' {
    const status = this.rt.guard(() => this.rt.b.x.SSL_get_early_data_status(this.live('earlyDataStatus')));
    return status === 2 ? 'accepted' : status === 1 ? 'rejected' : 'not sent';
  }

  get isHandshakeDone(): boolean {
    return this.done;
  }

  /** Encrypts application data (queued for readEncrypted()). */
  write(data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('write: expected a Uint8Array or string');
    if (!this.done) throw new OpenSSLWasmError(`write: the handshake of ${this.id} is not complete`);
    if (bytes.length === 0) return;
    this.step('write', (ssl) => {
      const b = this.rt.b;
      b.withBytes(bytes, (p, n) => {
        if (b.x.SSL_write_ex(ssl, p, n, b.out[0]) !== 1) this.fail('SSL_write', ssl);
      });
    });
  }

  /**
   * Decrypts whatever application data has arrived (empty when none). Also processes
   * post-handshake messages: a TLS 1.3 client receives its session tickets here.
   */
  read(): Uint8Array {
    return this.step(
      'read',
      (ssl) => {
        const b = this.rt.b;
        const chunks: Uint8Array[] = [];
        const buf = b.alloc(CHUNK, `SSL_read (${this.id})`);
        try {
          for (;;) {
            const ok = b.x.SSL_read_ex(ssl, buf, CHUNK, b.out[0]);
            if (ok === 1) {
              chunks.push(b.copyOut(buf, b.readU32(b.out[0])));
              continue;
            }
            const err = b.x.SSL_get_error(ssl, 0);
            if (err === SSL_ERROR_WANT_READ || err === SSL_ERROR_WANT_WRITE) break;
            if (err === SSL_ERROR_ZERO_RETURN) {
              this.peerClosed = true;
              break;
            }
            this.fail('SSL_read', ssl);
          }
        } finally {
          b.x.osw_free(buf);
        }
        b.clearErrors();
        if (!this.done && b.x.SSL_is_init_finished(ssl) === 1) this.done = true;
        return concat(chunks);
      },
      true,
    );
  }

  /** The peer sent close_notify. */
  get peerClosedConnection(): boolean {
    return this.peerClosed;
  }

  /** Sends close_notify (SSL_shutdown). True when both sides have closed. */
  shutdown(): boolean {
    return this.step('shutdown', (ssl) => {
      const b = this.rt.b;
      const ret = b.x.SSL_shutdown(ssl);
      b.clearErrors();
      return ret === 1 || (b.x.SSL_get_shutdown(ssl) & (SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN)) === 3;
    });
  }

  /**
   * Calls `listener` with a view of each new session this connection establishes (client: each
   * ticket, also those arriving after the handshake). The view is valid during the call; upRef()
   * it to keep it. A client context gets SSL_SESS_CACHE_CLIENT added, or no callback would run.
   */
  onSession(listener: ((view: SessionView) => void) | null): void {
    if ((listener === null) === (this.sessionListener === null)) {
      this.sessionListener = listener;
      return;
    }
    this.sessionListener = listener;
    if (listener && this.role === 'client' && (this.context.sessionCacheMode & 1) === 0) {
      this.context.sessionCacheMode = this.context.sessionCacheMode | 0x0001 | 0x0200; // CLIENT | NO_INTERNAL_STORE
    }
    this.context.addSessionListener(listener ? 1 : -1);
  }

  /** @internal From the context's new-session callback. */
  notifySession(p: SessionPtr): void {
    const listener = this.sessionListener;
    if (!listener) return;
    let valid = true;
    const view = this.rt.view(p, {
      label: `${this.id} new session`,
      expired: () => (valid ? null : 'the session listener has returned'),
    }) as SessionView;
    try {
      listener(view);
    } finally {
      valid = false;
    }
  }

  /** SSL_session_reused. */
  get sessionReused(): boolean {
    return this.rt.guard(() => this.rt.b.x.SSL_session_reused(this.live('sessionReused')) === 1);
  }
  /** "TLSv1.3", "TLSv1.2". */
  get protocol(): string {
    return this.rt.guard(() => this.rt.b.cstring(this.rt.b.x.SSL_get_version(this.live('protocol'))) ?? '');
  }
  get cipher(): Cipher | null {
    return this.rt.guard(() => describeCipher(this.rt.b, this.rt.b.x.SSL_get_current_cipher(this.live('cipher'))));
  }
  /** The negotiated ALPN protocol, or null. */
  get alpn(): string | null {
    const b = this.rt.b;
    return this.rt.guard(() => {
      b.x.SSL_get0_alpn_selected(this.live('alpn'), b.out[0], b.out[1]);
      const bytes = b.copyOut(b.readU32(b.out[0]), b.readU32(b.out[1]));
      return bytes.length > 0 ? new TextDecoder().decode(bytes) : null;
    });
  }
  /** The peer certificate as DER, or null. */
  get peerCertificate(): Uint8Array | null {
    const b = this.rt.b;
    return this.rt.guard(() => b.takeBuffer(b.x.osw_ssl_peer_der(this.live('peerCertificate'), b.out[0])));
  }
  /** The negotiated key exchange group ("X25519MLKEM768", "X25519", "secp256r1"), or null. */
  get group(): string | null {
    return this.rt.guard(() => this.rt.b.cstring(this.rt.b.x.SSL_get0_group_name(this.live('group'))));
  }
  /** The certificates the peer sent, leaf first, as DER (SSL_get_peer_cert_chain); empty when none. */
  get peerCertificateChain(): Uint8Array[] {
    const b = this.rt.b;
    return this.rt.guard(() => {
      const ssl = this.live('peerCertificateChain');
      const chain: Uint8Array[] = [];
      for (let i = 0; ; i++) {
        const der = b.takeBuffer(b.x.osw_ssl_peer_chain_der(ssl, i, b.out[0]));
        if (der === null) return chain;
        chain.push(der);
      }
    });
  }
  /** @internal Part of a TLS record is buffered (SSL_has_pending): a transport ending now cut a record. */
  get hasPartialInput(): boolean {
    // Asked after a failed read, so not through live(): the failure is what prompts the question.
    return !this.freed && this.rt.guard(() => this.rt.b.x.SSL_has_pending(this.ptr) === 1);
  }
  /** SSL_get_verify_result: 0 (X509_V_OK) or an X509_V_ERR_* code. */
  get verifyResult(): number {
    return this.rt.guard(() => this.rt.b.x.SSL_get_verify_result(this.live('verifyResult')));
  }

  /**
   * SSL_get_session / SSL_get0_session: a view of the connection's session, or null. The view
   * expires when this connection is freed or its session changes; upRef() it to keep it.
   */
  getSession(): SessionView | null {
    const rt = this.rt;
    return rt.guard(() => {
      const p = rt.b.x.SSL_get_session(this.live('getSession'));
      if (p === 0) return null;
      // The address alone cannot tell the sessions apart: a TLS 1.3 ticket's session can be
      // allocated where the one it replaced was just freed. The ledger's record can.
      const record = rt.ledger.recordFor(p);
      return rt.view(p, {
        label: `SSL_get_session(${this.id})`,
        expired: () =>
          this.freed
            ? `connection ${this.id} was freed`
            : rt.b.x.SSL_get_session(this.ptr) !== p || !record.alive
              ? `${this.id} now holds another session`
              : null,
      }) as SessionView;
    });
  }

  /** SSL_get1_session: a handle (one more reference, the JS side owns it), or null. */
  get1Session(): Session | null {
    const rt = this.rt;
    return rt.guard(() =>
      rt.ledger.run(`SSL_get1_session(${this.id})`, undefined, () => {
        const p = rt.b.x.SSL_get1_session(this.live('get1Session'));
        if (p === 0) return null;
        return rt.adopt<Session>(p as SessionPtr, 'get1', `SSL_get1_session(${this.id})`, 1);
      }),
    );
  }

  /** SSL_set_session: the connection takes its own reference to s (the JS handle keeps its own). */
  setSession(s: Session | SessionView): void {
    const rt = this.rt;
    rt.guard(() => {
      const p = rt.usable(s, `SSL_set_session(${this.id})`);
      this.step('setSession', (ssl) => {
        if (rt.b.x.SSL_set_session(ssl, p) !== 1) throw rt.b.error(`SSL_set_session (${this.id})`);
      });
    });
  }

  /**
   * Frees the connection (SSL_free). Unless `abort`, a completed handshake is shut down first
   * (close_notify queued), so OpenSSL keeps its session resumable; with `abort: true` the session
   * is marked not resumable, as OpenSSL does for a connection that ends without shutdown.
   */
  free(options: { abort?: boolean } = {}): void {
    if (this.freed) return;
    if (this.busy > 0)
      throw new ReentrancyError(`${this.id}.free: the connection is in use by OpenSSL right now (called from its own callback)`);
    const rt = this.rt;
    rt.guard(() =>
      rt.ledger.run(`${this.id} free`, this.id, () => {
        const b = rt.b;
        this.busy++;
        try {
          if (!options.abort && this.done && !this.failure && (b.x.SSL_get_shutdown(this.ptr) & SSL_SENT_SHUTDOWN) === 0) {
            b.x.SSL_shutdown(this.ptr);
          }
          b.x.SSL_free(this.ptr);
        } finally {
          this.busy--;
          b.clearErrors();
          this.freed = true;
          if (this.sessionListener) this.context.addSessionListener(-1);
          this.sessionListener = null;
          this.tls.connections.delete(this.ptr);
          this.context.connections.delete(this);
          this.dropHolders();
          this.tls.takeFault();
          this.context.release();
        }
      }),
    );
  }

  get isFreed(): boolean {
    return this.freed;
  }

  [disposeSymbol](): void {
    this.free();
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * `{ session: undefined }` written out is almost always a session that was never obtained (a
 * callback that did not run, an empty array): refused rather than silently making a full handshake.
 */
export function refuseUndefinedSession(options: { session?: unknown }): void {
  if (Object.hasOwn(options, 'session') && options.session === undefined) {
    throw new InvalidArgumentError('session is undefined: pass the Session to resume, or leave the option out for a full handshake');
  }
}
