/**
 * openssl-session-wasm/web: TLS over Web Streams, for every runtime (browsers through a tunnel,
 * Deno, Bun, Cloudflare Workers, Node). `connect()` / `accept()` take a `{ readable, writable }`
 * byte pair and give back a TLS stream whose plaintext is a Web Streams pair too.
 */

export { bunConnect } from './bun.js';
export { IndexedDBSessionStore } from './indexeddb-store.js';
export { MemorySessionStore, type SessionStore, type StoredSession, StoredSessions, sessionKey } from './session-store.js';
export { type AcceptOptions, accept, type ByteTransport, type ConnectOptions, connect, TLSStream } from './stream.js';
export { type WebSocketTransportOptions, websocketTransport } from './websocket.js';
