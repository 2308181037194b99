/**
 * Find the wasm bytes -> instantiate -> binding. The only runtime-specific code of the shared path
 * lives here: reading a file: URL in Node (whose fetch() refuses file: URLs). Emscripten's own
 * fetch-a-path logic is never used; its glue is built for the web environment only, so Deno and Bun
 * can never be mistaken for Node by it.
 */
import { EXPORT_NAMES, type Exports } from './binding/abi.js';
import { Binding, type HostHandlers } from './binding/binding.js';
import { EntropyUnavailableError, InvalidArgumentError, OpenSSLWasmError } from './errors.js';
import createOpenSSLModule from './openssl.mjs';

/**
 * `WebAssembly.Module` where the consumer's lib declares it (dom, webworker), else `object`: the
 * published types must compile with `lib: ["es2022"]` alone, which has no WebAssembly namespace.
 */
export type WasmModule = typeof globalThis extends { WebAssembly: { Module: { prototype: infer M } } } ? M : object;

/** Options of loadOpenSSL(). */
export interface LoadOptions {
  /** Record JS stacks for every event and handle (slower; for development and teaching). */
  debug?: boolean;
  /** Observe the references OpenSSL takes on its own (default true). */
  trace?: boolean;
  /** A compiled module (WebAssembly.compile of openssl.wasm), to make many instances without recompiling. */
  wasmModule?: WasmModule;
  /** The module's bytes, when you have them already (skips fetching). */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Where to fetch the module from (default: openssl.wasm beside this file). */
  wasmUrl?: string | URL;
  /**
   * Upper bound of the instance's memory in bytes (default 2 GiB; at least 16 MiB, the initial
   * size). At the cap, allocations fail inside OpenSSL (OpenSSLError "malloc failure") and the
   * instance recovers once memory is freed; a trap marks the instance failed. With a cap, loading
   * also builds all of OpenSSL's algorithm tables up front (about 15 ms): built lazily, a table
   * whose first build met the cap would lack algorithms for the instance's life.
   */
  maxMemory?: number;
  /** Called when a handle is garbage-collected without free(); default: a console warning. */
  onLeak?: (sessionId: string) => void;
}

const WASM_PAGE = 65536;
/** build.sh links with -sINITIAL_MEMORY=16MB; growth is bounded by the memory the loader makes. */
const INITIAL_MEMORY = 16 * 1024 * 1024;
const MAX_MEMORY = 2 * 1024 * 1024 * 1024 - WASM_PAGE;

const defaultWasmUrl = (): URL => new URL('./openssl.wasm', import.meta.url);

async function wasmBytes(options: LoadOptions): Promise<ArrayBuffer | Uint8Array> {
  if (options.wasmBinary) return options.wasmBinary;
  const url = options.wasmUrl instanceof URL ? options.wasmUrl : new URL(options.wasmUrl ?? defaultWasmUrl());
  if (url.protocol === 'file:') {
    // Node's fetch() rejects file: URLs; Deno and Bun read them the same way through node:fs.
    const fsModule = 'node:fs/promises';
    const { readFile } = (await import(/* @vite-ignore */ fsModule)) as { readFile(u: URL): Promise<Uint8Array> };
    return readFile(url);
  }
  const response = await fetch(url);
  if (!response.ok) throw new OpenSSLWasmError(`could not fetch ${url.href}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

/** Instantiates one independent module (its own memory) and returns its typed exports. */
export async function instantiate(options: LoadOptions): Promise<Binding> {
  const rng = (globalThis as { crypto?: { getRandomValues?: unknown } }).crypto;
  if (!rng || typeof rng.getRandomValues !== 'function') {
    throw new EntropyUnavailableError(
      'crypto.getRandomValues is not available: OpenSSL cannot be seeded from a secure source, so it is not loaded',
    );
  }
  const initialPages = INITIAL_MEMORY / WASM_PAGE;
  const maxPages = Math.floor((options.maxMemory ?? MAX_MEMORY) / WASM_PAGE);
  if (!(maxPages >= initialPages && maxPages <= MAX_MEMORY / WASM_PAGE)) {
    throw new InvalidArgumentError(`maxMemory must be between ${INITIAL_MEMORY} and ${MAX_MEMORY} bytes`);
  }
  const memory = new WebAssembly.Memory({ initial: initialPages, maximum: maxPages });
  const source: BufferSource | WebAssembly.Module = options.wasmModule ?? ((await wasmBytes(options)) as BufferSource);
  const host: HostHandlers = {
    fault(error) {
      throw error;
    },
  };
  const instance = await new Promise<WebAssembly.Instance>((resolve, reject) => {
    let received: WebAssembly.Instance | undefined;
    createOpenSSLModule({
      instantiateWasm(imports, receive) {
        const instantiated =
          source instanceof WebAssembly.Module
            ? WebAssembly.instantiate(source, imports)
            : WebAssembly.instantiate(source, imports).then((result) => result.instance);
        instantiated.then((instance) => {
          received = instance;
          receive(instance);
        }, reject);
        return {};
      },
      oswHost: host,
      wasmMemory: memory,
      print: (text) => console.log(text),
      printErr: (text) => console.warn(text),
    }).then(() => (received ? resolve(received) : reject(new Error('no instance'))), reject);
  }).catch((error: unknown) => {
    throw new OpenSSLWasmError(`could not instantiate OpenSSL's WebAssembly module: ${String(error)}`);
  });
  const raw: Record<string, unknown> = { ...(instance.exports as Record<string, unknown>), memory };
  const missing = EXPORT_NAMES.filter((name) => raw[name] === undefined);
  if (missing.length > 0) throw new OpenSSLWasmError(`the wasm module lacks exports: ${missing.join(', ')}`);
  return new Binding(raw as unknown as Exports, host);
}
