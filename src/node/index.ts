/// <reference types="node" />
/**
 * openssl-session-wasm/node: runs a Connection over a net.Socket or any Duplex stream. It only
 * pumps bytes between the socket and the connection's memory BIOs; all TLS stays in OpenSSL.
 */
import { connect as netConnect } from 'node:net';
import { Duplex } from 'node:stream';
import { OpenSSLWasmError, TransportError } from '../errors.js';
import type { Session, SessionView } from '../session/session.js';
import type { Connection } from '../tls/connection.js';
import type { Context } from '../tls/context.js';

export interface ConnectTLSOptions {
  host: string;
  port: number;
  /** A client context (ossl.createContext({ role: 'client', ... })). */
  context: Context;
  /** A session to resume. */
  session?: Session | SessionView;
  /** SNI and certificate name (default: host, unless host is an IP address). */
  servername?: string;
  alpn?: string[];
  /** Use this connected stream instead of opening a TCP connection. */
  socket?: Duplex;
}

/**
 * A TLS stream: write plaintext, read plaintext (a Duplex). `connection` is the Connection inside;
 * the sessions it receives (TLS 1.3 tickets arrive after the handshake) are held by the stream and
 * freed with it; `takeSession()` hands you the newest as a handle you own. Emits 'session' (a
 * handle the stream still owns: upRef() it to keep a reference beyond the stream).
 */
export class TLSStream extends Duplex {
  /** The sessions received, oldest first; the stream owns them until taken (freed with the stream). */
  private readonly received: Session[] = [];
  private secure = false;
  private waitingForRead = false;
  private finished = false;

  constructor(
    readonly connection: Connection,
    readonly socket: Duplex,
  ) {
    super({ allowHalfOpen: false });
    connection.onSession((view) => {
      const handle = view.upRef();
      this.received.push(handle);
      // Listeners run once OpenSSL has returned: from inside its new-session callback, a write()
      // on this connection would be refused as reentrant (Connection.step).
      queueMicrotask(() => this.emit('session', handle));
    });
    socket.on('data', (chunk: Buffer) => this.fromSocket(chunk));
    socket.on('end', () => this.socketEnded());
    socket.on('error', (error: Error) => this.destroy(new TransportError(`socket error: ${error.message}`, error)));
    socket.on('close', () => {
      if (!this.destroyed && !this.readableEnded)
        this.destroy(this.secure ? undefined : new TransportError('the peer closed the connection during the handshake'));
    });
  }

  /** True once the handshake completed. */
  get isSecure(): boolean {
    return this.secure;
  }

  /** How many sessions arrived and are still held by the stream (not taken). */
  get sessionCount(): number {
    return this.received.length;
  }

  /** The newest session received, as a handle you own (free it), or null. */
  takeSession(): Session | null {
    return this.received.pop() ?? null;
  }

  /** Waits until at least `count` sessions arrived (TLS 1.3 tickets come after the handshake). */
  waitForSessions(count = 1, timeoutMs = 5000): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new TransportError(`no session arrived within ${timeoutMs} ms`));
      }, timeoutMs);
      const onSession = (): void => {
        if (this.received.length >= count) {
          cleanup();
          resolve();
        }
      };
      const onClose = (): void => {
        cleanup();
        reject(new TransportError('the stream closed before a session arrived'));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('session', onSession);
        this.off('close', onClose);
      };
      this.on('session', onSession);
      this.on('close', onClose);
    });
  }

  /** @internal Starts the handshake (client) and resolves when it completes. */
  start(): Promise<this> {
    return new Promise((resolve, reject) => {
      const onSecure = (): void => {
        this.off('error', onError);
        resolve(this);
      };
      const onError = (error: Error): void => {
        this.off('secure', onSecure);
        reject(error);
      };
      this.once('secure', onSecure);
      this.once('error', onError);
      this.advance();
    });
  }

  private flushToSocket(): boolean {
    const out = this.connection.readEncrypted();
    if (out.length === 0) return true;
    return this.socket.write(out);
  }

  /** Drives the handshake or decrypts, then sends what OpenSSL produced. */
  private advance(): void {
    try {
      if (!this.secure) {
        const done = this.connection.handshake();
        this.flushToSocket();
        if (!done) return;
        this.secure = true;
        this.emit('secure');
      }
      this.deliver();
    } catch (error) {
      this.destroy(error as Error);
    }
  }

  private deliver(): void {
    const plain = this.connection.read();
    this.flushToSocket(); // reads can produce bytes (key updates, close_notify replies)
    if (plain.length > 0 && !this.push(plain)) {
      // Back-pressure: stop reading the socket until the consumer asks for more.
      this.socket.pause();
      this.waitingForRead = true;
    }
    if (this.connection.peerClosedConnection && !this.finished) {
      this.finished = true;
      this.push(null);
    }
  }

  private fromSocket(chunk: Buffer): void {
    if (this.destroyed) return;
    try {
      this.connection.writeEncrypted(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (error) {
      this.destroy(error as Error);
      return;
    }
    this.advance();
  }

  private socketEnded(): void {
    if (this.destroyed) return;
    if (!this.secure) {
      this.destroy(new TransportError('the peer closed the connection during the handshake'));
      return;
    }
    try {
      this.connection.endEncrypted();
      this.deliver();
    } catch {
      // A TCP close without close_notify after the data: treat as the end of the stream.
    }
    if (!this.finished) {
      this.finished = true;
      this.push(null);
    }
  }

  override _read(): void {
    if (this.waitingForRead) {
      this.waitingForRead = false;
      this.socket.resume();
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.secure) {
      this.once('secure', () => this._write(chunk, _encoding, callback));
      return;
    }
    try {
      this.connection.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (this.flushToSocket()) callback();
      else this.socket.once('drain', () => callback());
    } catch (error) {
      callback(error as Error);
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      if (!this.connection.isFreed) {
        this.connection.shutdown();
        this.flushToSocket();
      }
      this.socket.end(() => callback());
    } catch (error) {
      callback(error as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    try {
      for (const s of this.received.splice(0)) if (s.alive) s.free();
      if (!this.connection.isFreed) {
        // A clean end keeps the session resumable; a failure aborts (OpenSSL marks it not resumable).
        this.connection.free({ abort: error !== null });
      }
    } catch (freeError) {
      error ??= freeError as Error;
    }
    this.socket.destroy();
    callback(error);
  }
}

/** A WebAssembly TLS client over TCP (or the given stream). Resolves once the handshake completes. */
export async function connectTLS(options: ConnectTLSOptions): Promise<TLSStream> {
  const { context } = options;
  if (context.role !== 'client') throw new OpenSSLWasmError('connectTLS needs a client context');
  const servername = options.servername ?? (isIP(options.host) ? undefined : options.host);
  const socket =
    options.socket ??
    (await new Promise<Duplex>((resolve, reject) => {
      const s = netConnect({ host: options.host, port: options.port });
      s.once('connect', () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', (error) =>
        reject(new TransportError(`could not connect to ${options.host}:${options.port}: ${error.message}`, error)),
      );
    }));
  let connection: Connection;
  try {
    connection = context.newConnection({
      ...(servername !== undefined ? { hostname: servername } : {}),
      ...(options.session !== undefined ? { session: options.session } : {}),
      ...(options.alpn !== undefined ? { alpn: options.alpn } : {}),
    });
  } catch (error) {
    socket.destroy();
    throw error;
  }
  return new TLSStream(connection, socket).start();
}

/** A WebAssembly TLS server on an accepted socket. Resolves once the handshake completes. */
export async function acceptTLS(socket: Duplex, context: Context): Promise<TLSStream> {
  if (context.role !== 'server') throw new OpenSSLWasmError('acceptTLS needs a server context');
  let connection: Connection;
  try {
    connection = context.newConnection();
  } catch (error) {
    socket.destroy();
    throw error;
  }
  return new TLSStream(connection, socket).start();
}

function isIP(host: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(':');
}
