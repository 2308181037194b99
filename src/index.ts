/**
 * openssl-session-wasm: OpenSSL 3.5 LTS compiled to WebAssembly, with a typed SSL_SESSION facade
 * and an ownership ledger. Start with `const ossl = await loadOpenSSL()`.
 */
import { instantiate, type LoadOptions } from './load.js';
import { OpenSSL } from './openssl.js';

export * from './errors.js';
export type { EventOp, LedgerEvent } from './ledger/events.js';
export type { Holder, HoldersReport, Ledger, LedgerStats, LiveSession } from './ledger/ledger.js';
export { SITES, type Site, type SiteHolder } from './ledger/sites.js';
export type { LoadOptions, WasmModule, WasmUrl } from './load.js';
export { OpenSSL, type SessionLike } from './openssl.js';
export type { Cipher } from './session/fields.js';
export { type DisposeSymbol, disposeSymbol, Session, SessionView } from './session/session.js';
export type { CertificateOptions, GeneratedCertificate, KeyType } from './tls/certificate.js';
export { Connection, type ConnectionOptions } from './tls/connection.js';
export { type CacheStats, Context, type ContextOptions, type ProtocolVersion, SESS_CACHE } from './tls/context.js';
export type { InMemoryOptions, InMemoryPair } from './tls/in-memory.js';

/**
 * Loads one independent OpenSSL instance (its own WebAssembly memory, RNG, ledger).
 * Throws EntropyUnavailableError where the platform has no crypto.getRandomValues.
 */
export async function loadOpenSSL(options: LoadOptions = {}): Promise<OpenSSL> {
  const binding = await instantiate(options);
  return new OpenSSL(binding, {
    debug: options.debug ?? false,
    trace: options.trace ?? true,
    prefetch: options.maxMemory !== undefined,
    onLeak:
      options.onLeak ??
      ((id) => console.warn(`openssl-session-wasm: session ${id} was garbage-collected while still holding a reference (missing free())`)),
  });
}
