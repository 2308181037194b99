/**
 * Every error this package throws. One base class; ownership errors carry the session id (and, in
 * debug mode, where the session was created and released). No message ever contains key material.
 */

/** Base class of every error thrown by openssl-session-wasm. */
export class OpenSSLWasmError extends Error {
  override name: string = 'OpenSSLWasmError';
}

/** Where an object was created or released (filled in debug mode only). */
export interface Provenance {
  created?: string;
  released?: string;
}

/** Base of the errors that protect reference counts: the call was refused before reaching C. */
export class OwnershipError extends OpenSSLWasmError {
  override name: string = 'OwnershipError';
  constructor(
    message: string,
    /** The ledger's stable id of the session ("S3"), never its address. */
    readonly sessionId: string,
    readonly provenance: Provenance = {},
  ) {
    super(message + formatProvenance(provenance));
  }
}

function formatProvenance(p: Provenance): string {
  let s = '';
  if (p.created) s += `\n  created at:\n${indent(p.created)}`;
  if (p.released) s += `\n  released at:\n${indent(p.released)}`;
  return s;
}

function indent(stack: string): string {
  return stack
    .split('\n')
    .map((l) => `    ${l.trim()}`)
    .join('\n');
}

/** free on a handle whose references are all released. */
export class DoubleFreeError extends OwnershipError {
  override name = 'DoubleFreeError' as const;
}

/** Any use of a handle whose references are all released. */
export class UseAfterFreeError extends OwnershipError {
  override name = 'UseAfterFreeError' as const;
}

/**
 * SSL_SESSION_free on a reference the JS side never took: a view (SSL_get_session, get0), or a
 * session only a connection or cache holds. SSL_SESSION_free(3): free only what you up_ref'd or
 * got from SSL_get1_session, d2i_SSL_SESSION, SSL_SESSION_new or SSL_SESSION_dup.
 */
export class NotOwnedError extends OwnershipError {
  override name = 'NotOwnedError' as const;
}

/** A view used after what it was borrowed from changed or went away. */
export class BorrowExpiredError extends OwnershipError {
  override name = 'BorrowExpiredError' as const;
}

/** An object from another instance (each loadOpenSSL() has its own memory). */
export class ForeignObjectError extends OwnershipError {
  override name = 'ForeignObjectError' as const;
}

/** A reference taken and never given back: who took it, where, in which call. */
export interface UnmatchedTake {
  /** The handle that holds it ("H4"). */
  holder: string;
  /** Where the reference was taken ('api' for SSL_SESSION_up_ref, 'new-session-cb', 'get1', 'd2i', ...). */
  site: string;
  /** The JS call it was taken in. */
  via: string;
  /** The ledger event that took it. */
  seq: number;
  /** The JS stack of that call (debug mode). */
  stack?: string;
}

/** One leaked session, as reported by ledger.assertNoLeaks(). */
export interface LeakReport {
  sessionId: string;
  /** OpenSSL's own count (the session's `references` field). */
  references: number;
  /** The part of `references` JS handles still hold. */
  handleReferences: number;
  created?: string;
  /** Per reference still held by a handle: the take that was never given back. */
  unmatched: UnmatchedTake[];
  /** References OpenSSL counts that no holder accounts for: lost, nobody can free them. */
  unattributed?: number;
}

/** A connection or context that was never freed. */
export interface ObjectLeak {
  kind: 'connection' | 'context';
  /** "C2", "X1". */
  id: string;
  /** Where it was created (debug mode). */
  created?: string;
}

/** ledger.assertNoLeaks() found references the JS side still holds, or connections and contexts not freed. */
export class LeakError extends OpenSSLWasmError {
  override name = 'LeakError' as const;
  constructor(
    readonly leaks: readonly LeakReport[],
    readonly objects: readonly ObjectLeak[] = [],
  ) {
    super(
      [
        leaks.length > 0
          ? `${leaks.length} leaked session(s): ` +
            leaks
              .map(
                (l) =>
                  `${l.sessionId} (references ${l.references}, ${l.handleReferences} held by handles` +
                  (l.unattributed ? `, ${l.unattributed} held by no one` : '') +
                  ')' +
                  l.unmatched
                    .map(
                      (t) =>
                        `\n  ${l.sessionId}: ${t.holder} took a reference at ${t.site} (${t.via})` +
                        (t.stack ? `\n${indent(t.stack)}` : ''),
                    )
                    .join('') +
                  (l.created ? `\n  created at:\n${indent(l.created)}` : ''),
              )
              .join('; ')
          : '',
        objects.length > 0
          ? `${objects.length} connection(s)/context(s) never freed: ` +
            objects.map((o) => `${o.kind} ${o.id}${o.created ? `\n  created at:\n${indent(o.created)}` : ''}`).join('; ')
          : '',
      ]
        .filter((part) => part !== '')
        .join('\n'),
    );
  }
}

/** One entry of OpenSSL's error queue. */
export interface OpenSSLErrorEntry {
  code: number;
  library: string;
  reason: string;
  /** ERR_error_string_n's text: "error:0A000086:SSL routines::certificate verify failed". */
  text: string;
  func?: string;
  data?: string;
}

/** A failure inside OpenSSL, with OpenSSL's error queue as it was at the failure. */
export class OpenSSLError extends OpenSSLWasmError {
  /** Literal, so a check on `name` narrows (TLSError is the one subclass). */
  override name: 'OpenSSLError' | 'TLSError' = 'OpenSSLError';
  /** `why`, when known, says what OpenSSL refused in words its queue lacks (e.g. encoding a session without a cipher). */
  constructor(
    readonly operation: string,
    readonly queue: readonly OpenSSLErrorEntry[],
    why?: string,
  ) {
    const first = queue[0];
    const queued = first ? `: ${first.text}${first.data ? ` (${first.data})` : ''}` : '';
    super(`${operation} failed${queued} (${why ?? (first ? '' : 'OpenSSL queued no error')})`.replace(/ \(\)$/, ''));
  }
  /** OpenSSL's packed code of the first queued error (0 when none). */
  get code(): number {
    return this.queue[0]?.code ?? 0;
  }
}

/** The platform has no cryptographically secure RNG (crypto.getRandomValues); nothing is seeded. */
export class EntropyUnavailableError extends OpenSSLWasmError {
  override name = 'EntropyUnavailableError' as const;
}

/** The instance trapped (out of memory at its cap, an abort) and refuses every later call. */
export class InstanceFailedError extends OpenSSLWasmError {
  override name = 'InstanceFailedError' as const;
  constructor(override readonly cause: unknown) {
    super(
      `this OpenSSL instance failed and can no longer be used: ${String(cause instanceof Error ? cause.message : cause)}. ` +
        'Other instances are unaffected; load a new one with loadOpenSSL().',
    );
  }
}

/** A JS callback (onNewSession, onGetSession, ...) threw inside a handshake; the connection failed cleanly. */
export class CallbackError extends OpenSSLWasmError {
  override name = 'CallbackError' as const;
  constructor(
    readonly callback: string,
    override readonly cause: unknown,
  ) {
    super(`${callback} threw: ${cause instanceof Error ? cause.message : String(cause)}; the connection was failed cleanly`);
  }
}

/** `new Session()` and the like: the package's objects come only from its own functions. */
export class IllegalConstructorError extends OpenSSLWasmError {
  override name = 'IllegalConstructorError' as const;
}

/** A call that would free or restart an object OpenSSL is using right now (from inside its own callback). */
export class ReentrancyError extends OpenSSLWasmError {
  override name = 'ReentrancyError' as const;
}

/** A TLS connection failed: handshake error, alert, certificate verification. Carries OpenSSL's queue. */
export class TLSError extends OpenSSLError {
  override name = 'TLSError' as const;
  constructor(
    operation: string,
    queue: ConstructorParameters<typeof OpenSSLError>[1],
    /** X509_V_* code when certificate verification failed, else 0. */
    readonly verifyResult = 0,
    readonly verifyMessage = '',
  ) {
    super(operation, queue);
    if (verifyResult !== 0) this.message += ` (certificate verification: ${verifyMessage})`;
  }
}

/** The transport under a connection failed or closed early (socket error, peer hung up mid-handshake). */
export class TransportError extends OpenSSLWasmError {
  override name = 'TransportError' as const;
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** An argument of the wrong type or range, refused before reaching C. */
export class InvalidArgumentError extends OpenSSLWasmError {
  override name = 'InvalidArgumentError' as const;
}
