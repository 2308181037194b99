/// <reference types="node" />
/**
 * The WebSocket-to-TCP bridge that lets a browser page reach a TLS server: the page opens
 * ws://bridge/?to=host:port and runs TLS itself (web/websocket.ts), so the bridge only ever sees
 * ciphertext. The bridge says "open" (one text frame) once the destination is connected, then
 * relays binary frames both ways; a refusal is a close code (BRIDGE_CLOSE). It is never an open proxy: only destinations on its allow-list are dialled, exactly
 * as written there (no DNS games: the host:port string must match), and every tunnel is bounded
 * (buffered bytes, idle time, tunnels per client address, tunnels in all).
 */

import type { IncomingMessage } from 'node:http';
import { type Socket, connect as tcpConnect } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { integer, list, NUMBER_KINDS, record, text } from '../core/convert.js';
import { InvalidArgumentError } from '../errors.js';

export interface BridgeOptions {
  /** Where to listen, e.g. { host: '127.0.0.1', port: 8080 } (port 0: any free port). */
  host: string;
  port: number;
  /** The only destinations tunnels may reach, as "host:port". */
  allow: string[];
  /** Tunnels open at once, in all (default 256). */
  maxTunnels?: number;
  /** Tunnels open at once from one client address (default 64). */
  maxTunnelsPerClient?: number;
  /** Bytes queued towards either side before the other side is paused (default 1 MiB). */
  maxBuffered?: number;
  /** A tunnel with no bytes either way for this long is closed (default 60 s). */
  idleTimeoutMs?: number;
}

/** WebSocket close codes the bridge uses (4000-4999 are the application's). */
export const BRIDGE_CLOSE = Object.freeze({
  /** The destination is not on the allow-list (nothing was dialled). */
  NOT_ALLOWED: 4003,
  /** A tunnel limit was reached. */
  BUSY: 4029,
  /** The destination refused or failed. */
  UNREACHABLE: 4502,
  /** No bytes either way for idleTimeoutMs. */
  IDLE: 4408,
} as const);

export interface Bridge {
  /** The port it listens on. */
  readonly port: number;
  /** Tunnels open now. */
  readonly tunnels: number;
  close(): Promise<void>;
}

/** Parses "host:port" (IPv6 as "[::1]:443") into a canonical "host:port", or throws InvalidArgumentError (lowestPort 0: a listening address). */
export function destination(text: string, lowestPort = 1): string {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : -1;
  if (!m || port < lowestPort || port > 65535) throw new InvalidArgumentError(`bridge: "${text}" is not host:port`);
  return m[1] !== undefined ? `[${m[1].toLowerCase()}]:${port}` : `${m[2].toLowerCase()}:${port}`;
}

/** Starts a bridge; resolves once it listens. */
const BRIDGE_OPTIONS = ['host', 'port', 'allow', 'maxTunnels', 'maxTunnelsPerClient', 'maxBuffered', 'idleTimeoutMs'] as const;
/** A port to listen on: 0 (any free port) to 65535. */
const LISTEN_PORT = { name: 'a port number from 0 to 65535', min: 0, max: 65535 };

/**
 * Starts a bridge; resolves once it listens. Options are read once, own properties only, and every
 * limit is a checked whole number: a polluted prototype or a NaN cannot lift a bound.
 */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const o = record(options, 'startBridge', BRIDGE_OPTIONS, { exact: true });
  const host = text(o.host, 'startBridge: host');
  const port = integer(o.port, LISTEN_PORT, 'startBridge: port');
  const allow = new Set(list(o.allow, 'startBridge: allow', (v, what) => destination(text(v, what))));
  if (allow.size === 0) throw new InvalidArgumentError('bridge: give at least one allowed destination (--allow host:port)');
  const limit = (key: (typeof BRIDGE_OPTIONS)[number], fallback: number): number =>
    o[key] === undefined ? fallback : integer(o[key], NUMBER_KINDS.bound, `startBridge: ${key}`);
  const maxTunnels = limit('maxTunnels', 256);
  const maxPerClient = limit('maxTunnelsPerClient', 64);
  const maxBuffered = limit('maxBuffered', 1 << 20);
  const idleMs = limit('idleTimeoutMs', 60_000);
  const perClient = new Map<string, number>();
  const open = new Set<WebSocket>();

  const server = new WebSocketServer({ host, port, maxPayload: maxBuffered, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });

  server.on('connection', (ws: WebSocket, request: IncomingMessage) => {
    const client = request.socket.remoteAddress ?? '?';
    let to: string;
    try {
      to = destination(new URL(request.url ?? '/', 'ws://bridge').searchParams.get('to') ?? '');
    } catch {
      ws.close(BRIDGE_CLOSE.NOT_ALLOWED, 'destination not allowed');
      return;
    }
    if (!allow.has(to)) {
      ws.close(BRIDGE_CLOSE.NOT_ALLOWED, 'destination not allowed');
      return;
    }
    if (open.size >= maxTunnels || (perClient.get(client) ?? 0) >= maxPerClient) {
      ws.close(BRIDGE_CLOSE.BUSY, 'too many tunnels');
      return;
    }
    open.add(ws);
    perClient.set(client, (perClient.get(client) ?? 0) + 1);
    const colon = to.lastIndexOf(':');
    const host = to.slice(0, colon).replace(/^\[|\]$/g, '');
    const tcp: Socket = tcpConnect({ host, port: Number(to.slice(colon + 1)) });
    let ended = false;
    let towardsWs = 0;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const touch = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => finish(BRIDGE_CLOSE.IDLE, 'idle'), idleMs);
    };
    /** Counts the tunnel out of the limits, once; false when it already was. */
    const release = (): boolean => {
      if (ended) return false;
      ended = true;
      clearTimeout(idle);
      open.delete(ws);
      const n = (perClient.get(client) ?? 1) - 1;
      if (n > 0) perClient.set(client, n);
      else perClient.delete(client);
      return true;
    };
    const finish = (code: number, reason: string): void => {
      if (!release()) return;
      tcp.destroy();
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
    };
    touch();
    // The tunnel is open once the destination is: one text frame says so; bytes are binary frames.
    tcp.once('connect', () => ws.send('open'));
    // TCP → WebSocket: pause the destination while the page has not taken maxBuffered bytes.
    tcp.on('data', (chunk: Buffer) => {
      touch();
      towardsWs += chunk.length;
      if (towardsWs > maxBuffered) tcp.pause();
      ws.send(chunk, { binary: true }, () => {
        towardsWs -= chunk.length;
        if (towardsWs <= maxBuffered && tcp.isPaused()) tcp.resume();
      });
    });
    // WebSocket → TCP: stop reading the page while the destination's socket buffer is full.
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      touch();
      if (!isBinary) return finish(1003, 'binary frames only');
      if (!tcp.write(data)) {
        ws.pause();
        tcp.once('drain', () => ws.resume());
      }
    });
    tcp.on('end', () => finish(1000, 'destination closed'));
    tcp.on('error', () => finish(BRIDGE_CLOSE.UNREACHABLE, 'destination failed'));
    tcp.on('close', () => finish(1000, 'destination closed'));
    ws.on('close', () => {
      if (!release()) return;
      // The page is done: let the destination see a clean end after what was already written.
      tcp.end();
      setTimeout(() => tcp.destroy(), 1000).unref();
    });
    ws.on('error', () => finish(1011, 'tunnel error'));
  });

  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    get tunnels() {
      return open.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of open) ws.terminate();
        server.close(() => resolve());
      }),
  };
}
