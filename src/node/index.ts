/// <reference types="node" />
/**
 * openssl-session-wasm/node: runs a Connection over a net.Socket or any Duplex stream. It only
 * pumps bytes between the socket and the connection's memory BIOs; all TLS stays in OpenSSL.
 */
import { connect as netConnect } from 'node:net';
import { Duplex } from 'node:stream';
import { describe, integer, NUMBER_KINDS, record, text } from '../core/convert.js';
import { InvalidArgumentError, TransportError } from '../errors.js';
import type { Session, SessionView } from '../session/session.js';
import type { Connection } from '../tls/connection.js';
import type { Context } from '../tls/context.js';
import { adapterContext } from '../tls/state.js';
import { type Lower, TLSEngine } from '../web/engine.js';
import type { ByteTransport } from '../web/stream.js';

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
 * handle the stream still owns: upRef() it to keep a reference beyond the stream). A thin face
 * over the same TLSEngine the Web Streams transport uses: the socket is its Lower.
 */
export class TLSStream extends Duplex {
  readonly #engine: TLSEngine;
  #started = false;

  constructor(
    readonly connection: Connection,
    readonly socket: Duplex,
  ) {
    super({ allowHalfOpen: false });
    this.#engine = new TLSEngine(connection, (handle) => this.emit('session', handle));
    // Both sides closed: once nothing unread is buffered, the Duplex is done too (autoDestroy covers
    // a consumed readable; one nobody reads would otherwise stay open).
    this.#engine.closed.then(
      () => {
        if (!this.destroyed && this.readableLength === 0) this.destroy();
      },
      () => {},
    );
  }

  /** True once the handshake completed. */
  get isSecure(): boolean {
    return this.#engine.isSecure;
  }

  /** How many sessions arrived and are still held by the stream (not taken). */
  get sessionCount(): number {
    return this.#engine.sessionCount;
  }

  /** The newest session received, as a handle you own (free it), or null. */
  takeSession(): Session | null {
    return this.#engine.takeSession();
  }

  /** Waits until at least `count` sessions arrived (TLS 1.3 tickets come after the handshake). */
  waitForSessions(count = 1, timeoutMs = 5000): Promise<void> {
    return this.#engine.waitForSessions(count, timeoutMs);
  }

  /** @internal Starts the handshake (client) and resolves when it completes. */
  async start(): Promise<this> {
    const engine = this.#engine;
    const socket = this.socket;
    try {
      socket.on('data', (chunk: unknown) => {
        // A stream in object mode or with an encoding set hands over other things than bytes.
        if (!(chunk instanceof Uint8Array)) {
          return engine.transportFailed(new TransportError(`the socket gave ${describe(chunk)}, not bytes (Buffer)`));
        }
        engine.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      });
      socket.on('end', () => engine.receiveEnd());
      socket.on('error', (error: Error) => engine.transportFailed(new TransportError(`socket error: ${error.message}`, error)));
      socket.on('close', () => engine.transportClosed());
    } catch (error) {
      // A stream that cannot be listened to: the connection is released, not left behind.
      engine.destroy(error);
      throw error;
    }
    await engine.start(socketLower(socket), {
      push: (bytes) => this.push(bytes),
      end: () => this.push(null),
      // Before the handshake completed, the failure is start()'s rejection, not an 'error' event.
      error: (error) => (this.#started ? this.destroy(error) : this.destroy()),
    });
    this.#started = true;
    return this;
  }

  override _read(): void {
    this.#engine.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#engine.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#engine.end().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#engine.destroy(error);
    this.socket.destroy();
    callback(error);
  }
}

function drained(socket: Duplex): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', closed);
      resolve();
    };
    const closed = (): void => {
      socket.off('drain', done);
      reject(new TransportError('the socket closed before its buffered bytes were sent'));
    };
    socket.once('drain', done);
    socket.once('close', closed);
  });
}

/** The engine's transport side over a Node stream (pause/resume, 'drain' for back-pressure). */
function socketLower(socket: Duplex): Lower {
  return {
    write: (bytes) => (socket.write(bytes) ? undefined : drained(socket)),
    end: () => new Promise((resolve) => socket.end(() => resolve())),
    abort: () => {
      socket.destroy();
    },
    pause: () => {
      socket.pause();
    },
    resume: () => {
      socket.resume();
    },
  };
}

/**
 * A WebAssembly TLS client over TCP (or the given stream). Resolves once the handshake completes.
 * Everything that can be refused is refused before a socket is opened or a connection made.
 */
export async function connectTLS(given: ConnectTLSOptions): Promise<TLSStream> {
  // Read once, own properties only (a polluted Object.prototype.socket is no one's socket).
  const options = record(given, 'connectTLS: options', ['host', 'port', 'context', 'session', 'servername', 'alpn', 'socket'], {
    exact: true,
  }) as Partial<ConnectTLSOptions>;
  const { context } = options as ConnectTLSOptions;
  const verifies = adapterContext(context, 'connectTLS: options.context', 'client').verifies;
  const ownSocket = options.socket === undefined ? undefined : duplex(options.socket, 'connectTLS: options.socket');
  // Without a socket of its own, it dials host:port; with one, host only names the server.
  const host = options.host === undefined && ownSocket ? undefined : text(options.host, 'connectTLS: options.host');
  const port = ownSocket && options.port === undefined ? undefined : integer(options.port, NUMBER_KINDS.port, 'connectTLS: options.port');
  const servername = options.servername ?? (host === undefined || isIP(host) ? undefined : host);
  if (verifies && servername === undefined) {
    throw new InvalidArgumentError(
      `connectTLS: the context verifies the server, so give \`servername\`: the name its certificate must carry (${host ?? 'the socket'} is not a name)`,
    );
  }
  const socket =
    ownSocket ??
    (await new Promise<Duplex>((resolve, reject) => {
      const s = netConnect({ host, port: port as number });
      s.once('connect', () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', (error) => reject(new TransportError(`could not connect to ${host}:${port}: ${error.message}`, error)));
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
  const stream = duplex(socket, 'acceptTLS: socket');
  adapterContext(context, 'acceptTLS: context', 'server');
  let connection: Connection;
  try {
    connection = context.newConnection();
  } catch (error) {
    stream.destroy();
    throw error;
  }
  return new TLSStream(connection, stream).start();
}

/** A Node stream to run TLS over: anything else is refused before a connection exists to leak. */
function duplex(v: unknown, what: string): Duplex {
  if (!(v instanceof Duplex)) throw new TypeError(`${what}: expected a connected Duplex stream (a net.Socket), got ${describe(v)}`);
  return v;
}

function isIP(host: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(':');
}

/**
 * A connected Node stream (a net.Socket) as a Web Streams byte pair, for the runtime-neutral
 * connect()/accept() of openssl-session-wasm/web.
 */
export function socketTransport(socket: Duplex): ByteTransport {
  const { readable, writable } = Duplex.toWeb(duplex(socket, 'socketTransport: socket'));
  return { readable, writable } as unknown as ByteTransport;
}

/** Opens a TCP connection to host:port as a Web Streams byte pair (TransportError when refused). */
export async function openTCP(host: string, port: number): Promise<ByteTransport> {
  const to = { host: text(host, 'openTCP: host'), port: integer(port, NUMBER_KINDS.port, 'openTCP: port') };
  return new Promise((resolve, reject) => {
    const s = netConnect(to);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(socketTransport(s));
    });
    s.once('error', (error) => reject(new TransportError(`could not connect to ${host}:${port}: ${error.message}`, error)));
  });
}
