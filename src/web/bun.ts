/**
 * Bun.connect as a Web Streams byte pair for connect(). Bun's TCP socket is callback-based: its
 * data handler feeds a ReadableStream, and writes that Bun takes only in part wait for its drain
 * handler (back-pressure). Only this file knows Bun's socket API.
 */
import { integer, NUMBER_KINDS, plain, record, text } from '../core/convert.js';
import { TransportError } from '../errors.js';
import type { ByteTransport } from './stream.js';

interface BunSocket {
  write(data: Uint8Array): number;
  end(): void;
  shutdown?(halfClose?: boolean): void;
  terminate?(): void;
  pause?(): void;
  resume?(): void;
}
interface BunLike {
  connect(options: {
    hostname: string;
    port: number;
    socket: {
      open(socket: BunSocket): void;
      data(socket: BunSocket, data: Uint8Array): void;
      drain(socket: BunSocket): void;
      end(socket: BunSocket): void;
      close(socket: BunSocket, error?: Error): void;
      error(socket: BunSocket, error: Error): void;
      connectError?(socket: BunSocket, error: Error): void;
    };
  }): Promise<BunSocket>;
}

/** Opens a TCP connection with Bun.connect and gives it as { readable, writable }. */
export async function bunConnect(given: { hostname: string; port: number }): Promise<ByteTransport> {
  // Read once, own properties, each of its kind: nothing else is handed to Bun.connect.
  const o = record(given, 'bunConnect: options', ['hostname', 'port'], { exact: true });
  const options = plain({
    hostname: text(o.hostname, 'bunConnect: options.hostname'),
    port: integer(o.port, NUMBER_KINDS.port, 'bunConnect: options.port'),
  });
  const bun = (globalThis as { Bun?: BunLike }).Bun;
  if (!bun) throw new TransportError('bunConnect: Bun.connect is not available in this runtime');
  let input!: ReadableStreamDefaultController<Uint8Array>;
  let readDone = false;
  let pending: Uint8Array | null = null;
  let drained: (() => void) | null = null;
  let failed: Error | null = null;
  const endRead = (error?: Error): void => {
    if (readDone) return;
    readDone = true;
    if (error) input.error(error);
    else input.close();
  };
  const flush = (socket: BunSocket): void => {
    while (pending) {
      const n = socket.write(pending);
      if (n < pending.length) {
        pending = pending.subarray(Math.max(0, n));
        return;
      }
      pending = null;
      drained?.();
      drained = null;
    }
  };
  let socket: BunSocket | undefined;
  const readable = new ReadableStream<Uint8Array>(
    {
      start(c) {
        input = c;
      },
      pull() {
        socket?.resume?.();
      },
      cancel() {
        readDone = true;
        if (socket) socket.terminate ? socket.terminate() : socket.end();
      },
    },
    { highWaterMark: 8, size: () => 1 },
  );
  try {
    socket = await bun.connect({
      hostname: options.hostname,
      port: options.port,
      socket: {
        open() {},
        data(_s, data) {
          if (readDone) return;
          input.enqueue(new Uint8Array(data));
          if ((input.desiredSize ?? 1) <= 0) socket?.pause?.();
        },
        drain(s) {
          flush(s);
        },
        end() {
          endRead();
        },
        close(_s, error) {
          failed ??= error ?? new TransportError('the socket closed');
          endRead(error ? new TransportError(`socket error: ${error.message}`, error) : undefined);
          drained?.();
        },
        error(_s, error) {
          failed = error;
          endRead(new TransportError(`socket error: ${error.message}`, error));
        },
      },
    });
  } catch (error) {
    throw new TransportError(`could not connect to ${options.hostname}:${options.port}: ${(error as Error).message}`, error);
  }
  const connected = socket;
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      if (failed) throw new TransportError(`socket error: ${failed.message}`, failed);
      pending = chunk;
      flush(connected);
      if (!pending) return;
      return new Promise<void>((resolve) => (drained = resolve));
    },
    close() {
      if (connected.shutdown) connected.shutdown(true);
      else connected.end();
    },
    abort() {
      if (connected.terminate) connected.terminate();
      else connected.end();
    },
  });
  return { readable, writable };
}
