/**
 * A WebSocket tunnel as a byte pair, for browsers (which have no raw sockets): the page runs TLS
 * itself and the bridge (openssl-session-wasm bridge, node/bridge.ts) relays the ciphertext to
 * one allow-listed host:port. `url` is the bridge's, with the destination: ws://127.0.0.1:8080/?to=example.com:443.
 */
import { callable, url as checkedUrl, integer, NUMBER_KINDS, record } from '../core/convert.js';
import { TransportError } from '../errors.js';
import type { ByteTransport } from './stream.js';

/** The part of the WebSocket API the tunnel uses (the browser's, Deno's, Bun's, or the ws package's). */
interface SocketLike {
  binaryType: string;
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: { data?: unknown; code?: number; reason?: string }) => void): void;
}
type SocketConstructor = new (url: string) => SocketLike;

export interface WebSocketTransportOptions {
  /** The WebSocket class (default: globalThis.WebSocket; in Node 20, pass the ws package's). */
  WebSocket?: SocketConstructor;
  /** Bytes queued in the WebSocket before writes wait (default 1 MiB). */
  maxBuffered?: number;
}

/** Opens a tunnel through a bridge; resolves once the WebSocket is open. */
export async function websocketTransport(url: string | URL, given: WebSocketTransportOptions = {}): Promise<ByteTransport> {
  const address = String(checkedUrl(url, 'websocketTransport: url'));
  // Own properties, read once: a polluted Object.prototype.WebSocket is no one's WebSocket class.
  const options = record(given, 'websocketTransport: options', ['WebSocket', 'maxBuffered'], { exact: true });
  const ownSocket = options.WebSocket === undefined ? undefined : callable(options.WebSocket, 'websocketTransport: options.WebSocket');
  // The runtime's own global too: globalThis inherits from Object.prototype as well.
  const Socket = (ownSocket ?? record(globalThis, 'globalThis', ['WebSocket']).WebSocket) as SocketConstructor | undefined;
  if (!Socket) throw new TransportError('websocketTransport: no WebSocket in this runtime (pass options.WebSocket)');
  // A bound that NaN, 0 or a string would lift (a comparison with NaN is always false).
  const maxBuffered =
    options.maxBuffered === undefined
      ? 1 << 20
      : integer(options.maxBuffered, NUMBER_KINDS.bound, 'websocketTransport: options.maxBuffered');
  const ws = new Socket(address);
  ws.binaryType = 'arraybuffer';
  let input!: ReadableStreamDefaultController<Uint8Array>;
  let done = false;
  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      input = c;
    },
    cancel() {
      done = true;
      ws.close(1000);
    },
  });
  // The bridge sends "open" (a text frame) once it reached the destination; a refusal is a close.
  let opened = false;
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('message', (e) => {
      if (!opened && e.data === 'open') {
        opened = true;
        resolve();
      }
    });
    ws.addEventListener('close', (e) => reject(new TransportError(`the bridge refused the tunnel: ${e.code} ${e.reason ?? ''}`.trim())));
    ws.addEventListener('error', () => reject(new TransportError(`could not open the tunnel ${address}`)));
  });
  ws.addEventListener('message', (e) => {
    if (done) return;
    const data = e.data;
    if (data instanceof ArrayBuffer) input.enqueue(new Uint8Array(data));
    else if (ArrayBuffer.isView(data)) input.enqueue(new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice());
  });
  ws.addEventListener('close', (e) => {
    if (done) return;
    done = true;
    // A clean close (1000) is the end of the byte stream; anything else is the tunnel failing.
    if (e.code === 1000 || e.code === 1005) input.close();
    else input.error(new TransportError(`the tunnel closed: ${e.code} ${e.reason ?? ''}`.trim()));
  });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (ws.readyState !== 1) throw new TransportError('the tunnel is closed');
      ws.send(chunk);
      while (ws.bufferedAmount > maxBuffered && ws.readyState === 1) await new Promise((r) => setTimeout(r, 5));
    },
    close() {
      ws.close(1000);
    },
    abort() {
      ws.close(1000);
    },
  });
  return { readable, writable };
}
