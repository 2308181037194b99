/**
 * openssl-session-wasm/inline: the same API, with openssl.wasm embedded in this module (base64),
 * for bundlers and hosts that do not follow new URL('./openssl.wasm', import.meta.url) (esbuild,
 * Rollup, Bun's bundler) or where no file can be served. About a third larger to download than the
 * file; the module is compiled once per JavaScript realm and shared by every instance.
 */
import { loadOpenSSL as loadWith } from './index.js';
import { type LoadOptions, loadOptions } from './load.js';
import type { OpenSSL } from './openssl.js';
import { wasmBase64 } from './openssl-inline.mjs';

export * from './index.js';

let compiled: Promise<WebAssembly.Module> | undefined;

function embeddedModule(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const text = atob(wasmBase64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return WebAssembly.compile(bytes);
  })();
  return compiled;
}

/** loadOpenSSL() with the embedded module (a given wasmModule, wasmBinary or wasmUrl still wins). */
export async function loadOpenSSL(raw: LoadOptions = {}): Promise<OpenSSL> {
  const options = loadOptions(raw);
  const given = options.wasmModule !== undefined || options.wasmBinary !== undefined || options.wasmUrl !== undefined;
  return loadWith(given ? options : { ...options, wasmModule: await embeddedModule() });
}
