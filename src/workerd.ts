/**
 * The entry Cloudflare Workers get (the "workerd" export condition, which wrangler and other
 * Workers bundlers honour): there modules have no URL to find openssl.wasm beside, and code cannot
 * be compiled from bytes at run time, so the module is imported as what Workers make of a .wasm
 * import, a compiled WebAssembly.Module, and handed to the loader.
 */
import { loadOpenSSL as loadWith } from './index.js';
import { type LoadOptions, loadOptions } from './load.js';
import type { OpenSSL } from './openssl.js';
import wasmModule from './openssl.wasm';

export * from './index.js';

/** loadOpenSSL() with the module Workers imported (a given wasmModule or wasmBinary still wins). */
export function loadOpenSSL(raw: LoadOptions = {}): Promise<OpenSSL> {
  const options = loadOptions(raw);
  const given = options.wasmModule !== undefined || options.wasmBinary !== undefined || options.wasmUrl !== undefined;
  return loadWith(given ? options : { ...options, wasmModule });
}
