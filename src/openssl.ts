/**
 * One instance (one loadOpenSSL() result, one WASM memory) and its OpenSSL-shaped layer: the man
 * pages' names and semantics, for teaching and for porting C code. Both layers are views over the
 * same objects and the same ledger: a session made with SSL_SESSION_new() can be used through
 * Session methods and vice versa. The SSL_SESSION accessors are generated from the field table
 * (core/fields.ts); every call is one declaration going through the gate (core/gate.ts).
 */

import type { SessionPtr } from './binding/abi.js';
import type { Binding, HostCallbacks } from './binding/binding.js';
import { brand, CONSTRUCT, notOurs, refuseConstruction } from './core/brand.js';
import { integer, NUMBER_KINDS } from './core/convert.js';
import { FIELD_ROWS, type SessionAccessors, sessionText, writeField } from './core/fields.js';
import { bytesOrTextParam, bytesParam, declare, nullable, numberParam, OWNED_SESSION, type Param, SESSION } from './core/gate.js';
import { Core } from './core/instance.js';
import { OpenSSLError } from './errors.js';
import { LedgerWriter } from './ledger/ledger.js';
import type { LeakInfo } from './ledger/objects.js';
import { type Ledger, publicLedger } from './ledger/public.js';
import { type Session, type SessionView, sessionFactories } from './session/session.js';
import { type CertificateOptions, type GeneratedCertificate, generateCertificate } from './tls/certificate.js';
import type { Connection } from './tls/connection.js';
import { Context, type ContextOptions } from './tls/context.js';
import { connectInMemory, type InMemoryOptions, type InMemoryPair, pump } from './tls/in-memory.js';
import { TlsRegistry } from './tls/registry.js';
import { mine } from './tls/state.js';

/** A session argument of the OpenSSL-shaped layer: a handle or a view. */
export type SessionLike = Session | SessionView;

const OPENSSL_VERSION = 0;

/** What stands behind an OpenSSL object (its ES private field: nothing of it is reachable from outside). */
interface InstanceState {
  readonly core: Core;
  readonly tls: TlsRegistry;
  /** The last OpenSSLError behind a 0 returned by an OpenSSL-shaped setter (null after a success). */
  lastError: OpenSSLError | null;
}
let readInstance: (o: object) => InstanceState | undefined;

function stateOf(o: unknown, op: string): InstanceState {
  // A brand check (`#state in o`), not a WeakMap lookup: every OpenSSL-shaped call asks it.
  const s = typeof o === 'object' && o !== null ? readInstance(o) : undefined;
  if (s === undefined) throw notOurs(o, op, 'an OpenSSL instance (loadOpenSSL())', ['OpenSSL']);
  return s;
}

// ---- declarations of the calls that are not generated -------------------------------------------------

const DER: Param<Uint8Array> = bytesParam('der');
const PEM: Param<Uint8Array> = bytesOrTextParam('pem');
const LENGTH: Param<number> = numberParam('n', NUMBER_KINDS.randLength);

function create(via: string, op: 'new' | 'dup' | 'd2i' | 'pem_read', core: Core, make: (b: Binding) => SessionPtr): Session {
  core.ledger.enter(via, undefined);
  try {
    const p = make(core.b);
    if (p === 0) throw core.b.error(via);
    core.b.clearErrors();
    return core.adopt<Session>(p, op, via, 0);
  } finally {
    core.ledger.leave(via);
  }
}

const calls = {
  /** SSL_CTX_flush_sessions' time is required (Context.flushSessions defaults it to now). */
  flushTime: declare('SSL_CTX_flush_sessions', [numberParam('time', NUMBER_KINDS.sessionTime)], (_core, t) => t, {
    clearErrors: false,
  }),
  RAND_status: declare('RAND_status', [], (core) => core.b.x.RAND_status()),
  RAND_bytes: declare('RAND_bytes', [LENGTH], (core, n) => {
    const b = core.b;
    const buf = b.alloc(n, 'RAND_bytes');
    try {
      if (b.x.RAND_bytes(buf, n) !== 1) throw b.error('RAND_bytes');
      return b.copyOut(buf, n);
    } finally {
      b.u8().fill(0, buf, buf + n);
      b.x.osw_free(buf);
    }
  }),
  SSL_SESSION_new: declare('SSL_SESSION_new', [], (core) => create('SSL_SESSION_new', 'new', core, (b) => b.x.SSL_SESSION_new())),
  SSL_SESSION_dup: declare('SSL_SESSION_dup', [SESSION], (core, s) =>
    create('SSL_SESSION_dup', 'dup', core, (b) => b.x.SSL_SESSION_dup(s.own.record.ptr)),
  ),
  d2i_SSL_SESSION: declare('d2i_SSL_SESSION', [DER], (core, der) =>
    create('d2i_SSL_SESSION', 'd2i', core, (b) => b.withBytes(der, (p, n) => b.x.osw_session_from_der(p, n))),
  ),
  PEM_read_SSL_SESSION: declare('PEM_read_SSL_SESSION', [PEM], (core, pem) =>
    create('PEM_read_SSL_SESSION', 'pem_read', core, (b) => b.withBytes(pem, (p, n) => b.x.osw_session_from_pem(p, n))),
  ),
  SSL_SESSION_up_ref: declare('SSL_SESSION_up_ref', [SESSION], (core, s): 0 | 1 => (core.upRefInto(s, 'SSL_SESSION_up_ref') ? 1 : 0), {
    clearErrors: false, // see Core.upRefInto
  }),
  SSL_SESSION_free: declare(
    'SSL_SESSION_free',
    [nullable(OWNED_SESSION)],
    (core, s): void => {
      if (s !== null) core.release(s, 'SSL_SESSION_free');
    },
    { clearErrors: false },
  ),
  i2d_SSL_SESSION: declare('i2d_SSL_SESSION', [SESSION], (core, s) => sessionText.toDER(core.b, s.own.record.ptr)),
  PEM_write_SSL_SESSION: declare('PEM_write_SSL_SESSION', [SESSION], (core, s) => sessionText.toPEM(core.b, s.own.record.ptr)),
  SSL_SESSION_print: declare('SSL_SESSION_print', [SESSION], (core, s) => sessionText.print(core.b, s.own.record.ptr) ?? ''),
  SSL_SESSION_print_keylog: declare('SSL_SESSION_print_keylog', [SESSION], (core, s) => {
    const line = sessionText.printKeylog(core.b, s.own.record.ptr);
    if (line === null) throw core.b.error('SSL_SESSION_print_keylog');
    return line;
  }),
};

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: its field accessors are generated from the one table (core/fields.ts)
export class OpenSSL {
  /** Who holds which reference: events, live sessions, holders, leak report (read-only). */
  readonly ledger: Ledger;
  /** OpenSSL's version text, "OpenSSL 3.5.7 ...". */
  readonly version: string;
  #state: InstanceState | undefined;
  static {
    readInstance = (o) => (#state in o ? o.#state : undefined);
  }

  /** @internal */
  constructor(token: unknown, b?: Binding, registry?: TlsRegistry, options?: InstanceOptions) {
    refuseConstruction(token, 'OpenSSL', 'load an instance with `await loadOpenSSL()`');
    brand(this, 'OpenSSL');
    const o = options as InstanceOptions;
    const binding = b as Binding;
    const tls = registry as TlsRegistry;
    binding.x.OPENSSL_init_ssl(0n, 0);
    // With a memory cap: every algorithm table now, while memory is plentiful. Built lazily, a
    // table whose first build meets the cap loses algorithms for the instance's life (wasm/glue/init.c).
    if (o.prefetch) binding.x.osw_prefetch();
    binding.clearErrors();
    const core = new Core(binding, new LedgerWriter(binding, o.debug, o.trace, o.onLeak), sessionFactories, o.onLeak);
    this.ledger = publicLedger(core);
    this.version = binding.cstring(binding.x.OpenSSL_version(OPENSSL_VERSION)) ?? '';
    this.#state = { core, tls, lastError: null };
    // Frozen, like a Context: nobody else may swap the ledger every holder of the instance asks.
    Object.freeze(this);
  }

  /** The last OpenSSLError behind a 0 returned by an OpenSSL-shaped setter (null after a success). */
  get lastError(): OpenSSLError | null {
    return stateOf(this, 'lastError').lastError;
  }

  // ---- TLS ---------------------------------------------------------------------------------------

  /** An SSL_CTX for a client or a server, with its session cache. */
  createContext(options: ContextOptions): Context {
    const s = stateOf(this, 'createContext');
    return Context.create(s.core, s.tls, options);
  }

  /** A self-signed certificate and its key, made inside WebAssembly (PEM). */
  generateCertificate(options: CertificateOptions = {}): GeneratedCertificate {
    return generateCertificate(stateOf(this, 'generateCertificate').core, options);
  }

  /** A client and a server connection with a complete handshake between them, in memory. */
  connectInMemory(client: Context, server: Context, options: InMemoryOptions = {}): InMemoryPair {
    return connectInMemory(stateOf(this, 'connectInMemory').core, client, server, options);
  }

  /** Moves pending bytes between two in-memory connections until both are quiet (finishing a handshake too). */
  pump(client: Connection, server: Connection, maxRounds?: number): { toClient: Uint8Array; toServer: Uint8Array } {
    const s = stateOf(this, 'pump');
    mine(s.core, client, 'pump', 'connection');
    mine(s.core, server, 'pump', 'connection');
    const rounds = maxRounds === undefined ? undefined : integer(maxRounds, NUMBER_KINDS.rounds, 'pump: maxRounds');
    if (!client.isHandshakeDone) client.handshake();
    return pump(client, server, rounds);
  }

  /** SSL_get_session(3): a view (no reference taken), or null. */
  SSL_get_session(ssl: Connection): SessionView | null {
    return mine(stateOf(this, 'SSL_get_session').core, ssl, 'SSL_get_session', 'connection').getSession();
  }
  /** SSL_get0_session(3): the same as SSL_get_session. */
  SSL_get0_session(ssl: Connection): SessionView | null {
    return mine(stateOf(this, 'SSL_get0_session').core, ssl, 'SSL_get0_session', 'connection').getSession();
  }
  /** SSL_get1_session(3): a handle holding one more reference, or null. */
  SSL_get1_session(ssl: Connection): Session | null {
    return mine(stateOf(this, 'SSL_get1_session').core, ssl, 'SSL_get1_session', 'connection').get1Session();
  }
  /** SSL_set_session(3): 1 on success (the connection takes its own reference). */
  SSL_set_session(ssl: Connection, s: SessionLike): 0 | 1 {
    const st = stateOf(this, 'SSL_set_session');
    mine(st.core, ssl, 'SSL_set_session', 'connection');
    try {
      ssl.setSession(s);
      st.lastError = null;
      return 1;
    } catch (error) {
      if (error instanceof OpenSSLError) {
        st.lastError = error;
        return 0;
      }
      throw error;
    }
  }
  SSL_session_reused(ssl: Connection): 0 | 1 {
    return mine(stateOf(this, 'SSL_session_reused').core, ssl, 'SSL_session_reused', 'connection').sessionReused ? 1 : 0;
  }
  /** SSL_CTX_add_session(3): 1 when added (the cache takes a reference), 0 when it was already there. */
  SSL_CTX_add_session(ctx: Context, s: SessionLike): 0 | 1 {
    return mine(stateOf(this, 'SSL_CTX_add_session').core, ctx, 'SSL_CTX_add_session', 'context').addSession(s) ? 1 : 0;
  }
  /** SSL_CTX_remove_session(3): 1 when it was in the cache (the cache drops its reference). */
  SSL_CTX_remove_session(ctx: Context, s: SessionLike): 0 | 1 {
    return mine(stateOf(this, 'SSL_CTX_remove_session').core, ctx, 'SSL_CTX_remove_session', 'context').removeSession(s) ? 1 : 0;
  }
  /** SSL_CTX_flush_sessions(3): removes the sessions expired at `time` (seconds). */
  SSL_CTX_flush_sessions(ctx: Context, time: number): void {
    const st = stateOf(this, 'SSL_CTX_flush_sessions');
    mine(st.core, ctx, 'SSL_CTX_flush_sessions', 'context').flushSessions(calls.flushTime(st.core, time));
  }
  /** SSL_CTX_set_session_cache_mode(3): returns the previous mode. */
  SSL_CTX_set_session_cache_mode(ctx: Context, mode: number): number {
    return mine(stateOf(this, 'SSL_CTX_set_session_cache_mode').core, ctx, 'SSL_CTX_set_session_cache_mode', 'context').setSessionCacheMode(
      mode,
    );
  }
  SSL_CTX_get_session_cache_mode(ctx: Context): number {
    return mine(stateOf(this, 'SSL_CTX_get_session_cache_mode').core, ctx, 'SSL_CTX_get_session_cache_mode', 'context').sessionCacheMode;
  }
  /** SSL_CTX_sess_number(3). */
  SSL_CTX_sess_number(ctx: Context): number {
    return mine(stateOf(this, 'SSL_CTX_sess_number').core, ctx, 'SSL_CTX_sess_number', 'context').sessionCount;
  }
  /** SSL_CTX_set_timeout(3): returns the previous timeout. */
  SSL_CTX_set_timeout(ctx: Context, seconds: number): number {
    return mine(stateOf(this, 'SSL_CTX_set_timeout').core, ctx, 'SSL_CTX_set_timeout', 'context').setTimeout(seconds);
  }

  /** True after this instance trapped; every call then raises InstanceFailedError. */
  get failed(): boolean {
    return stateOf(this, 'failed').core.failed;
  }

  // ---- random numbers ------------------------------------------------------------------------

  /** RAND_status(): 1 when the DRBG is seeded (from crypto.getRandomValues). */
  RAND_status(): number {
    return calls.RAND_status(stateOf(this, 'RAND_status').core);
  }
  /** RAND_bytes(n) as a fresh Uint8Array; throws OpenSSLError when the DRBG cannot deliver. */
  RAND_bytes(n: number): Uint8Array {
    return calls.RAND_bytes(stateOf(this, 'RAND_bytes').core, n);
  }

  // ---- creating sessions (each returns a handle: one reference the JS side owns) ---------------

  /** SSL_SESSION_new(3): a new empty session with 1 reference. */
  SSL_SESSION_new(): Session {
    return calls.SSL_SESSION_new(stateOf(this, 'SSL_SESSION_new').core);
  }
  /** SSL_SESSION_dup(3): a deep copy that belongs to no cache, with 1 reference. */
  SSL_SESSION_dup(s: SessionLike): Session {
    return calls.SSL_SESSION_dup(stateOf(this, 'SSL_SESSION_dup').core, s);
  }
  /** d2i_SSL_SESSION(3): decodes DER into a new session with 1 reference. Garbage raises OpenSSLError. */
  d2i_SSL_SESSION(der: Uint8Array): Session {
    return calls.d2i_SSL_SESSION(stateOf(this, 'd2i_SSL_SESSION').core, der);
  }
  /** PEM_read_SSL_SESSION: reads "-----BEGIN SSL SESSION PARAMETERS-----" text or bytes. */
  PEM_read_SSL_SESSION(pem: string | Uint8Array): Session {
    return calls.PEM_read_SSL_SESSION(stateOf(this, 'PEM_read_SSL_SESSION').core, pem);
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
    return calls.SSL_SESSION_up_ref(stateOf(this, 'SSL_SESSION_up_ref').core, s);
  }
  /**
   * SSL_SESSION_free(3): releases one reference the JS side holds through `s`; null does nothing.
   * Refused (NotOwnedError) on a view that never took a reference: "must only be called for
   * SSL_SESSION objects, for which the reference count was explicitly incremented".
   */
  SSL_SESSION_free(s: SessionLike | null): void {
    calls.SSL_SESSION_free(stateOf(this, 'SSL_SESSION_free').core, s);
  }

  // ---- encodings ---------------------------------------------------------------------------------

  /** i2d_SSL_SESSION(3) as bytes. Contains the master secret. */
  i2d_SSL_SESSION(s: SessionLike): Uint8Array {
    return calls.i2d_SSL_SESSION(stateOf(this, 'i2d_SSL_SESSION').core, s);
  }
  /** PEM_write_SSL_SESSION as text. Contains the master secret. */
  PEM_write_SSL_SESSION(s: SessionLike): string {
    return calls.PEM_write_SSL_SESSION(stateOf(this, 'PEM_write_SSL_SESSION').core, s);
  }
  /** SSL_SESSION_print's text. */
  SSL_SESSION_print(s: SessionLike): string {
    return calls.SSL_SESSION_print(stateOf(this, 'SSL_SESSION_print').core, s);
  }
  /** SSL_SESSION_print_keylog: the NSS key log line. A secret. */
  SSL_SESSION_print_keylog(s: SessionLike): string {
    return calls.SSL_SESSION_print_keylog(stateOf(this, 'SSL_SESSION_print_keylog').core, s);
  }

  toJSON(): { version: string; failed: boolean } {
    return { version: this.version, failed: this.failed };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `OpenSSL { version: '${this.version}', failed: ${this.failed} }`;
  }
}

// The accessor family of OpenSSL 3.5 (SSL_SESSION_get0_hostname, SSL_SESSION_set1_hostname, ...),
// generated from the field table: a getter returns the value (a boolean as 0/1); a setter returns
// OpenSSL's 1/0 and keeps the reason for a 0 in lastError.
export interface OpenSSL extends SessionAccessors<SessionLike> {}

/** An OpenSSL-shaped setter's success (one object for all of them: nothing to allocate per call). */
const WRITTEN: { readonly ok: 1; readonly error: null } = Object.freeze({ ok: 1, error: null });

for (const [, row] of FIELD_ROWS) {
  const clearErrors = row.plain !== true;
  const get = declare(
    row.get,
    [SESSION],
    (core, s) => {
      const v = row.read(core.b, s.own.record.ptr);
      return typeof v === 'boolean' ? (v ? 1 : 0) : v;
    },
    { clearErrors },
  );
  Object.defineProperty(OpenSSL.prototype, row.get, {
    value: function (this: unknown, s: unknown) {
      return get(stateOf(this, row.get).core, s);
    },
    writable: true,
    configurable: true,
  });
  const setter = row.set;
  if (setter === undefined) continue;
  const value: Param = { name: 'value', kind: setter.kind, convert: (v, what, core) => setter.convert(v, what, core) };
  const set = declare(
    setter.name,
    [SESSION, value],
    (core, s, v): { ok: 0 | 1; error: OpenSSLError | null } => {
      const ok = writeField(core, setter, s.own.record.ptr, v);
      // The queue is always left empty; the reason for a 0 stays readable in lastError.
      return ok ? WRITTEN : { ok: 0, error: new OpenSSLError(setter.name, core.b.drainErrors()) };
    },
    { clearErrors },
  );
  Object.defineProperty(OpenSSL.prototype, setter.name, {
    value: function (this: unknown, s: unknown, v: unknown): 0 | 1 {
      const st = stateOf(this, setter.name);
      const { ok, error } = set(st.core, s, v);
      st.lastError = error;
      return ok;
    },
    writable: true,
    configurable: true,
  });
}

interface InstanceOptions {
  debug: boolean;
  trace: boolean;
  prefetch: boolean;
  onLeak: (id: string, info: LeakInfo) => void;
}

/**
 * Makes an instance (loadOpenSSL's last step). The TLS registry comes first: it is what C calls
 * back into, so `instantiate` hands it to the module as its host callbacks; then the instance is
 * built over the binding and that same registry.
 */
export async function openInstance(instantiate: (host: HostCallbacks) => Promise<Binding>, options: InstanceOptions): Promise<OpenSSL> {
  const tls = new TlsRegistry();
  const binding = await instantiate(tls);
  return new OpenSSL(CONSTRUCT, binding, tls, options);
}

/** @internal The core of an instance (for the package's own tests and benchmarks; not exported from the package). */
export function coreOf(ossl: OpenSSL): Core {
  return stateOf(ossl, 'coreOf').core;
}
