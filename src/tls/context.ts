/**
 * Context: an SSL_CTX and its session cache. The cache holds its own reference to every session in
 * it; the ledger sees those references (holder "X1 cache") and every callback's hand-offs.
 * Every public call is a declaration through the gate (../core/gate.ts); what stands behind a
 * Context is its state object (./state.ts), never a property of it.
 */
import type { CtxPtr, SessionPtr, SslPtr } from '../binding/abi.js';
import { brand, CONSTRUCT, refuseConstruction } from '../core/brand.js';
import { CALLBACK } from '../core/codes.js';
import { boolean, cString, describe, integer, list, NUMBER_KINDS, plain, record } from '../core/convert.js';
import { declare, numberParam, type Param, refuse, SESSION } from '../core/gate.js';
import type { Core, SessionState } from '../core/instance.js';
import { CallbackError, InvalidArgumentError, ReentrancyError } from '../errors.js';
import { disposeSymbol, type Session, type SessionView } from '../session/session.js';
import { type Connection, type ConnectionOptions, newConnection } from './connection.js';
import type { TlsRegistry } from './registry.js';
import { type ContextState, contextOf, liveContext, setState } from './state.js';
import { alpnList, type ProtocolVersion, protocolNumber } from './wire.js';

export type { ProtocolVersion } from './wire.js';

/** SSL_CTX_set_session_cache_mode flags. */
// Frozen: the package reads these itself (onNewSession), so nobody else may change what they mean.
export const SESS_CACHE = Object.freeze({
  OFF: 0x0000,
  CLIENT: 0x0001,
  SERVER: 0x0002,
  BOTH: 0x0003,
  NO_AUTO_CLEAR: 0x0080,
  NO_INTERNAL_LOOKUP: 0x0100,
  NO_INTERNAL_STORE: 0x0200,
  NO_INTERNAL: 0x0300,
  UPDATE_TIME: 0x0400,
} as const);

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
/** PEM inputs: generous, but bounded (a certificate chain is kilobytes). */
const PEM_MAX = 4 << 20;
/** Cipher and group lists. */
const LIST_MAX = 64 << 10;
/** SSL_MAX_SID_CTX_LENGTH. */
const SID_CTX_MAX = 32;

// biome-ignore lint/suspicious/noConfusingVoidType: a callback that returns nothing (void) means "not kept"
type NewSessionCallback = (session: Session, connection: Connection) => boolean | void;
type RemoveSessionCallback = (session: SessionView, context: Context) => void;
type GetSessionCallback = (id: Uint8Array, connection: Connection) => Session | SessionView | null | undefined;

/** The options, converted once (every getter and Proxy trap of the caller's object runs here). */
interface ContextConfig {
  role: 'client' | 'server';
  versions?: [number, number];
  ciphers?: Uint8Array;
  ciphersuites?: Uint8Array;
  groups?: Uint8Array;
  alpn?: { names: string[]; wire: Uint8Array };
  certificate?: Uint8Array;
  privateKey?: Uint8Array;
  ca: Uint8Array[];
  verify: boolean;
  sessionCacheMode?: number;
  sessionCacheSize?: number;
  timeout?: number;
  tickets?: boolean;
  numTickets?: number;
  /** Server: the early data limit (0: not accepted). */
  maxEarlyData: number;
  sessionIdContext: Uint8Array;
}

const OPTION_KEYS = [
  'role',
  'minVersion',
  'maxVersion',
  'ciphers',
  'ciphersuites',
  'groups',
  'alpn',
  'certificate',
  'privateKey',
  'ca',
  'verify',
  'sessionCacheMode',
  'sessionCacheSize',
  'timeout',
  'tickets',
  'numTickets',
  'acceptEarlyData',
  'sessionIdContext',
] as const;

/** Options only a server context uses. */
const SERVER_KEYS = ['tickets', 'numTickets', 'acceptEarlyData', 'sessionIdContext'] as const;

function contextConfig(v: unknown, what: string): ContextConfig {
  if (v === undefined) throw new TypeError(`${what}: expected options with a role ('client' or 'server')`);
  const o = record(v, what, OPTION_KEYS, { exact: true });
  if (o.role !== 'client' && o.role !== 'server') {
    throw new InvalidArgumentError(
      `createContext: role must be 'client' or 'server', got ${typeof o.role === 'string' ? `'${o.role}'` : describe(o.role)}`,
    );
  }
  // A client context would ignore them: refused, like a misspelt option, rather than not taking.
  if (o.role === 'client') {
    for (const k of SERVER_KEYS) {
      if (o[k] !== undefined) throw new InvalidArgumentError(`${what}: ${k} is a server option, which a client context does not use`);
    }
  }
  const str = (k: string, max: number): Uint8Array | undefined => (o[k] === undefined ? undefined : cString(o[k], `${what}.${k}`, max));
  const c: ContextConfig = plain({
    role: o.role,
    ca:
      o.ca === undefined
        ? []
        : Array.isArray(o.ca)
          ? list(o.ca, `${what}.ca`, (x, w) => cString(x, w, PEM_MAX))
          : [cString(o.ca, `${what}.ca`, PEM_MAX)],
    verify: false,
    maxEarlyData:
      o.acceptEarlyData === undefined || o.acceptEarlyData === false
        ? 0
        : o.acceptEarlyData === true
          ? 16384
          : integer(
              o.acceptEarlyData,
              { name: 'true or a byte count from 1 to 2^31-1', min: 1, max: 0x7fffffff },
              `${what}.acceptEarlyData`,
            ),
    sessionIdContext: cString(
      o.sessionIdContext === undefined ? 'openssl-session-wasm' : o.sessionIdContext,
      `${what}.sessionIdContext`,
      SID_CTX_MAX,
    ),
  });
  if (o.minVersion !== undefined || o.maxVersion !== undefined) {
    const versions: [number, number] = [
      protocolNumber(o.minVersion ?? 0, `${what}.minVersion`),
      protocolNumber(o.maxVersion ?? 0, `${what}.maxVersion`),
    ];
    // OpenSSL stores a minimum above the maximum, and then no handshake can ever succeed.
    if (versions[0] !== 0 && versions[1] !== 0 && versions[0] > versions[1]) {
      throw new InvalidArgumentError(
        `${what}: minVersion 0x${versions[0].toString(16).padStart(4, '0')} is above maxVersion 0x${versions[1].toString(16).padStart(4, '0')}: no protocol version would be left`,
      );
    }
    c.versions = versions;
  }
  for (const k of ['ciphers', 'ciphersuites', 'groups'] as const) {
    const s = str(k, LIST_MAX);
    if (s !== undefined) c[k] = s;
  }
  if (o.alpn !== undefined) c.alpn = alpnList(o.alpn, `${what}.alpn`);
  const certificate = str('certificate', PEM_MAX);
  if (certificate !== undefined) c.certificate = certificate;
  const privateKey = str('privateKey', PEM_MAX);
  if (privateKey !== undefined) c.privateKey = privateKey;
  // A client verifies its server unless told otherwise, in so many words.
  c.verify = o.verify === undefined ? c.role === 'client' || c.ca.length > 0 : boolean(o.verify, `${what}.verify`);
  if (c.role === 'client' && c.verify && c.ca.length === 0) {
    throw new InvalidArgumentError(
      "createContext: a client verifies the server's certificate, so it needs `ca`: the PEM certificate(s) to trust (your server's CA; for public servers a root bundle, e.g. Node's tls.rootCertificates). To connect without verifying, say so with `verify: false` (anyone on the path can then impersonate the server).",
    );
  }
  if (o.sessionCacheMode !== undefined) c.sessionCacheMode = integer(o.sessionCacheMode, NUMBER_KINDS.flags, `${what}.sessionCacheMode`);
  if (o.sessionCacheSize !== undefined) c.sessionCacheSize = integer(o.sessionCacheSize, NUMBER_KINDS.long, `${what}.sessionCacheSize`);
  if (o.timeout !== undefined) c.timeout = integer(o.timeout, NUMBER_KINDS.long, `${what}.timeout`);
  if (o.tickets !== undefined) c.tickets = boolean(o.tickets, `${what}.tickets`);
  if (o.numTickets !== undefined) c.numTickets = integer(o.numTickets, NUMBER_KINDS.tickets, `${what}.numTickets`);
  if (c.role === 'server' && (c.certificate === undefined || c.privateKey === undefined)) {
    throw new InvalidArgumentError('createContext: a server needs certificate and privateKey (PEM); ossl.generateCertificate() makes both');
  }
  return c;
}

// ---- parameter kinds ---------------------------------------------------------------------------------

/** What a Context keeps beyond the shared state: the fields only this module writes. */
export interface ContextPrivate extends ContextState {
  freed: boolean;
  busy: number;
  verifies: boolean;
  acceptsEarlyData: boolean;
  /** Connections listening for their new sessions. */
  sessionListeners: number;
  /** Installs the session callbacks C should make (after a listener or callback changed). */
  installCallbacks(): void;
}

const privates = new WeakMap<ContextState, ContextPrivate>();

/** A context argument, alive. */
export const CONTEXT: Param<ContextPrivate> = {
  name: 'context',
  kind: { kind: 'context' },
  convert: (v, _what, core, op) => privates.get(contextOf(v, op, core)) as ContextPrivate,
  check: (s, op) => {
    liveContext(s, op);
    return s;
  },
};
/** A context argument, alive or not (free, isFreed). */
const ANY_CONTEXT: Param<ContextPrivate> = { name: 'context', kind: { kind: 'context', any: true }, convert: CONTEXT.convert };
const seconds = (name: string): Param<number> => numberParam(name, NUMBER_KINDS.long);
const callback = <T>(name: string): Param<T | null> => ({
  name,
  kind: { kind: 'callback', nullable: true },
  convert: (v, what) => {
    if (v !== null && typeof v !== 'function') throw new TypeError(`${what}: expected a function or null, got ${describe(v)}`);
    return v as T | null;
  },
});
const CONFIG: Param<ContextConfig> = { name: 'options', convert: (v, _what, _core, op) => contextConfig(v, op) };

/** Refuses changing the session cache while OpenSSL runs this context's cache code (a call from one of its callbacks). */
function notBusy(s: ContextState, op: string): void {
  if (s.busy > 0) {
    throw refuse(
      s.core,
      new ReentrancyError(
        `${s.id}.${op}: the context is in use by OpenSSL right now (called from one of its callbacks); its session cache cannot change under it`,
      ),
    );
  }
}

function ctrl(s: ContextState, cmd: number, larg = 0): number {
  return s.core.b.x.osw_ctx_ctrl(s.ptr, cmd, larg);
}

/** Raises, after C returned, an exception a callback threw inside it. */
function raiseFault(s: ContextState): void {
  const fault = s.tls.takeFault();
  if (fault) throw new CallbackError(fault.callback, fault.error);
}

/**
 * A session is in at most one cache: its list links and owner are single fields. OpenSSL does not
 * check; filing a session another context caches relinks it into this cache's list with the other
 * list's links, corrupting both (a later flush loops forever). Refused before reaching C.
 */
function notInAnotherCache(s: ContextState, p: SessionPtr, op: string): void {
  const owner = s.core.b.x.osw_session_owner(p);
  if (owner !== 0 && owner !== s.ptr) {
    const other = s.tls.contextFor(owner)?.id ?? 'another context';
    throw refuse(
      s.core,
      new InvalidArgumentError(
        `${s.id}.${op}: the session is in ${other}'s session cache, and a session can be in one cache at a time; remove it there first, or use a dup()`,
      ),
    );
  }
}

function cacheOp(s: ContextState, op: string, fn: (ctx: CtxPtr) => number): boolean {
  notBusy(s, op);
  const core = s.core;
  return core.ledger.run(`${s.id} ${op}`, `${s.id} cache`, () => {
    const ok = s.whileBusy(() => fn(s.ptr));
    core.b.clearErrors();
    raiseFault(s);
    return ok === 1;
  });
}

const calls = {
  sessionCacheMode: declare('SSL_CTX_get_session_cache_mode', [CONTEXT], (_core, s) => ctrl(s, CTRL.GET_SESS_CACHE_MODE)),
  setSessionCacheMode: declare('SSL_CTX_set_session_cache_mode', [CONTEXT, numberParam('mode', NUMBER_KINDS.flags)], (_core, s, mode) =>
    ctrl(s, CTRL.SET_SESS_CACHE_MODE, mode),
  ),
  sessionCacheSize: declare('SSL_CTX_sess_get_cache_size', [CONTEXT], (_core, s) => ctrl(s, CTRL.GET_SESS_CACHE_SIZE)),
  setSessionCacheSize: declare('SSL_CTX_sess_set_cache_size', [CONTEXT, seconds('size')], (_core, s, n) =>
    ctrl(s, CTRL.SET_SESS_CACHE_SIZE, n),
  ),
  timeout: declare('SSL_CTX_get_timeout', [CONTEXT], (core, s) => core.b.x.SSL_CTX_get_timeout(s.ptr)),
  setTimeout: declare('SSL_CTX_set_timeout', [CONTEXT, seconds('seconds')], (core, s, t) => core.b.x.SSL_CTX_set_timeout(s.ptr, t)),
  ctrl: declare('SSL_CTX_ctrl', [CONTEXT, { name: 'cmd', convert: (v) => v as number } as Param<number>], (_core, s, cmd) => ctrl(s, cmd)),
  addSession: declare('SSL_CTX_add_session', [CONTEXT, SESSION], (core, s, session: SessionState) => {
    const p = session.own.record.ptr;
    notBusy(s, 'addSession');
    notInAnotherCache(s, p, 'addSession');
    return cacheOp(s, 'addSession', (ctx) => core.b.x.SSL_CTX_add_session(ctx, p));
  }),
  removeSession: declare('SSL_CTX_remove_session', [CONTEXT, SESSION], (core, s, session: SessionState) =>
    cacheOp(s, 'removeSession', (ctx) => core.b.x.SSL_CTX_remove_session(ctx, session.own.record.ptr)),
  ),
  flushSessions: declare('SSL_CTX_flush_sessions', [CONTEXT, numberParam('time', NUMBER_KINDS.sessionTime)], (core, s, time) => {
    notBusy(s, 'flushSessions');
    core.ledger.run(`${s.id} flushSessions`, `${s.id} cache`, () => {
      s.whileBusy(() => core.b.x.osw_ctx_flush_sessions(s.ptr, time));
      raiseFault(s);
    });
  }),
  free: declare('SSL_CTX_free', [ANY_CONTEXT], (core, s) => {
    if (s.freed) return;
    if (s.busy > 0) {
      throw refuse(core, new ReentrancyError(`${s.id}.free: the context is in use by OpenSSL right now (called from its own callback)`));
    }
    core.ledger.run(`${s.id} free`, `${s.id} cache`, () => {
      s.freed = true;
      s.tls.contextFreed(s);
      s.whileBusy(() => core.b.x.SSL_CTX_free(s.ptr));
      s.release();
      s.tls.takeFault(); // a throwing remove callback cannot stop a free
    });
  }),
};

export class Context {
  /** "X1": how the ledger names this context; its cache is the holder "X1 cache". */
  readonly id: string;
  readonly role: 'client' | 'server';
  readonly #s: ContextPrivate;
  #newCb: NewSessionCallback | null = null;
  #removeCb: RemoveSessionCallback | null = null;
  #getCb: GetSessionCallback | null = null;
  #alpnAccepted: string[] | null = null;
  #keyLogCb: ((line: string, connection: Connection) => void) | null = null;
  /** Removal-callback views expire when the callback returns. */
  #removalEpoch = 0;

  /** @internal */
  constructor(token: unknown, core?: Core, tls?: TlsRegistry, config?: ContextConfig) {
    refuseConstruction(token, 'Context', 'make one with ossl.createContext({ role })');
    brand(this, 'Context');
    const c = config as ContextConfig;
    const r = tls as TlsRegistry;
    const k = core as Core;
    const b = k.b;
    this.role = c.role;
    this.id = r.contextId();
    // Frozen: id names the context in the ledger's events and role decides what onNewSession does,
    // so nobody may rewrite them, nor shadow a method the OpenSSL-shaped layer calls (addSession).
    Object.freeze(this);
    const ptr = b.x.osw_ctx_new(this.role === 'server' ? 1 : 0);
    if (ptr === 0) throw b.error('SSL_CTX_new');
    const cacheId = `${this.id} cache`;
    const dropHolders = k.ledger.addHolderSource((sess) =>
      b.x.osw_session_owner(sess) === ptr ? [{ kind: 'cache', id: cacheId, references: 1 }] : [],
    );
    const self = this;
    const s: ContextPrivate = {
      kind: 'context',
      core: k,
      tls: r,
      object: this,
      id: this.id,
      role: this.role,
      ptr,
      freed: false,
      busy: 0,
      verifies: false,
      acceptsEarlyData: false,
      sessionListeners: 0,
      installCallbacks() {
        const which =
          (self.#newCb || s.sessionListeners > 0 ? CALLBACK.NEW_SESSION : 0) |
          (self.#removeCb ? CALLBACK.REMOVE_SESSION : 0) |
          (self.#getCb ? CALLBACK.GET_SESSION : 0);
        b.x.osw_ctx_set_session_callbacks(s.ptr, which);
      },
      whileBusy(fn) {
        s.busy++;
        try {
          return fn();
        } finally {
          s.busy--;
        }
      },
      listenForSessions(change) {
        s.sessionListeners += change;
        if (!s.freed) s.installCallbacks();
      },
      release() {
        if (s.freed && !r.hasConnections(s) && r.contextFor(s.ptr) === s) {
          r.unregisterContext(s);
          dropHolders();
        }
      },
      newSession: (ssl, sess) => this.#handleNewSession(ssl, sess),
      removeSession: (sess) => this.#handleRemoveSession(sess),
      getSession: (ssl, id, len) => this.#handleGetSession(ssl, id, len),
      alpnSelect: (list, len) => this.#handleAlpnSelect(list, len),
      keyLog: (line, connection) => this.#keyLogCb?.(b.cstring(line) ?? '', connection.object as Connection),
    };
    this.#s = s;
    privates.set(s, s);
    setState(this, s);
    r.registerContext(s);
    try {
      this.#configure(c);
    } catch (error) {
      calls.free(k, this);
      throw error;
    }
  }

  /** @internal Converts the options, then makes the SSL_CTX (the gate's order). */
  static create(core: Core, tls: TlsRegistry, options: unknown): Context {
    return create(core, options, tls);
  }

  #configure(o: ContextConfig): void {
    const s = this.#s;
    const b = s.core.b;
    const ptr = s.ptr;
    const check = (ok: boolean, what: string): void => {
      if (!ok) throw b.error(`${what} (${this.id})`);
    };
    if (o.versions) check(b.x.osw_ctx_set_versions(ptr, o.versions[0], o.versions[1]) === 1, 'set protocol versions');
    if (o.ciphers) check(b.withBytes(o.ciphers, (p) => b.x.SSL_CTX_set_cipher_list(ptr, p), true) === 1, 'SSL_CTX_set_cipher_list');
    if (o.ciphersuites)
      check(b.withBytes(o.ciphersuites, (p) => b.x.SSL_CTX_set_ciphersuites(ptr, p), true) === 1, 'SSL_CTX_set_ciphersuites');
    if (o.groups) check(b.withBytes(o.groups, (p) => b.x.osw_ctx_set_groups(ptr, p), true) === 1, 'SSL_CTX_set1_groups_list');
    if (o.alpn) {
      if (this.role === 'client') {
        // SSL_CTX_set_alpn_protos returns 0 on success.
        const wire = o.alpn.wire;
        check(b.withBytes(wire, (p, n) => b.x.SSL_CTX_set_alpn_protos(ptr, p, n)) === 0, 'SSL_CTX_set_alpn_protos');
      } else {
        this.#alpnAccepted = o.alpn.names;
        b.x.osw_ctx_set_alpn_select(ptr, 1);
      }
    }
    if (o.certificate)
      check(b.withBytes(o.certificate, (p, n) => b.x.osw_ctx_use_certificate_pem(ptr, p, n), true) === 1, 'use certificate');
    if (o.privateKey) check(b.withBytes(o.privateKey, (p, n) => b.x.osw_ctx_use_private_key_pem(ptr, p, n), true) === 1, 'use private key');
    for (const ca of o.ca) check(b.withBytes(ca, (p, n) => b.x.osw_ctx_add_ca_pem(ptr, p, n), true) > 0, 'add CA certificate');
    s.verifies = o.verify;
    if (o.verify) b.x.SSL_CTX_set_verify(ptr, SSL_VERIFY_PEER | (this.role === 'server' ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), 0);
    if (this.role === 'server') {
      const sid = o.sessionIdContext;
      check(b.withBytes(sid, (p, n) => b.x.SSL_CTX_set_session_id_context(ptr, p, n)) === 1, 'SSL_CTX_set_session_id_context');
      if (o.tickets === false) b.x.osw_ctx_set_options(ptr, SSL_OP_NO_TICKET);
      if (o.numTickets !== undefined) check(b.x.SSL_CTX_set_num_tickets(ptr, o.numTickets) === 1, 'SSL_CTX_set_num_tickets');
      if (o.maxEarlyData > 0) {
        check(b.x.SSL_CTX_set_max_early_data(ptr, o.maxEarlyData) === 1, 'SSL_CTX_set_max_early_data');
        s.acceptsEarlyData = true;
      }
    }
    if (o.sessionCacheMode !== undefined) ctrl(s, CTRL.SET_SESS_CACHE_MODE, o.sessionCacheMode);
    if (o.sessionCacheSize !== undefined) ctrl(s, CTRL.SET_SESS_CACHE_SIZE, o.sessionCacheSize);
    if (o.timeout !== undefined) b.x.SSL_CTX_set_timeout(ptr, o.timeout);
    b.clearErrors();
  }

  /** The connections made from this context that are not freed yet (a copy). */
  get connections(): Connection[] {
    return this.#s.tls.connectionsOf(this.#s).map((c) => c.object as Connection);
  }

  /** Whether peers' certificates are verified. */
  get verifies(): boolean {
    return this.#s.verifies;
  }
  /** Server: whether connections read early data (0-RTT) before completing their handshake. */
  get acceptsEarlyData(): boolean {
    return this.#s.acceptsEarlyData;
  }

  /** SSL_SESS_CACHE_* flags (SSL_CTX_set_session_cache_mode / get). */
  get sessionCacheMode(): number {
    return calls.sessionCacheMode(this.#s.core, this);
  }
  set sessionCacheMode(mode: number) {
    calls.setSessionCacheMode(this.#s.core, this, mode);
  }
  /** @internal SSL_CTX_set_session_cache_mode: returns the previous mode. */
  setSessionCacheMode(mode: number): number {
    return calls.setSessionCacheMode(this.#s.core, this, mode);
  }
  get sessionCacheSize(): number {
    return calls.sessionCacheSize(this.#s.core, this);
  }
  set sessionCacheSize(n: number) {
    calls.setSessionCacheSize(this.#s.core, this, n);
  }
  /** Default lifetime of new sessions, seconds (SSL_CTX_set_timeout / get). */
  get timeout(): number {
    return calls.timeout(this.#s.core, this);
  }
  set timeout(seconds: number) {
    calls.setTimeout(this.#s.core, this, seconds);
  }
  /** @internal SSL_CTX_set_timeout: returns the previous timeout. */
  setTimeout(seconds: number): number {
    return calls.setTimeout(this.#s.core, this, seconds);
  }
  /** Sessions in the internal cache (SSL_CTX_sess_number). */
  get sessionCount(): number {
    return calls.ctrl(this.#s.core, this, CTRL.SESS_NUMBER);
  }
  /** The SSL_CTX_sess_* counters. */
  get stats(): CacheStats {
    const c = (cmd: number): number => calls.ctrl(this.#s.core, this, cmd);
    return {
      number: c(CTRL.SESS_NUMBER),
      connect: c(CTRL.SESS_CONNECT),
      connectGood: c(CTRL.SESS_CONNECT_GOOD),
      connectRenegotiate: c(CTRL.SESS_CONNECT_RENEGOTIATE),
      accept: c(CTRL.SESS_ACCEPT),
      acceptGood: c(CTRL.SESS_ACCEPT_GOOD),
      acceptRenegotiate: c(CTRL.SESS_ACCEPT_RENEGOTIATE),
      hits: c(CTRL.SESS_HIT),
      cbHits: c(CTRL.SESS_CB_HIT),
      misses: c(CTRL.SESS_MISSES),
      timeouts: c(CTRL.SESS_TIMEOUTS),
      cacheFull: c(CTRL.SESS_CACHE_FULL),
    };
  }

  /**
   * SSL_CTX_add_session: the cache takes its own reference. True when added (false: already there).
   * OpenSSL keys the cache by session id: a session without one (SSL_SESSION_new) can be added but
   * not removed by removeSession (only a flush drops it), and a copy with the same id replaces it.
   */
  addSession(s: Session | SessionView): boolean {
    return calls.addSession(this.#s.core, this, s);
  }
  /** SSL_CTX_remove_session: the cache drops its reference. True when it was there. OpenSSL marks the session not resumable. */
  removeSession(s: Session | SessionView): boolean {
    return calls.removeSession(this.#s.core, this, s);
  }
  /** SSL_CTX_flush_sessions_ex: removes sessions expired at `time` (whole seconds; default now). */
  flushSessions(time: number = Math.floor(Date.now() / 1000)): void {
    calls.flushSessions(this.#s.core, this, time);
  }

  /**
   * SSL_CTX_sess_set_new_cb: called with a handle for each new session (client: each ticket).
   * Return true to keep the handle (free it later); otherwise its reference is released for you.
   * On a client whose cache mode lacks SESS_CACHE.CLIENT, adds CLIENT | NO_INTERNAL_STORE (OpenSSL
   * would never call it otherwise). In CLIENT mode OpenSSL treats a resumed TLS 1.3 session as used
   * up (it marks it not resumable): resume with the newer session the callback receives.
   */
  onNewSession(cb: NewSessionCallback | null): void {
    const callback = onCallback<NewSessionCallback>(this.#s, 'onNewSession', cb);
    // OpenSSL calls a client's new-session callback only in CLIENT mode; without it the callback
    // would silently never run. NO_INTERNAL_STORE: the context's own cache still keeps nothing.
    if (callback && this.role === 'client' && (this.sessionCacheMode & SESS_CACHE.CLIENT) === 0) {
      this.sessionCacheMode = this.sessionCacheMode | SESS_CACHE.CLIENT | SESS_CACHE.NO_INTERNAL_STORE;
    }
    this.#newCb = callback;
    this.#s.installCallbacks();
  }
  /** SSL_CTX_sess_set_remove_cb: a view of each session leaving the cache, valid during the call. */
  onRemoveSession(cb: RemoveSessionCallback | null): void {
    this.#removeCb = onCallback(this.#s, 'onRemoveSession', cb);
    this.#s.installCallbacks();
  }
  /** SSL_CTX_sess_set_get_cb (server): an external cache. Return a session you keep holding, or null. */
  onGetSession(cb: GetSessionCallback | null): void {
    this.#getCb = onCallback(this.#s, 'onGetSession', cb);
    this.#s.installCallbacks();
  }

  /**
   * Opt-in key log (SSL_CTX_set_keylog_callback): one SSLKEYLOGFILE line per secret, so a capture
   * can be decrypted in Wireshark. Anyone with these lines can read the traffic; null turns it off.
   */
  onKeyLog(cb: ((line: string, connection: Connection) => void) | null): void {
    this.#keyLogCb = onCallback(this.#s, 'onKeyLog', cb);
    this.#s.core.b.x.osw_ctx_set_keylog(this.#s.ptr, this.#keyLogCb ? 1 : 0);
  }

  /** OpenSSL took a reference for us, then called the new-session callback. */
  #handleNewSession(ssl: SslPtr, sess: number): number {
    const s = this.#s;
    const core = s.core;
    const connection = s.tls.connectionFor(ssl);
    const cb = this.#newCb;
    if (!connection) return 0;
    connection.notifySession(sess as SessionPtr);
    if (!cb) return 0;
    // Adopt first: the reference OpenSSL took for the callback is the last up_ref it just made.
    const handle = core.adopt<Session>(sess as SessionPtr, 'get1', `${this.id} onNewSession`, 1);
    const own = SESSION.convert(handle, 'onNewSession: session', core, 'onNewSession').own;
    return core.ledger.run(`${this.id} onNewSession`, `${connection.id}`, () => {
      let keep = false;
      try {
        keep = cb(handle, connection.object as Connection) === true;
      } finally {
        if (own.references === 0) keep = true; // the callback freed it itself: the reference is consumed
        if (!keep) core.ledger.handedBack(own); // returning 0 makes OpenSSL drop the reference
      }
      return keep ? 1 : 0;
    });
  }

  #handleRemoveSession(sess: number): void {
    const cb = this.#removeCb;
    if (!cb) return;
    const epoch = ++this.#removalEpoch;
    const view = this.#s.core.view(sess as SessionPtr, {
      label: `${this.id} onRemoveSession`,
      expired: () => (this.#removalEpoch !== epoch ? 'the remove-session callback has returned' : null),
    }) as SessionView;
    try {
      cb(view, this);
    } finally {
      this.#removalEpoch++;
    }
  }

  #handleGetSession(ssl: SslPtr, id: number, len: number): number {
    const s = this.#s;
    const cb = this.#getCb;
    const connection = s.tls.connectionFor(ssl);
    if (!cb || !connection) return 0;
    const found = cb(s.core.b.copyOut(id, len), connection.object as Connection);
    if (found === null || found === undefined) return 0;
    // OpenSSL takes its own reference (copy = 1); the JS side keeps the one it holds. Unless
    // NO_INTERNAL_STORE, it then files the session in this context's cache.
    const state = s.core.session(found, `${this.id} onGetSession`);
    const p = s.core.usable(state, `${this.id} onGetSession`);
    notInAnotherCache(s, p, 'onGetSession');
    return p;
  }

  /** Server ALPN: the first accepted protocol the client offered. */
  #handleAlpnSelect(list: number, len: number): number {
    const wire = this.#s.core.b.copyOut(list, len);
    const offered: { name: string; at: number }[] = [];
    for (let at = 0; at < wire.length; at += 1 + wire[at]) {
      offered.push({ name: new TextDecoder().decode(wire.subarray(at + 1, at + 1 + wire[at])), at });
    }
    for (const want of this.#alpnAccepted ?? []) {
      const hit = offered.find((o) => o.name === want);
      if (hit) return hit.at;
    }
    return -1;
  }

  /** A connection using this context (SSL_new over memory BIOs). */
  newConnection(options: ConnectionOptions = {}): Connection {
    return newConnection(this.#s.core, this, options);
  }

  /**
   * Releases the JS side's reference to the SSL_CTX. The cache's sessions are removed (onRemoveSession
   * runs for each) once OpenSSL frees the context, which waits for this context's live connections.
   */
  free(): void {
    calls.free(this.#s.core, this);
  }

  get isFreed(): boolean {
    return this.#s.freed;
  }

  [disposeSymbol](): void {
    this.free();
  }

  toJSON(): { id: string; role: string; state: string } {
    return { id: this.id, role: this.role, state: this.#s.freed ? 'freed' : 'alive' };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Context { id: '${this.id}', role: '${this.role}', state: '${this.#s.freed ? 'freed' : 'alive'}' }`;
  }
}

const create = declare(
  'createContext',
  [CONFIG, { name: 'registry', convert: (v) => v as TlsRegistry } as Param<TlsRegistry>],
  (core, config, tls) => new Context(CONSTRUCT, core, tls, config),
);

/** Conversion of a callback argument, through the gate's convert-then-check order. */
function onCallback<T>(s: ContextState, op: string, cb: unknown): T | null {
  return declaredCallback(s.core, s.object, cb, op) as T | null;
}
const declaredCallback = declare(
  'set session callback',
  [CONTEXT, callback<unknown>('callback'), { name: 'op', convert: (v) => v as string } as Param<string>],
  (_core, _s, cb) => cb,
);
