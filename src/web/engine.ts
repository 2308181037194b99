/**
 * The one pump every transport uses: it moves ciphertext between a transport and a Connection's
 * memory BIOs and plaintext between the Connection and its user, and nothing else (all TLS stays
 * in OpenSSL). The Web Streams stream (web/stream.ts) and the Node Duplex (node/index.ts) are thin
 * faces over it; each transport (a Web Streams byte pair, a net.Socket) is a `Lower`.
 *
 * Who owns what: the engine owns its Connection (freed when the stream ends, on every path) and
 * the sessions the connection received (freed with it unless taken with takeSession()).
 */
import { integer, NUMBER_KINDS } from '../core/convert.js';
import { OpenSSLWasmError, TransportError } from '../errors.js';
import type { Session } from '../session/session.js';
import type { Connection } from '../tls/connection.js';

/** The transport side of a stream: where ciphertext goes and comes from. */
export interface Lower {
  /** Sends bytes in order; a promise means "wait before sending more" (back-pressure). */
  write(bytes: Uint8Array): Promise<void> | undefined;
  /** Half-closes the transport after our close_notify (the peer may still send). */
  end(): Promise<void>;
  /** Drops the transport at once (both directions). Never throws. */
  abort(reason: unknown): void;
  /** Stops and restarts delivering ciphertext (plaintext back-pressure). */
  pause(): void;
  resume(): void;
}

/** The user side of a stream: where plaintext goes. */
export interface Upper {
  /** Delivers plaintext; false asks the engine to stop until resume(). */
  push(bytes: Uint8Array): boolean;
  /** The peer closed its side (close_notify, or the transport's end after data). */
  end(): void;
  /** The stream failed; the engine has already released everything. */
  error(error: Error): void;
}

type State = 'handshaking' | 'open' | 'closed';

export class TLSEngine {
  private state: State = 'handshaking';
  private readonly received: Session[] = [];
  private readonly sessionWaiters = new Set<() => void>();
  /** Our close_notify: not yet, queued (the transport is half-closing), or sent and half-closed. */
  private ourClose: 'no' | 'sending' | 'sent' = 'no';
  private peerEnded = false;
  private failure: Error | null = null;
  private lower!: Lower;
  private upper!: Upper;
  private resolveSecure!: () => void;
  private rejectSecure!: (e: Error) => void;
  private resolveClosed!: () => void;
  private rejectClosed!: (e: Error) => void;
  /** Resolves when the handshake completed; rejects with its failure. */
  readonly secure: Promise<void>;
  /** Resolves when the stream closed cleanly and everything is released; rejects with the failure. */
  readonly closed: Promise<void>;

  /** Called with each session as it arrives (a handle the stream still owns: upRef() it to keep one). */
  readonly #onSession: ((session: Session) => void) | null;

  constructor(
    readonly connection: Connection,
    onSession: ((session: Session) => void) | null = null,
  ) {
    this.#onSession = onSession;
    this.secure = new Promise((resolve, reject) => {
      this.resolveSecure = resolve;
      this.rejectSecure = reject;
    });
    this.closed = new Promise((resolve, reject) => {
      this.resolveClosed = resolve;
      this.rejectClosed = reject;
    });
    // Whoever awaits them sees the failure; nobody awaiting is not an unhandled rejection.
    this.secure.catch(() => {});
    this.closed.catch(() => {});
    connection.onSession((view) => {
      this.received.push(view.upRef());
      // Waiters run once OpenSSL has returned: from inside its new-session callback, a write on
      // this connection would be refused as reentrant.
      const handle = this.received[this.received.length - 1];
      queueMicrotask(() => {
        this.wakeSessionWaiters();
        this.#onSession?.(handle);
      });
    });
  }

  /** Attaches both sides and starts the handshake (a client sends its ClientHello now). */
  start(lower: Lower, upper: Upper, earlyData?: Uint8Array): Promise<void> {
    this.lower = lower;
    this.upper = upper;
    if (earlyData !== undefined) {
      try {
        this.connection.writeEarlyData(earlyData);
        this.earlyData = earlyData;
      } catch (error) {
        this.fail(error);
        return this.secure;
      }
    }
    this.advance();
    return this.secure;
  }

  /** Client: early data sent with the ClientHello, resent after the handshake if the server rejected it. */
  private earlyData: Uint8Array | null = null;

  get isSecure(): boolean {
    return this.state !== 'handshaking' || (this.failure === null && this.connection.isHandshakeDone);
  }
  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** How many received sessions the stream still holds. */
  get sessionCount(): number {
    return this.received.length;
  }

  /** The newest session received, as a handle you own (free it), or null. */
  takeSession(): Session | null {
    return this.received.pop() ?? null;
  }

  /** Waits until at least `count` sessions arrived (TLS 1.3 tickets come after the handshake). */
  async waitForSessions(count = 1, timeoutMs = 5000): Promise<void> {
    // Checked: a NaN or string count would never be reached, and a NaN or huge timeout fires at once.
    integer(count, NUMBER_KINDS.count, 'waitForSessions: count');
    integer(timeoutMs, NUMBER_KINDS.bound, 'waitForSessions: timeoutMs');
    if (this.received.length >= count) return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(new TransportError('the stream closed before a session arrived'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.sessionWaiters.delete(check);
        reject(new TransportError(`no session arrived within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = (): void => {
        if (this.received.length >= count) {
          clearTimeout(timer);
          this.sessionWaiters.delete(check);
          resolve();
        } else if (this.state === 'closed') {
          clearTimeout(timer);
          this.sessionWaiters.delete(check);
          reject(new TransportError('the stream closed before a session arrived'));
        }
      };
      this.sessionWaiters.add(check);
    });
  }

  private wakeSessionWaiters(): void {
    for (const check of [...this.sessionWaiters]) check();
  }

  // ---- ciphertext from the transport -------------------------------------------------------------

  /** Bytes that arrived from the transport. */
  receive(bytes: Uint8Array): void {
    if (this.state === 'closed' || bytes.length === 0) return;
    try {
      this.connection.writeEncrypted(bytes);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.advance();
  }

  /** The transport's read side ended (TCP FIN, a closed stream). */
  receiveEnd(): void {
    if (this.state === 'closed') return;
    if (this.state === 'handshaking') {
      this.fail(new TransportError('the peer closed the connection during the handshake'));
      return;
    }
    try {
      this.connection.endEncrypted();
      this.deliver();
    } catch (error) {
      // An end without close_notify at a record boundary ends the stream (as most TLS stacks
      // accept); an end inside a record is a cut connection, never silently shortened data.
      if (this.connection.hasPartialInput) {
        this.fail(new TransportError('the peer closed the connection in the middle of a TLS record', error));
        return;
      }
    }
    this.peerClosed();
  }

  /** The transport failed (reset, refused write). */
  transportFailed(error: unknown): void {
    if (this.state === 'closed') return;
    this.fail(error instanceof TransportError ? error : new TransportError(`transport error: ${messageOf(error)}`, error));
  }

  /** The transport closed entirely (a Node socket's 'close'). */
  transportClosed(): void {
    if (this.state === 'closed') return;
    if (this.state === 'handshaking') this.fail(new TransportError('the peer closed the connection during the handshake'));
    else this.receiveEnd();
  }

  // ---- plaintext from the user -------------------------------------------------------------------

  /** Encrypts and sends; resolves when the transport can take more. */
  async write(plain: Uint8Array): Promise<void> {
    if (this.state === 'handshaking') await this.secure;
    if (this.failure) throw this.failure;
    if (this.state === 'closed' || this.ourClose !== 'no') throw new TransportError('write after the stream was closed');
    if (plain.length === 0) return;
    try {
      this.connection.write(plain);
    } catch (error) {
      this.fail(error);
      throw this.failure ?? error;
    }
    await this.flush();
  }

  /** Ends our side: close_notify, then half-closes the transport. Resolves once sent. */
  async end(): Promise<void> {
    if (this.state === 'handshaking') await this.secure;
    if (this.failure) throw this.failure;
    if (this.state === 'closed' || this.ourClose !== 'no') return;
    this.ourClose = 'sending';
    try {
      this.connection.shutdown();
    } catch (error) {
      this.fail(error);
      throw this.failure ?? error;
    }
    await this.flush();
    await this.lower.end().catch((error) => this.transportFailed(error));
    this.ourClose = 'sent';
    if (this.peerEnded) this.finish();
  }

  /** Closes at once: with an error, as a failure; without, releases as a clean end would. */
  destroy(error?: unknown): void {
    if (this.state === 'closed') return;
    if (error !== undefined && error !== null) {
      this.fail(error);
      return;
    }
    this.lower.abort(undefined);
    this.finish();
  }

  /** Resumes delivery after push() returned false. */
  resume(): void {
    this.lower.resume();
  }

  // ---- the pump ----------------------------------------------------------------------------------

  private flush(): Promise<void> | undefined {
    const out = this.connection.isFreed ? new Uint8Array(0) : this.connection.readEncrypted();
    if (out.length === 0) return undefined;
    const pending = this.lower.write(out);
    return pending?.catch((error) => {
      this.transportFailed(error);
      throw this.failure ?? error;
    });
  }

  /** Drives the handshake, or decrypts what arrived, and sends what OpenSSL produced. */
  private advance(): void {
    try {
      if (this.state === 'handshaking') {
        const done = this.connection.handshake();
        this.flush()?.catch(() => {});
        if (this.connection.role === 'server') {
          const early = this.connection.takeEarlyData(); // 0-RTT data, before the handshake completes
          if (early.length > 0 && !this.upper.push(early)) this.lower.pause();
        }
        if (!done) return;
        this.state = 'open';
        if (this.earlyData && this.connection.earlyDataStatus === 'rejected') {
          // The server did not process it: it is sent again, now as ordinary data.
          this.connection.write(this.earlyData);
          this.flush()?.catch(() => {});
        }
        this.earlyData = null;
        this.resolveSecure();
      }
      this.deliver();
    } catch (error) {
      this.fail(error);
    }
  }

  private deliver(): void {
    if (this.state !== 'open') return;
    const plain = this.connection.read();
    this.flush()?.catch(() => {}); // reads can produce bytes (key updates, close_notify replies)
    if (plain.length > 0 && !this.upper.push(plain)) this.lower.pause();
    if (this.connection.peerClosedConnection) this.peerClosed();
  }

  /** The peer is done sending: end the plaintext, answer with our close_notify, then finish. */
  private peerClosed(): void {
    if (this.peerEnded || this.state === 'closed') return;
    this.peerEnded = true;
    this.upper.end();
    if (this.ourClose === 'sent') this.finish();
    if (this.ourClose !== 'no') return; // end() finishes once its close_notify is out
    this.end().then(
      () => {},
      () => {},
    );
  }

  private fail(error: unknown): void {
    if (this.state === 'closed') return;
    const failure =
      error instanceof Error && error instanceof OpenSSLWasmError
        ? error
        : new TransportError(`transport error: ${messageOf(error)}`, error);
    this.failure = failure;
    this.rejectSecure(failure);
    this.release(true);
    this.lower?.abort(failure);
    this.upper?.error(failure);
    this.rejectClosed(failure);
  }

  private finish(): void {
    if (this.state === 'closed') return;
    this.release(false);
    this.lower.abort(undefined);
    this.resolveClosed();
  }

  /** Frees the held sessions and the connection. A clean end keeps the session resumable. */
  private release(abort: boolean): void {
    this.state = 'closed';
    for (const s of this.received.splice(0)) if (s.alive) s.free();
    try {
      if (!this.connection.isFreed) this.connection.free({ abort });
    } catch {
      // free() refuses only from inside the connection's own callback; the pump never runs there.
    }
    queueMicrotask(() => this.wakeSessionWaiters());
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
