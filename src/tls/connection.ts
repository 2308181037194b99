/**
 * Connection: an SSL over two memory BIOs, so any transport can carry its bytes. The connection
 * holds a reference to its session; views taken from it expire when it is freed or its session
 * changes (a TLS 1.3 ticket replacing it). free() shuts down cleanly first, so the session stays
 * resumable: OpenSSL drops the session of a connection freed without a shutdown.
 * Every public call is a declaration through the gate (../core/gate.ts).
 */
import type { SessionPtr, SslPtr } from '../binding/abi.js';
import { brand, CONSTRUCT, refuseConstruction } from '../core/brand.js';
import { boolean, cString, describe, plain, record } from '../core/convert.js';
import { type Cipher, describeCipher } from '../core/fields.js';
import { bytesOrDataParam, bytesParam, declare, optional, type Param, refuse, SESSION } from '../core/gate.js';
import type { Core } from '../core/instance.js';
import { CallbackError, InvalidArgumentError, OpenSSLWasmError, ReentrancyError, TLSError, UseAfterFreeError } from '../errors.js';
import { disposeSymbol, type Session, type SessionView } from '../session/session.js';
import type { Context } from './context.js';
import { type ConnectionState, type ContextState, connectionOf, contextOf, liveContext, setState } from './state.js';
import { alpnList } from './wire.js';

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

/** What a Connection keeps beyond the shared state. */
interface ConnectionPrivate extends ConnectionState {
  readonly tls: ContextState['tls'];
  freed: boolean;
  done: boolean;
  /** A handshake step ran (early data must come before). */
  started: boolean;
  /** Server: SSL_read_early_data reported the end of the early data. */
  earlyRead: boolean;
  earlyChunks: Uint8Array[];
  failure: Error | null;
  peerClosed: boolean;
  busy: number;
  sessionListener: ((view: SessionView) => void) | null;
  dropHolders: () => void;
}

const privates = new WeakMap<ConnectionState, ConnectionPrivate>();

/** A connection argument, not freed. */
const CONNECTION: Param<ConnectionPrivate> = {
  name: 'connection',
  kind: { kind: 'connection' },
  convert: (v, _what, core, op) => privates.get(connectionOf(v, op, core)) as ConnectionPrivate,
  check: (s, op) => {
    if (s.freed) throw new UseAfterFreeError(`${op}: connection ${s.id} was freed`, s.id);
    return s;
  },
};
const ANY_CONNECTION: Param<ConnectionPrivate> = {
  name: 'connection',
  kind: { kind: 'connection', any: true },
  convert: CONNECTION.convert,
};

/** The pointer of a connection that may run C now (a failed connection stays failed). */
function live(s: ConnectionPrivate): SslPtr {
  if (s.failure) throw s.failure;
  return s.ptr;
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
function step<T>(s: ConnectionPrivate, op: string, fn: (ssl: SslPtr) => T, cache = false): T {
  const core = s.core;
  if (s.busy > 0) {
    throw refuse(core, new ReentrancyError(`${s.id}.${op}: the connection is in use by OpenSSL right now (called from its own callback)`));
  }
  if (cache && s.context.busy > 0) {
    throw refuse(
      core,
      new ReentrancyError(
        `${s.id}.${op}: its context ${s.context.id} is in use by OpenSSL right now (called from one of its callbacks), and this step may change its session cache`,
      ),
    );
  }
  return core.ledger.run(`${s.id} ${op}`, s.id, () => {
    const ssl = live(s);
    s.busy++;
    let result: T;
    try {
      result = s.context.whileBusy(() => fn(ssl));
    } finally {
      s.busy--;
    }
    const fault = s.tls.takeFault();
    if (fault) {
      core.b.clearErrors();
      s.failure = new CallbackError(fault.callback, fault.error);
      throw s.failure;
    }
    return result;
  });
}

/** A fatal TLS failure: the connection is unusable from here on. */
function fail(s: ConnectionPrivate, op: string, ssl: SslPtr): never {
  const b = s.core.b;
  const verify = b.x.SSL_get_verify_result(ssl);
  const failure = new TLSError(
    `${op} (${s.id})`,
    b.drainErrors(),
    verify,
    verify !== 0 ? (b.cstring(b.x.X509_verify_cert_error_string(verify)) ?? '') : '',
  );
  s.failure = failure;
  throw failure;
}

/** Server, inside a handshake step: reads early data until OpenSSL says it is over (true) or needs bytes (false). */
function readEarlyData(s: ConnectionPrivate, ssl: SslPtr): boolean {
  const b = s.core.b;
  const buf = b.alloc(CHUNK, `SSL_read_early_data (${s.id})`);
  try {
    for (;;) {
      const ret = b.x.SSL_read_early_data(ssl, buf, CHUNK, b.out[0]);
      if (ret === SSL_READ_EARLY_DATA_SUCCESS) {
        s.earlyChunks.push(b.copyOut(buf, b.readU32(b.out[0])));
        continue;
      }
      if (ret === SSL_READ_EARLY_DATA_FINISH) {
        s.earlyRead = true;
        return true;
      }
      const err = b.x.SSL_get_error(ssl, 0);
      if (err === SSL_ERROR_WANT_READ || err === SSL_ERROR_WANT_WRITE) {
        b.clearErrors();
        return false;
      }
      return fail(s, 'SSL_read_early_data', ssl);
    }
  } finally {
    b.x.osw_free(buf);
  }
}

function setSession(s: ConnectionPrivate, p: SessionPtr): void {
  const core = s.core;
  step(s, 'setSession', (ssl) => {
    if (core.b.x.SSL_set_session(ssl, p) !== 1) throw core.b.error(`SSL_set_session (${s.id})`);
  });
}

function freeConnection(s: ConnectionPrivate, abort: boolean): void {
  if (s.freed) return;
  const core = s.core;
  if (s.busy > 0) {
    throw refuse(core, new ReentrancyError(`${s.id}.free: the connection is in use by OpenSSL right now (called from its own callback)`));
  }
  core.ledger.run(`${s.id} free`, s.id, () => {
    const b = core.b;
    s.busy++;
    try {
      if (!abort && s.done && !s.failure && (b.x.SSL_get_shutdown(s.ptr) & SSL_SENT_SHUTDOWN) === 0) b.x.SSL_shutdown(s.ptr);
      b.x.SSL_free(s.ptr);
    } finally {
      s.busy--;
      b.clearErrors();
      s.freed = true;
      if (s.sessionListener) s.context.listenForSessions(-1);
      s.sessionListener = null;
      s.tls.unregisterConnection(s);
      s.dropHolders();
      s.tls.takeFault();
      s.context.release();
    }
  });
}

// ---- the options of newConnection, converted once -----------------------------------------------------

interface ConnectionConfig {
  hostname?: Uint8Array;
  session?: ReturnType<typeof SESSION.convert>;
  alpn?: Uint8Array;
}

const CONNECTION_OPTIONS: Param<ConnectionConfig> = {
  name: 'options',
  convert: (v, what, core, op) => {
    const o = record(v, what, ['hostname', 'session', 'alpn'], { exact: true });
    refuseUndefinedSession(o);
    const c: ConnectionConfig = plain({});
    // RFC 6066: a HostName is at most 255 bytes.
    if (o.hostname !== undefined) {
      c.hostname = cString(o.hostname, `${what}.hostname`, 255);
      // SNI has no empty name (OpenSSL refuses one only once the SSL object exists).
      if (c.hostname.length === 0) throw new InvalidArgumentError(`${what}.hostname: a hostname is 1 to 255 bytes, got ''`);
    }
    if (o.session !== undefined) c.session = SESSION.convert(o.session, `${what}.session`, core, op);
    if (o.alpn !== undefined) c.alpn = alpnList(o.alpn, `${what}.alpn`).wire;
    return c;
  },
  check: (c, op, core) => {
    if (c.session !== undefined) core.usable(c.session, op);
    return c;
  },
};
const CONTEXT_ARG: Param<ContextState> = {
  name: 'context',
  kind: { kind: 'context' },
  convert: (v, _what, core, op) => contextOf(v, op, core),
  check: (s, op) => {
    liveContext(s, op);
    return s;
  },
};

const BYTES: Param<Uint8Array> = bytesParam('bytes');
const DATA: Param<Uint8Array> = bytesOrDataParam('data');
const LISTENER: Param<((view: SessionView) => void) | null> = {
  name: 'listener',
  kind: { kind: 'callback', nullable: true },
  convert: (v, what) => {
    if (v !== null && typeof v !== 'function') throw new TypeError(`${what}: expected a function or null, got ${describe(v)}`);
    return v as ((view: SessionView) => void) | null;
  },
};
const FREE_OPTIONS: Param<boolean> = {
  name: 'options',
  convert: (v, what) => {
    const o = record(v, what, ['abort'], { exact: true });
    return o.abort === undefined ? false : boolean(o.abort, `${what}.abort`);
  },
};

const calls = {
  create: declare('SSL_new', [CONTEXT_ARG, CONNECTION_OPTIONS], (core, ctx, options) => {
    // A verifying client with no name to check would accept any certificate its CA signed, for any
    // host (chain verified, name never compared): the web and Node adapters refuse that too.
    if (ctx.role === 'client' && ctx.verifies && options.hostname === undefined) {
      throw refuse(
        core,
        new InvalidArgumentError(
          `${ctx.id}.newConnection: the context verifies the server, so give \`hostname\`: the name its certificate must carry (also sent as SNI); a context made with verify: false checks nothing`,
        ),
      );
    }
    return new Connection(CONSTRUCT, core, ctx, options);
  }),
  writeEncrypted: declare('writeEncrypted', [CONNECTION, BYTES], (core, s, data) => {
    if (data.length === 0) return;
    const b = core.b;
    const ssl = live(s);
    const n = b.withBytes(data, (p, len) => b.x.osw_ssl_write_encrypted(ssl, p, len));
    if (n !== data.length) throw b.error(`writeEncrypted (${s.id})`);
  }),
  endEncrypted: declare('endEncrypted', [CONNECTION], (core, s) => {
    core.b.x.osw_ssl_encrypted_eof(live(s));
  }),
  readEncrypted: declare('readEncrypted', [CONNECTION], (core, s) => {
    const b = core.b;
    const ssl = live(s);
    const n = b.x.osw_ssl_pending_encrypted(ssl);
    if (n <= 0) return new Uint8Array(0);
    const buf = b.alloc(n, `readEncrypted (${s.id})`);
    try {
      return b.copyOut(buf, Math.max(0, b.x.osw_ssl_read_encrypted(ssl, buf, n)));
    } finally {
      b.x.osw_free(buf);
    }
  }),
  pendingEncrypted: declare('pendingEncrypted', [CONNECTION], (core, s) => core.b.x.osw_ssl_pending_encrypted(live(s))),
  handshake: declare(
    'handshake',
    [CONNECTION],
    (core, s) => {
      if (s.done) return true;
      return step(
        s,
        'handshake',
        (ssl) => {
          const b = core.b;
          s.started = true;
          if (s.context.role === 'server' && s.context.acceptsEarlyData && !s.earlyRead && !readEarlyData(s, ssl)) return false;
          const ret = b.x.SSL_do_handshake(ssl);
          if (ret === 1) {
            s.done = true;
            b.clearErrors();
            return true;
          }
          const err = b.x.SSL_get_error(ssl, ret);
          if (err === SSL_ERROR_WANT_READ || err === SSL_ERROR_WANT_WRITE) {
            b.clearErrors();
            return false;
          }
          return fail(s, 'SSL_do_handshake', ssl);
        },
        true,
      );
    },
    { clearErrors: false },
  ),
  writeEarlyData: declare('SSL_write_early_data', [CONNECTION, DATA], (core, s, data) => {
    if (s.context.role !== 'client') throw refuse(core, new InvalidArgumentError(`writeEarlyData: ${s.id} is a server connection`));
    if (s.started)
      throw refuse(core, new InvalidArgumentError(`writeEarlyData: the handshake of ${s.id} has started; early data goes first`));
    const b = core.b;
    const p = b.x.SSL_get_session(live(s));
    const max = p === 0 ? 0 : b.x.SSL_SESSION_get_max_early_data(p);
    if (data.length === 0 || data.length > max) {
      throw refuse(
        core,
        new InvalidArgumentError(
          `writeEarlyData: ${data.length} bytes, but the session set on ${s.id} allows ${max} bytes of early data (a TLS 1.3 session from a server that accepts early data)`,
        ),
      );
    }
    step(s, 'writeEarlyData', (ssl) => {
      b.withBytes(data, (d, n) => {
        if (b.x.SSL_write_early_data(ssl, d, n, b.out[0]) !== 1) fail(s, 'SSL_write_early_data', ssl);
      });
    });
  }),
  earlyDataStatus: declare('SSL_get_early_data_status', [CONNECTION], (core, s) => {
    const status = core.b.x.SSL_get_early_data_status(live(s));
    return status === 2 ? 'accepted' : status === 1 ? 'rejected' : 'not sent';
  }),
  write: declare('write', [CONNECTION, DATA], (core, s, data) => {
    if (!s.done) throw refuse(core, new OpenSSLWasmError(`write: the handshake of ${s.id} is not complete`));
    if (data.length === 0) return;
    step(s, 'write', (ssl) => {
      const b = core.b;
      b.withBytes(data, (p, n) => {
        if (b.x.SSL_write_ex(ssl, p, n, b.out[0]) !== 1) fail(s, 'SSL_write', ssl);
      });
    });
  }),
  read: declare('read', [CONNECTION], (core, s) =>
    step(
      s,
      'read',
      (ssl) => {
        const b = core.b;
        const chunks: Uint8Array[] = [];
        const buf = b.alloc(CHUNK, `SSL_read (${s.id})`);
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
              s.peerClosed = true;
              break;
            }
            fail(s, 'SSL_read', ssl);
          }
        } finally {
          b.x.osw_free(buf);
        }
        b.clearErrors();
        if (!s.done && b.x.SSL_is_init_finished(ssl) === 1) s.done = true;
        return concat(chunks);
      },
      true,
    ),
  ),
  shutdown: declare('shutdown', [CONNECTION], (core, s) =>
    step(s, 'shutdown', (ssl) => {
      const b = core.b;
      const ret = b.x.SSL_shutdown(ssl);
      b.clearErrors();
      return ret === 1 || (b.x.SSL_get_shutdown(ssl) & (SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN)) === 3;
    }),
  ),
  onSession: declare('onSession', [CONNECTION, LISTENER], (core, s, listener) => {
    if ((listener === null) === (s.sessionListener === null)) {
      s.sessionListener = listener;
      return;
    }
    s.sessionListener = listener;
    const ctx = s.context;
    if (listener && ctx.role === 'client') {
      const mode = core.b.x.osw_ctx_ctrl(ctx.ptr, 45, 0); // GET_SESS_CACHE_MODE
      if ((mode & 1) === 0) core.b.x.osw_ctx_ctrl(ctx.ptr, 44, mode | 0x0001 | 0x0200); // SET: CLIENT | NO_INTERNAL_STORE
    }
    ctx.listenForSessions(listener ? 1 : -1);
  }),
  sessionReused: declare('SSL_session_reused', [CONNECTION], (core, s) => core.b.x.SSL_session_reused(live(s)) === 1),
  protocol: declare('SSL_get_version', [CONNECTION], (core, s) => core.b.cstring(core.b.x.SSL_get_version(live(s))) ?? ''),
  cipher: declare('SSL_get_current_cipher', [CONNECTION], (core, s): Cipher | null =>
    describeCipher(core.b, core.b.x.SSL_get_current_cipher(live(s))),
  ),
  alpn: declare('SSL_get0_alpn_selected', [CONNECTION], (core, s) => {
    const b = core.b;
    b.x.SSL_get0_alpn_selected(live(s), b.out[0], b.out[1]);
    const selected = b.copyOut(b.readU32(b.out[0]), b.readU32(b.out[1]));
    return selected.length > 0 ? new TextDecoder().decode(selected) : null;
  }),
  peerCertificate: declare('SSL_get0_peer_certificate', [CONNECTION], (core, s) =>
    core.b.takeBuffer(core.b.x.osw_ssl_peer_der(live(s), core.b.out[0])),
  ),
  group: declare('SSL_get0_group_name', [CONNECTION], (core, s) => core.b.cstring(core.b.x.SSL_get0_group_name(live(s)))),
  peerCertificateChain: declare('SSL_get_peer_cert_chain', [CONNECTION], (core, s) => {
    const b = core.b;
    const ssl = live(s);
    const chain: Uint8Array[] = [];
    for (let i = 0; ; i++) {
      const der = b.takeBuffer(b.x.osw_ssl_peer_chain_der(ssl, i, b.out[0]));
      if (der === null) return chain;
      chain.push(der);
    }
  }),
  hasPartialInput: declare('SSL_has_pending', [CONNECTION], (core, s) => core.b.x.SSL_has_pending(s.ptr) === 1),
  verifyResult: declare('SSL_get_verify_result', [CONNECTION], (core, s) => core.b.x.SSL_get_verify_result(live(s))),
  getSession: declare('SSL_get_session', [CONNECTION], (core, s): SessionView | null => {
    const p = core.b.x.SSL_get_session(live(s));
    if (p === 0) return null;
    // The address alone cannot tell the sessions apart: a TLS 1.3 ticket's session can be
    // allocated where the one it replaced was just freed. The ledger's record can.
    const rec = core.ledger.recordFor(p);
    return core.view(p, {
      label: `SSL_get_session(${s.id})`,
      expired: () =>
        s.freed
          ? `connection ${s.id} was freed`
          : core.b.x.SSL_get_session(s.ptr) !== p || !rec.alive
            ? `${s.id} now holds another session`
            : null,
    }) as SessionView;
  }),
  get1Session: declare('SSL_get1_session', [CONNECTION], (core, s): Session | null =>
    core.ledger.run(`SSL_get1_session(${s.id})`, undefined, () => {
      const p = core.b.x.SSL_get1_session(live(s));
      if (p === 0) return null;
      return core.adopt<Session>(p as SessionPtr, 'get1', `SSL_get1_session(${s.id})`, 1);
    }),
  ),
  setSession: declare('SSL_set_session', [CONNECTION, SESSION], (_core, s, session) => setSession(s, session.own.record.ptr)),
  free: declare('SSL_free', [ANY_CONNECTION, optional(FREE_OPTIONS)], (_core, s, abort) => freeConnection(s, abort ?? false)),
};

export class Connection {
  /** "C1": how the ledger names this connection when it holds a session. */
  readonly id: string;
  readonly role: 'client' | 'server';
  readonly #s: ConnectionPrivate;
  readonly #context: object;

  /** @internal */
  constructor(token: unknown, core?: Core, context?: ContextState, config?: ConnectionConfig) {
    refuseConstruction(token, 'Connection', 'make one with context.newConnection() or ossl.connectInMemory()');
    brand(this, 'Connection');
    const k = core as Core;
    const ctx = context as ContextState;
    const c = config as ConnectionConfig;
    const b = k.b;
    this.role = ctx.role;
    this.#context = ctx.object;
    const tls = ctx.tls;
    this.id = tls.connectionId();
    // Frozen, as a Context is: id names it in the ledger; its methods are the package's own.
    Object.freeze(this);
    const ptr = b.x.osw_ssl_new(ctx.ptr, this.role === 'server' ? 1 : 0);
    if (ptr === 0) throw b.error('SSL_new');
    const s: ConnectionPrivate = {
      kind: 'connection',
      core: k,
      object: this,
      id: this.id,
      ptr,
      context: ctx,
      tls,
      freed: false,
      done: false,
      started: false,
      earlyRead: false,
      earlyChunks: [],
      failure: null,
      peerClosed: false,
      busy: 0,
      sessionListener: null,
      dropHolders: () => {},
      notifySession: (p) => notifySession(s, p),
    };
    s.dropHolders = k.ledger.addHolderSource((sess) =>
      !s.freed && b.x.SSL_get_session(ptr) === sess ? [{ kind: 'connection', id: this.id, references: 1 }] : [],
    );
    this.#s = s;
    privates.set(s, s);
    setState(this, s);
    tls.registerConnection(s);
    try {
      if (c.hostname !== undefined) {
        const verifyName = ctx.verifies && this.role === 'client' ? 1 : 0;
        if (b.withBytes(c.hostname, (p) => b.x.osw_ssl_set_hostname(ptr, p, verifyName), true) !== 1)
          throw b.error(`set hostname (${this.id})`);
      }
      if (c.alpn !== undefined) {
        const wire = c.alpn;
        if (b.withBytes(wire, (p, n) => b.x.SSL_set_alpn_protos(ptr, p, n)) !== 0) throw b.error('SSL_set_alpn_protos');
      }
      if (c.session !== undefined) setSession(s, c.session.own.record.ptr);
    } catch (error) {
      freeConnection(s, true);
      throw error;
    }
  }

  /** The context this connection was made from. */
  get context(): Context {
    return this.#context as Context;
  }

  /** Bytes that arrived from the peer's transport. */
  writeEncrypted(data: Uint8Array): void {
    calls.writeEncrypted(this.#s.core, this, data);
  }
  /** The peer's transport closed: OpenSSL now sees end of file instead of "no data yet". */
  endEncrypted(): void {
    calls.endEncrypted(this.#s.core, this);
  }
  /** Bytes OpenSSL wants sent to the peer (empty when none). */
  readEncrypted(): Uint8Array {
    return calls.readEncrypted(this.#s.core, this);
  }
  /** Encrypted bytes waiting to be sent. */
  get pendingEncrypted(): number {
    return calls.pendingEncrypted(this.#s.core, this);
  }
  /** One handshake step: true once complete, false when it needs bytes from the peer. Throws TLSError on failure. */
  handshake(): boolean {
    return calls.handshake(this.#s.core, this);
  }
  /**
   * Client, before the handshake starts: sends `data` as TLS 1.3 early data (0-RTT) with the
   * ClientHello (SSL_write_early_data). Needs a session to resume whose maxEarlyData is at least
   * data's length. Whether the server took it is earlyDataStatus once the handshake completed.
   */
  writeEarlyData(data: Uint8Array | string): void {
    calls.writeEarlyData(this.#s.core, this, data);
  }
  /** Server: the early data received (0-RTT), once; empty when none (or already taken). */
  takeEarlyData(): Uint8Array {
    const out = concat(this.#s.earlyChunks);
    this.#s.earlyChunks = [];
    return out;
  }
  /** SSL_get_early_data_status: whether early data was sent and what the server did with it. */
  get earlyDataStatus(): 'not sent' | 'rejected' | 'accepted' {
    return calls.earlyDataStatus(this.#s.core, this) as 'not sent' | 'rejected' | 'accepted';
  }
  get isHandshakeDone(): boolean {
    return this.#s.done;
  }
  /** Encrypts application data (queued for readEncrypted()). */
  write(data: Uint8Array | string): void {
    calls.write(this.#s.core, this, data);
  }
  /**
   * Decrypts whatever application data has arrived (empty when none). Also processes
   * post-handshake messages: a TLS 1.3 client receives its session tickets here.
   */
  read(): Uint8Array {
    return calls.read(this.#s.core, this);
  }
  /** The peer sent close_notify. */
  get peerClosedConnection(): boolean {
    return this.#s.peerClosed;
  }
  /** Sends close_notify (SSL_shutdown). True when both sides have closed. */
  shutdown(): boolean {
    return calls.shutdown(this.#s.core, this);
  }
  /**
   * Calls `listener` with a view of each new session this connection establishes (client: each
   * ticket, also those arriving after the handshake). The view is valid during the call; upRef()
   * it to keep it. A client context gets SSL_SESS_CACHE_CLIENT added, or no callback would run.
   */
  onSession(listener: ((view: SessionView) => void) | null): void {
    calls.onSession(this.#s.core, this, listener);
  }
  /** SSL_session_reused. */
  get sessionReused(): boolean {
    return calls.sessionReused(this.#s.core, this);
  }
  /** "TLSv1.3", "TLSv1.2". */
  get protocol(): string {
    return calls.protocol(this.#s.core, this);
  }
  get cipher(): Cipher | null {
    return calls.cipher(this.#s.core, this);
  }
  /** The negotiated ALPN protocol, or null. */
  get alpn(): string | null {
    return calls.alpn(this.#s.core, this);
  }
  /** The peer certificate as DER, or null. */
  get peerCertificate(): Uint8Array | null {
    return calls.peerCertificate(this.#s.core, this);
  }
  /** The negotiated key exchange group ("X25519MLKEM768", "X25519", "secp256r1"), or null. */
  get group(): string | null {
    return calls.group(this.#s.core, this);
  }
  /** The certificates the peer sent, leaf first, as DER (SSL_get_peer_cert_chain); empty when none. */
  get peerCertificateChain(): Uint8Array[] {
    return calls.peerCertificateChain(this.#s.core, this);
  }
  /** @internal Part of a TLS record is buffered (SSL_has_pending): a transport ending now cut a record. */
  get hasPartialInput(): boolean {
    // Asked after a failed read, so not through live(): the failure is what prompts the question.
    return !this.#s.freed && calls.hasPartialInput(this.#s.core, this);
  }
  /** SSL_get_verify_result: 0 (X509_V_OK) or an X509_V_ERR_* code. */
  get verifyResult(): number {
    return calls.verifyResult(this.#s.core, this);
  }
  /**
   * SSL_get_session / SSL_get0_session: a view of the connection's session, or null. The view
   * expires for good when this connection is freed or its session changes; upRef() it to keep it.
   */
  getSession(): SessionView | null {
    return calls.getSession(this.#s.core, this);
  }
  /** SSL_get1_session: a handle (one more reference, the JS side owns it), or null. */
  get1Session(): Session | null {
    return calls.get1Session(this.#s.core, this);
  }
  /** SSL_set_session: the connection takes its own reference to s (the JS handle keeps its own). */
  setSession(s: Session | SessionView): void {
    calls.setSession(this.#s.core, this, s);
  }
  /**
   * Frees the connection (SSL_free). Unless `abort`, a completed handshake is shut down first
   * (close_notify queued), so OpenSSL keeps its session resumable; with `abort: true` the session
   * is marked not resumable, as OpenSSL does for a connection that ends without shutdown.
   */
  free(options: { abort?: boolean } = {}): void {
    calls.free(this.#s.core, this, options);
  }
  get isFreed(): boolean {
    return this.#s.freed;
  }
  [disposeSymbol](): void {
    this.free();
  }
  toJSON(): { id: string; role: string; state: string } {
    return { id: this.id, role: this.role, state: this.#state() };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Connection { id: '${this.id}', role: '${this.role}', state: '${this.#state()}' }`;
  }
  #state(): string {
    return this.#s.freed ? 'freed' : this.#s.failure ? 'failed' : this.#s.done ? 'established' : 'handshaking';
  }
}

function notifySession(s: ConnectionPrivate, p: SessionPtr): void {
  const listener = s.sessionListener;
  if (!listener) return;
  let valid = true;
  const view = s.core.view(p, {
    label: `${s.id} new session`,
    expired: () => (valid ? null : 'the session listener has returned'),
  }) as SessionView;
  try {
    listener(view);
  } finally {
    valid = false;
  }
}

/** context.newConnection(options): converts the options, checks the context, then SSL_new. */
export function newConnection(core: Core, context: object, options: unknown): Connection {
  return calls.create(core, context, options);
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
 * Given the options as record() read them (never the caller's object: it would be read twice).
 */
export function refuseUndefinedSession(options: Record<string, unknown>): void {
  if (Object.hasOwn(options, 'session') && options.session === undefined) {
    throw new InvalidArgumentError('session is undefined: pass the Session to resume, or leave the option out for a full handshake');
  }
}
