/**
 * openssl-session-wasm: OpenSSL 3.5 LTS compiled to WebAssembly, with a typed SSL_SESSION facade
 * and an ownership ledger. Start with `const ossl = await loadOpenSSL()`.
 */
import { instantiate, type LoadOptions, loadOptions } from './load.js';
import { type OpenSSL, openInstance } from './openssl.js';

export { MAX_SESSION_TIME } from './core/convert.js';
export type { Cipher, SessionFields, SettableSessionFields } from './core/fields.js';
export * from './errors.js';
export type { EventOp, LedgerEvent } from './ledger/events.js';
export type { HolderKind, OpenTake } from './ledger/holdings.js';
export type { Holder, HoldersReport, LedgerStats, LiveSession } from './ledger/ledger.js';
export type { LeakInfo, LiveObject, ObjectKind } from './ledger/objects.js';
export type { Ledger } from './ledger/public.js';
export { SITES, type Site, type SiteHolder } from './ledger/sites.js';
export type { LoadOptions, WasmModule, WasmUrl } from './load.js';
export { OpenSSL, type SessionLike } from './openssl.js';
export { type DisposeSymbol, disposeSymbol, Session, type SessionSummary, SessionView } from './session/session.js';
export type { CertificateOptions, GeneratedCertificate, KeyType } from './tls/certificate.js';
export { Connection, type ConnectionOptions } from './tls/connection.js';
export { type CacheStats, Context, type ContextOptions, SESS_CACHE } from './tls/context.js';
export type { InMemoryOptions, InMemoryPair } from './tls/in-memory.js';
export type { ProtocolVersion } from './tls/wire.js';

/**
 * Loads one independent OpenSSL instance (its own WebAssembly memory, RNG, ledger).
 * Throws EntropyUnavailableError where the platform has no crypto.getRandomValues.
 */
export async function loadOpenSSL(given: LoadOptions = {}): Promise<OpenSSL> {
  const options = loadOptions(given);
  return openInstance((host) => instantiate(options, host), {
    debug: options.debug ?? false,
    trace: options.trace ?? true,
    prefetch: options.maxMemory !== undefined,
    onLeak: reportOnly(
      options.onLeak ??
        ((id, info) =>
          console.warn(
            `openssl-session-wasm: ${info.kind} ${id} was garbage-collected while still holding ${info.kind === 'session' ? 'a reference' : 'C memory'} (missing free())`,
          )),
    ),
  });
}

/**
 * The leak report runs from a finalizer, at whatever moment the collector chose: an exception
 * thrown there would be uncaught and end the process far from its cause, so it is reported instead.
 */
function reportOnly(onLeak: NonNullable<LoadOptions['onLeak']>): NonNullable<LoadOptions['onLeak']> {
  return (id, info) => {
    try {
      onLeak(id, info);
    } catch (error) {
      console.error(`openssl-session-wasm: onLeak threw while reporting ${info.kind} ${id}:`, error);
    }
  };
}
