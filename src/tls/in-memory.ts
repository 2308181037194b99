/** Two connections talking through memory: used by tests, the playground and the benchmarks. */
import { integer, NUMBER_KINDS, record } from '../core/convert.js';
import { OpenSSLWasmError } from '../errors.js';
import { disposeSymbol, type Session, type SessionView } from '../session/session.js';
import { type Connection, refuseUndefinedSession } from './connection.js';
import type { Context } from './context.js';

export interface InMemoryOptions {
  hostname?: string;
  /** A session for the client to resume. */
  session?: Session | SessionView;
  /** Client ALPN offer for this connection. */
  alpn?: string[];
  /** Give up after this many round trips (default 50). */
  maxRounds?: number;
}

export interface InMemoryPair {
  client: Connection;
  server: Connection;
  /** Moves pending bytes both ways (and decrypts what arrived) until nothing moves. */
  pump(): { toClient: Uint8Array; toServer: Uint8Array };
  /** Frees both connections (clean shutdown first). */
  free(): void;
  [disposeSymbol](): void;
}

/** Moves every pending byte between a and b until both are quiet; returns decrypted data per side. */
export function pump(client: Connection, server: Connection, maxRounds = 50): { toClient: Uint8Array; toServer: Uint8Array } {
  const toClient: Uint8Array[] = [];
  const toServer: Uint8Array[] = [];
  for (let round = 0; round < maxRounds; round++) {
    let moved = false;
    const c2s = client.readEncrypted();
    if (c2s.length > 0) {
      server.writeEncrypted(c2s);
      moved = true;
    }
    if (server.isHandshakeDone) toServer.push(server.read());
    else server.handshake();
    const s2c = server.readEncrypted();
    if (s2c.length > 0) {
      client.writeEncrypted(s2c);
      moved = true;
    }
    if (client.isHandshakeDone) toClient.push(client.read());
    else client.handshake();
    if (!moved && client.pendingEncrypted === 0 && server.pendingEncrypted === 0) {
      return { toClient: join(toClient), toServer: join(toServer) };
    }
  }
  throw new OpenSSLWasmError(`pump: still moving bytes after ${maxRounds} rounds`);
}

export function connectInMemory(clientContext: Context, serverContext: Context, given: InMemoryOptions = {}): InMemoryPair {
  refuseUndefinedSession(given);
  // Read once: a getter on the caller's options runs here, not between later checks and C.
  const o = record(given, 'connectInMemory: options', ['hostname', 'session', 'alpn', 'maxRounds']);
  const options = o as InMemoryOptions;
  if (o.maxRounds !== undefined) integer(o.maxRounds, NUMBER_KINDS.rounds, 'connectInMemory: options.maxRounds');
  const client = clientContext.newConnection({
    ...(options.hostname !== undefined ? { hostname: options.hostname } : {}),
    ...(options.session !== undefined ? { session: options.session } : {}),
    ...(options.alpn !== undefined ? { alpn: options.alpn } : {}),
  });
  let server: Connection | undefined;
  try {
    server = serverContext.newConnection();
    const s = server;
    client.handshake();
    pump(client, s, options.maxRounds);
    if (!client.isHandshakeDone || !s.isHandshakeDone) throw new OpenSSLWasmError('connectInMemory: the handshake did not complete');
    const free = (): void => {
      client.free();
      s.free();
    };
    return { client, server: s, pump: () => pump(client, s, options.maxRounds), free, [disposeSymbol]: free };
  } catch (error) {
    client.free({ abort: true });
    server?.free({ abort: true });
    throw error;
  }
}

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
