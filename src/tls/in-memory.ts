/** Two connections talking through memory: used by tests, the playground and the benchmarks. */
import { integer, NUMBER_KINDS, plain, record, text } from '../core/convert.js';
import { declare, type Param, SESSION } from '../core/gate.js';
import type { SessionState } from '../core/instance.js';
import { OpenSSLWasmError } from '../errors.js';
import { disposeSymbol, type Session, type SessionView } from '../session/session.js';
import { type Connection, refuseUndefinedSession } from './connection.js';
import { CONTEXT, type Context } from './context.js';
import { alpnList } from './wire.js';

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

/** The options, converted once: plain values only, so nothing of the caller's runs after the checks. */
interface InMemoryConfig {
  hostname?: string;
  session?: SessionState;
  alpn?: string[];
  maxRounds?: number;
}

const IN_MEMORY_OPTIONS: Param<InMemoryConfig> = {
  name: 'options',
  convert: (v, what, core, op) => {
    const o = record(v, what, ['hostname', 'session', 'alpn', 'maxRounds'], { exact: true });
    refuseUndefinedSession(o);
    const c: InMemoryConfig = plain({});
    if (o.hostname !== undefined) c.hostname = text(o.hostname, `${what}.hostname`, 255);
    if (o.session !== undefined) c.session = SESSION.convert(o.session, `${what}.session`, core, op);
    if (o.alpn !== undefined) c.alpn = alpnList(o.alpn, `${what}.alpn`).names;
    if (o.maxRounds !== undefined) c.maxRounds = integer(o.maxRounds, NUMBER_KINDS.rounds, `${what}.maxRounds`);
    return c;
  },
  check: (c, op, core) => {
    if (c.session !== undefined) core.usable(c.session, op);
    return c;
  },
};

/** Both contexts and every option are converted and checked before the first connection is made. */
export const connectInMemory = declare(
  'connectInMemory',
  [CONTEXT, CONTEXT, IN_MEMORY_OPTIONS],
  (_core, clientState, serverState, options): InMemoryPair => {
    const clientContext = clientState.object as Context;
    const serverContext = serverState.object as Context;
    const client = clientContext.newConnection({
      ...(options.hostname !== undefined ? { hostname: options.hostname } : {}),
      ...(options.session !== undefined ? { session: options.session.holder as Session | SessionView } : {}),
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
  },
);

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
