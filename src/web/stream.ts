/**
 * TLS over any Web Streams byte pair { readable, writable }: a Deno TcpConn, a Cloudflare Workers
 * socket, a WebSocket tunnel (web/websocket.ts), Bun and Node sockets through their adapters.
 * The plaintext side is a Web Streams pair too. All pumping is the shared TLSEngine's.
 */
import { bytes, describe, plain, record, text, utf8 } from '../core/convert.js';
import { InvalidArgumentError, TransportError } from '../errors.js';
import type { Session, SessionView } from '../session/session.js';
import type { Connection } from '../tls/connection.js';
import type { Context } from '../tls/context.js';
import { adapterContext } from '../tls/state.js';
import { type Lower, TLSEngine } from './engine.js';
import { StoredSessions } from './session-store.js';

/** A bidirectional byte stream: what `Deno.connect`, `cloudflare:sockets` connect() and the adapters give. */
export interface ByteTransport {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

export interface ConnectOptions {
  /** The connected transport carrying ciphertext. The TLS stream owns it from here on. */
  transport: ByteTransport;
  /** A client context (ossl.createContext({ role: 'client', ... })). */
  context: Context;
  /** SNI name, and with a verifying context the name the certificate must match (SSL_set1_host). */
  servername?: string;
  /** A session to resume. */
  session?: Session | SessionView;
  /** Protocols to offer (overrides the context's). */
  alpn?: string[];
  /**
   * Resume from a store and keep the sessions this connection receives in it, under `key`
   * (sessionKey(host, port, alpn)). An explicit `session` is offered instead of the stored one.
   */
  store?: { sessions: StoredSessions; key: string };
  /**
   * TLS 1.3 early data (0-RTT), sent with the ClientHello when the session offered allows it
   * (its maxEarlyData). Early data can be replayed by an attacker: send only what is safe to
   * repeat (an idempotent request). If the server rejects it, it is sent again after the
   * handshake; `connection.earlyDataStatus` says which happened. Without a session that allows
   * it, early data is refused (InvalidArgumentError) and nothing is sent.
   */
  earlyData?: Uint8Array | string;
}

export interface AcceptOptions {
  transport: ByteTransport;
  /** A server context. */
  context: Context;
}

/**
 * A TLS stream: `writable` takes plaintext, `readable` gives plaintext. Closing `writable` sends
 * close_notify; the peer's close_notify ends `readable` and is answered. The sessions the
 * connection receives (TLS 1.3 tickets arrive after the handshake) are held by the stream until
 * `takeSession()` hands one to you; the rest are freed when the stream closes.
 */
export class TLSStream {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  /** @internal */
  readonly engine: TLSEngine;

  /** @internal */
  constructor(engine: TLSEngine, transport: ByteTransport, earlyData?: Uint8Array) {
    this.engine = engine;
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          controller = c;
        },
        pull: () => engine.resume(),
        cancel: () => engine.destroy(),
      },
      { highWaterMark: 4, size: () => 1 },
    );
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) => {
        let plain: Uint8Array;
        try {
          plain = chunkBytes(chunk, 'TLSStream.writable: chunk');
        } catch (error) {
          // A refused chunk errors the writable (Web Streams' rule): the stream fails and releases everything.
          engine.destroy(error);
          throw error;
        }
        return engine.write(plain);
      },
      close: () => engine.end(),
      abort: (reason) => engine.destroy(reason ?? new TransportError('the plaintext writable was aborted')),
    });
    let readableDone = false;
    void engine.start(
      webLower(transport, engine),
      {
        push: (bytes) => {
          if (readableDone) return true;
          controller.enqueue(bytes);
          return (controller.desiredSize ?? 0) > 0;
        },
        end: () => {
          if (readableDone) return;
          readableDone = true;
          controller.close();
        },
        error: (error) => {
          if (readableDone) return;
          readableDone = true;
          controller.error(error);
        },
      },
      earlyData,
    );
  }

  /** The Connection inside (protocol, cipher, sessionReused, getSession()...). */
  get connection(): Connection {
    return this.engine.connection;
  }
  /** Resolves once the stream has closed and released everything; rejects with its failure. */
  get closed(): Promise<void> {
    return this.engine.closed;
  }
  /** How many received sessions the stream still holds. */
  get sessionCount(): number {
    return this.engine.sessionCount;
  }
  /** The newest session received, as a handle you own (free it), or null. */
  takeSession(): Session | null {
    return this.engine.takeSession();
  }
  /** Waits until at least `count` sessions arrived. */
  waitForSessions(count = 1, timeoutMs = 5000): Promise<void> {
    return this.engine.waitForSessions(count, timeoutMs);
  }

  /**
   * Closes cleanly: close_notify, then waits for the peer's (or the transport's end) and for
   * everything to be released. Use it instead of writable.close() when you hold no writer.
   */
  async close(): Promise<void> {
    if (!this.writable.locked) await this.writable.close().catch(() => {});
    else await this.engine.end().catch(() => {});
    return this.engine.closed;
  }

  /** Drops the connection now (no close_notify wait); the session stays resumable when the handshake completed. */
  abort(): void {
    this.engine.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close().catch(() => {});
  }
}

/**
 * Starts a TLS client over `transport`; resolves once the handshake completed. The options are
 * converted first (the gate's order): everything that can be refused is refused before the
 * connection exists, and once it exists, any failure releases it (and the transport).
 */
export async function connect(given: ConnectOptions): Promise<TLSStream> {
  // Read once, own properties only: a name checked below is the name the connection verifies.
  const options = record(given, 'connect: options', ['transport', 'context', 'servername', 'session', 'alpn', 'store', 'earlyData'], {
    exact: true,
  }) as Partial<ConnectOptions>;
  const transport = transportOf(options.transport, 'connect');
  const { context } = options as ConnectOptions;
  if (adapterContext(context, 'connect: options.context', 'client').verifies && options.servername === undefined) {
    throw new InvalidArgumentError(
      'connect: the context verifies the server, so give `servername`: the name its certificate must carry (also sent as SNI)',
    );
  }
  const early = options.earlyData === undefined ? undefined : chunkBytes(options.earlyData, 'connect: options.earlyData');
  const store = options.store === undefined ? undefined : storeOf(options.store);
  const stored = store && options.session === undefined ? await store.sessions.take(store.key) : null;
  const session = options.session ?? stored ?? undefined;
  let connection: Connection;
  try {
    // The store's code ran during the await: the transport may have been taken meanwhile.
    unlocked(transport, 'connect');
    connection = newConnectionOrRelease(transport, () =>
      context.newConnection({
        ...(options.servername !== undefined ? { hostname: options.servername } : {}),
        ...(session !== undefined ? { session } : {}),
        ...(options.alpn !== undefined ? { alpn: options.alpn } : {}),
      }),
    );
  } finally {
    stored?.free(); // the connection took its own reference (SSL_set_session)
  }
  const engine = new TLSEngine(connection, store ? (s) => void store.sessions.keep(store.key, s).catch(() => {}) : null);
  const stream = streamOrRelease(engine, transport, early);
  await engine.secure;
  return stream;
}

/** Starts a TLS server over an accepted `transport`; resolves once the handshake completed. */
export async function accept(given: AcceptOptions): Promise<TLSStream> {
  const options = record(given, 'accept: options', ['context', 'transport'], { exact: true }) as Partial<AcceptOptions>;
  const transport = transportOf(options.transport, 'accept');
  const { context } = options as AcceptOptions;
  adapterContext(context, 'accept: options.context', 'server');
  const connection = newConnectionOrRelease(transport, () => context.newConnection());
  const stream = streamOrRelease(new TLSEngine(connection), transport);
  await stream.engine.secure;
  return stream;
}

/**
 * The transport's two streams, each read once (a getter runs here, never again later) and checked.
 * Inherited properties count: a Deno TcpConn's and a Workers socket's streams are prototype getters.
 */
function transportOf(v: unknown, op: string): ByteTransport {
  if (typeof v !== 'object' || v === null) {
    throw new InvalidArgumentError(`${op}: transport must be { readable: ReadableStream, writable: WritableStream }`);
  }
  const { readable, writable } = v as Partial<ByteTransport>;
  if (!(readable instanceof ReadableStream) || !(writable instanceof WritableStream)) {
    throw new InvalidArgumentError(`${op}: transport must be { readable: ReadableStream, writable: WritableStream }`);
  }
  const transport = plain({ readable, writable });
  unlocked(transport, op);
  return transport;
}

function unlocked(transport: ByteTransport, op: string): void {
  if (transport.readable.locked || transport.writable.locked) throw new InvalidArgumentError(`${op}: the transport's streams are locked`);
}

/** `store`, read once: the StoredSessions and the key (a checked string) used both to take and to keep. */
function storeOf(v: unknown): { sessions: StoredSessions; key: string } {
  const o = record(v, 'connect: options.store', ['sessions', 'key'], { exact: true });
  if (!(o.sessions instanceof StoredSessions)) {
    throw new TypeError(`connect: options.store.sessions: expected a StoredSessions, got ${describe(o.sessions)}`);
  }
  return plain({ sessions: o.sessions, key: text(o.key, 'connect: options.store.key') });
}

function newConnectionOrRelease(transport: ByteTransport, make: () => Connection): Connection {
  try {
    return make();
  } catch (error) {
    release(transport);
    throw error;
  }
}

/** The stream over a connection that exists now: if it cannot start, the connection and the transport are released. */
function streamOrRelease(engine: TLSEngine, transport: ByteTransport, early?: Uint8Array): TLSStream {
  try {
    return new TLSStream(engine, transport, early);
  } catch (error) {
    engine.destroy(error);
    release(transport);
    throw error;
  }
}

function release(transport: ByteTransport): void {
  try {
    transport.readable.cancel().catch(() => {});
    transport.writable.abort().catch(() => {});
  } catch {}
}

/** The engine's transport side over a Web Streams pair: one read loop, writes through one writer. */
function webLower(transport: ByteTransport, engine: TLSEngine): Lower {
  const reader = transport.readable.getReader();
  let writer: WritableStreamDefaultWriter<Uint8Array>;
  try {
    writer = transport.writable.getWriter();
  } catch (error) {
    reader.releaseLock();
    throw error;
  }
  let paused = false;
  let wake: (() => void) | null = null;
  let aborted = false;
  let writeClosed = false;
  const loop = async (): Promise<void> => {
    try {
      for (;;) {
        if (paused) await new Promise<void>((resolve) => (wake = resolve));
        if (aborted) return;
        const { value, done } = await reader.read();
        if (aborted) return;
        if (done) {
          engine.receiveEnd();
          return;
        }
        engine.receive(bytes(value, 'transport chunk'));
      }
    } catch (error) {
      if (aborted) return;
      // Some transports (Deno's TcpConn) close both directions when their writable closes: after
      // our close_notify went out, a read failing is the transport's end, not a failure.
      if (writeClosed) engine.receiveEnd();
      else engine.transportFailed(error);
    }
  };
  void loop();
  return {
    write(bytes) {
      writer.write(bytes).catch((error) => {
        if (!aborted) engine.transportFailed(error);
      });
      return (writer.desiredSize ?? 1) > 0 ? undefined : writer.ready;
    },
    end: () => {
      writeClosed = true;
      return writer.close();
    },
    abort(reason) {
      if (aborted) return;
      aborted = true;
      wake?.();
      reader.cancel(reason).catch(() => {});
      writer.abort(reason).catch(() => {});
    },
    pause() {
      paused = true;
    },
    resume() {
      if (!paused) return;
      paused = false;
      wake?.();
      wake = null;
    },
  };
}

/**
 * A plaintext or transport chunk as a Uint8Array of its own, copied now through the gate's
 * converters (a lying length, a Proxy or a later detach cannot change what is sent); a string is
 * its UTF-8, refused when it has a lone surrogate.
 */
function chunkBytes(chunk: unknown, what: string): Uint8Array {
  return typeof chunk === 'string' ? utf8(chunk, what) : bytes(chunk, what);
}
