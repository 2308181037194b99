/**
 * Find the wasm -> compile (streaming when the server says application/wasm) -> instantiate ->
 * binding. The only runtime-specific code of the shared path lives here: reading a file: URL where
 * fetch() cannot (Node), through process.getBuiltinModule, so no bundler ever sees an import of
 * node:fs. Emscripten's own fetch-a-path logic is never used: the glue is built for the web only and
 * build.sh strips the URL it would compute (wasm/post-link.mjs), so it also runs where modules have
 * no URL (Cloudflare Workers).
 */

import { EXPORT_NAMES, type Exports, FFI } from './binding/abi.js';
import { Binding, type HostCallbacks, hostTable } from './binding/binding.js';
import { boolean, bytes, callable, integer, plain, record, url } from './core/convert.js';
import { EntropyUnavailableError, OpenSSLWasmError } from './errors.js';
import type { LeakInfo } from './ledger/objects.js';
import createOpenSSLModule from './openssl.mjs';

/**
 * `WebAssembly.Module` where the consumer's lib declares it (dom, webworker), else `object`: the
 * published types must compile with `lib: ["es2022"]` alone, which has no WebAssembly namespace.
 */
export type WasmModule = typeof globalThis extends { WebAssembly: { Module: { prototype: infer M } } } ? M : object;

/** The host's `URL` where the consumer's lib declares one (dom, @types/node), else nothing: es2022 alone has no URL. */
export type WasmUrl = typeof globalThis extends { URL: { prototype: infer U } } ? U : never;

/** Options of loadOpenSSL(). */
export interface LoadOptions {
  /** Record JS stacks for every event and handle (slower; for development and teaching). */
  debug?: boolean;
  /** Observe the references OpenSSL takes on its own (default true). */
  trace?: boolean;
  /** A compiled module (WebAssembly.compile of openssl.wasm), to make many instances without recompiling. */
  wasmModule?: WasmModule;
  /** The module's bytes, when you have them already (skips fetching). */
  wasmBinary?: ArrayBuffer | SharedArrayBuffer | ArrayBufferView;
  /**
   * Where to fetch the module from (default: openssl.wasm beside this file). A relative URL
   * resolves against the page (document.baseURI, or the Worker's location), else against the
   * working directory (Node, Deno, Bun).
   */
  wasmUrl?: string | WasmUrl;
  /** Called as the module downloads: bytes so far, and the total when the server sent Content-Length. */
  onProgress?: (loaded: number, total: number | undefined) => void;
  /**
   * Upper bound of the instance's memory in bytes (default 2 GiB; at least 16 MiB, the initial
   * size). At the cap, allocations fail inside OpenSSL (OpenSSLError "malloc failure") and the
   * instance recovers once memory is freed; a trap marks the instance failed. With a cap, loading
   * also builds all of OpenSSL's algorithm tables up front (about 15 ms): built lazily, a table
   * whose first build met the cap would lack algorithms for the instance's life.
   */
  maxMemory?: number;
  /**
   * Called when a session handle, a connection or a context is garbage-collected without free()
   * (`info.kind`; `info.created` in debug mode); default: a console warning. Only reports: it never frees.
   */
  onLeak?: (id: string, info: LeakInfo) => void;
}

/**
 * The options as the caller wrote them, converted once (the gate's first step): own properties
 * only (an option inherited from a polluted Object.prototype, `wasmBinary`: someone else's module,
 * `trace: false`, is no option), and each of its declared kind, refused rather than coerced:
 * `debug: 'yes'` or `trace: 0` is a TypeError, a maxMemory of '32 MiB', 1.5 or NaN is refused,
 * wasmBinary is copied through the intrinsic getters (a Proxy, a lying length or a detached
 * buffer never reaches the compiler), a callback is a function. No caller code runs after this.
 */
export function loadOptions(v: unknown): LoadOptions {
  const o = record(
    v,
    'loadOpenSSL: options',
    ['debug', 'trace', 'wasmModule', 'wasmBinary', 'wasmUrl', 'onProgress', 'maxMemory', 'onLeak'],
    { exact: true },
  );
  const what = (k: string): string => `loadOpenSSL: options.${k}`;
  const out: LoadOptions = plain({});
  if (o.debug !== undefined) out.debug = boolean(o.debug, what('debug'));
  if (o.trace !== undefined) out.trace = boolean(o.trace, what('trace'));
  if (o.wasmModule !== undefined) {
    if (!(o.wasmModule instanceof WebAssembly.Module)) throw new TypeError('wasmModule must be a WebAssembly.Module');
    out.wasmModule = o.wasmModule as WasmModule;
  }
  if (o.wasmBinary !== undefined) out.wasmBinary = bytes(o.wasmBinary, what('wasmBinary'));
  if (o.wasmUrl !== undefined) out.wasmUrl = url(o.wasmUrl, what('wasmUrl')) as string | WasmUrl;
  if (o.onProgress !== undefined) out.onProgress = callable(o.onProgress, what('onProgress')) as LoadOptions['onProgress'];
  if (o.maxMemory !== undefined) out.maxMemory = integer(o.maxMemory, MEMORY_BYTES, what('maxMemory'));
  if (o.onLeak !== undefined) out.onLeak = callable(o.onLeak, what('onLeak')) as LoadOptions['onLeak'];
  return out;
}

const WASM_PAGE = 65536;
/** build.sh links with -sINITIAL_MEMORY=16MB; growth is bounded by the memory the loader makes. */
const INITIAL_MEMORY = 16 * 1024 * 1024;
const MAX_MEMORY = 2 * 1024 * 1024 * 1024 - WASM_PAGE;
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
/** maxMemory: whole bytes, from the initial memory to the most a wasm32 memory is given here (floored to 64 KiB pages). */
const MEMORY_BYTES = {
  name: `a whole number of bytes from ${INITIAL_MEMORY} (16 MiB) to ${MAX_MEMORY} (2 GiB - 64 KiB)`,
  min: INITIAL_MEMORY,
  max: MAX_MEMORY,
};

/** How to get the module past a bundler or runtime that lost it: said once, in every load error. */
const FIXES =
  'Fixes: serve or copy node_modules/openssl-session-wasm/dist/openssl.wasm there; or pass loadOpenSSL({ wasmUrl }) ' +
  "pointing at where you serve it, or { wasmBinary } / { wasmModule }; or import from 'openssl-session-wasm/inline' " +
  '(the module embedded in JavaScript, no file to serve). See docs/runtimes.md.';

interface Globals {
  document?: { baseURI?: string };
  location?: { href?: string };
  process?: { cwd?: () => string; getBuiltinModule?: (id: string) => unknown };
}
const globals = globalThis as Globals;

function defaultWasmUrl(): URL {
  try {
    // The exact form bundlers (Vite, webpack, Parcel) recognise and rewrite to the emitted asset.
    return new URL('./openssl.wasm', import.meta.url);
  } catch (error) {
    throw new OpenSSLWasmError(
      `cannot locate openssl.wasm: this runtime gives modules no URL (import.meta.url is ${String(import.meta.url)}; ` +
        "Cloudflare Workers do this). Import the module and pass it: import wasmModule from 'openssl-session-wasm/openssl.wasm'; " +
        "loadOpenSSL({ wasmModule }) — or import from 'openssl-session-wasm', whose workerd entry does that for you.",
      { cause: error },
    );
  }
}

/** A relative wasmUrl resolves against the page, else the working directory (as a file: URL). */
function resolveWasmUrl(given: string | WasmUrl | undefined): URL {
  if (given === undefined) return defaultWasmUrl();
  if (given instanceof URL) return given;
  if (typeof given !== 'string') throw new TypeError('wasmUrl must be a string or a URL');
  const cwd = globals.process?.cwd?.();
  const base = globals.document?.baseURI ?? globals.location?.href ?? (cwd ? `file://${cwd.replace(/\/?$/, '/')}` : undefined);
  try {
    return new URL(given, base);
  } catch (error) {
    throw new OpenSSLWasmError(`wasmUrl "${given}" is not a URL, and there is no page or working directory to resolve it against`, {
      cause: error,
    });
  }
}

function checkMagic(bytes: Uint8Array, what: string, contentType?: string | null): void {
  if (WASM_MAGIC.every((b, i) => bytes[i] === b)) return;
  const start = new TextDecoder().decode(bytes.subarray(0, 64)).replace(/\s+/g, ' ').trim();
  const looksHtml = /^<(!doctype|html|head|body|!--)/i.test(start);
  throw new OpenSSLWasmError(
    `${what} is not WebAssembly (${bytes.length} bytes${contentType ? `, Content-Type ${contentType}` : ''}, ` +
      `starting "${start.slice(0, 40)}")${looksHtml ? ': the server answered with an HTML page, likely its fallback for a file it does not have' : ''}. ${FIXES}`,
  );
}

/** Node reads file: URLs through node:fs, reached without an import a bundler would try to resolve. */
async function readFileUrl(url: URL): Promise<Uint8Array> {
  const fs = globals.process?.getBuiltinModule?.('fs') as { promises: { readFile(u: URL): Promise<Uint8Array> } } | undefined;
  if (!fs) {
    throw new OpenSSLWasmError(
      `cannot read ${url.href}: this runtime has neither fetch() for file: URLs nor process.getBuiltinModule (Node >= 20.16). ` +
        'Pass the bytes yourself: loadOpenSSL({ wasmBinary: await readFile(path) }).',
    );
  }
  try {
    return await fs.promises.readFile(url);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : String(error);
    throw new OpenSSLWasmError(
      `could not read openssl.wasm at ${decodeURIComponent(url.pathname)}: ${why}${code ? ` (${code})` : ''}. ` +
        'If this code was bundled, the bundler did not copy the module beside its output. ' +
        FIXES,
      { cause: error },
    );
  }
}

/** The body, counting bytes for onProgress when asked to. */
function counted(response: Response, onProgress: LoadOptions['onProgress']): Response {
  if (!onProgress || !response.body) return response;
  const length = Number(response.headers.get('content-length'));
  const total = Number.isFinite(length) && length > 0 ? length : undefined;
  let loaded = 0;
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        loaded += chunk.byteLength;
        onProgress(loaded, total);
        controller.enqueue(chunk);
      },
    }),
  );
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** Finds and compiles the module: given, or from bytes, or fetched (streaming when served as application/wasm). */
async function wasmModuleOf(options: LoadOptions): Promise<WebAssembly.Module> {
  // Converted by loadOptions: a Module, and a private copy of the bytes.
  if (options.wasmModule !== undefined) return options.wasmModule as WebAssembly.Module;
  if (options.wasmBinary !== undefined) {
    const bytes = options.wasmBinary as Uint8Array;
    checkMagic(bytes, 'wasmBinary');
    return compile(bytes, 'wasmBinary');
  }
  const url = resolveWasmUrl(options.wasmUrl);
  if (url.protocol === 'file:' && globals.process?.getBuiltinModule) {
    // Node's fetch() refuses file: URLs; Bun and Deno read them the same way.
    const bytes = await readFileUrl(url);
    options.onProgress?.(bytes.byteLength, bytes.byteLength);
    checkMagic(bytes, url.href);
    return compile(bytes, url.href);
  }
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new OpenSSLWasmError(`could not fetch ${url.href}: ${String(error)}. ${FIXES}`, { cause: error });
  }
  if (!response.ok) {
    throw new OpenSSLWasmError(
      `could not fetch ${url.href}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}. ` +
        'The module is not served at that address (a bundler that does not follow new URL(..., import.meta.url) leaves it behind). ' +
        FIXES,
    );
  }
  const contentType = response.headers.get('content-type');
  const body = counted(response, options.onProgress);
  if (contentType?.split(';')[0].trim().toLowerCase() === 'application/wasm' && typeof WebAssembly.compileStreaming === 'function') {
    // Compiles while downloading; what arrives is never buffered twice.
    try {
      return await WebAssembly.compileStreaming(body);
    } catch (error) {
      throw new OpenSSLWasmError(`${url.href} (served as application/wasm) is not a valid WebAssembly module: ${String(error)}. ${FIXES}`, {
        cause: error,
      });
    }
  }
  const bytes = new Uint8Array(await body.arrayBuffer());
  checkMagic(bytes, url.href, contentType);
  return compile(bytes, url.href);
}

async function compile(bytes: Uint8Array, what: string): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes as BufferSource);
  } catch (error) {
    throw new OpenSSLWasmError(`${what} is not a valid WebAssembly module: ${String(error)}`, { cause: error });
  }
}

/**
 * Instantiates one independent module (its own memory) and returns its typed exports. What C calls
 * back into goes to `callbacks`, through a frozen table made here, before the module exists.
 */
export async function instantiate(options: LoadOptions, callbacks: HostCallbacks): Promise<Binding> {
  const rng = (globalThis as { crypto?: { getRandomValues?: unknown } }).crypto;
  if (!rng || typeof rng.getRandomValues !== 'function') {
    throw new EntropyUnavailableError(
      'crypto.getRandomValues is not available: OpenSSL cannot be seeded from a secure source, so it is not loaded',
    );
  }
  const initialPages = INITIAL_MEMORY / WASM_PAGE;
  const maxPages = Math.floor((options.maxMemory ?? MAX_MEMORY) / WASM_PAGE); // a checked whole number (loadOptions)
  const memory = new WebAssembly.Memory({ initial: initialPages, maximum: maxPages });
  const source = await wasmModuleOf(options);
  const host = hostTable(callbacks);
  const instance = await new Promise<WebAssembly.Instance>((resolve, reject) => {
    let received: WebAssembly.Instance | undefined;
    createOpenSSLModule({
      instantiateWasm(imports, receive) {
        WebAssembly.instantiate(source, imports).then((instance) => {
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
    throw new OpenSSLWasmError(
      `could not instantiate OpenSSL's WebAssembly module: ${String(error)} (is it this version's openssl.wasm? a module from another build has other imports)`,
      { cause: error },
    );
  });
  const raw: Record<string, unknown> = { ...(instance.exports as Record<string, unknown>), memory };
  // Each export's arity is the FFI table's argument count: a module from another build fails here, not in C.
  const missing = EXPORT_NAMES.filter(
    (name) => typeof raw[name] !== 'function' || (raw[name] as () => unknown).length !== FFI[name].length - 1,
  );
  if (missing.length > 0) {
    throw new OpenSSLWasmError(
      `the wasm module lacks exports (or has other signatures): ${missing.join(', ')} (it is not this version's openssl.wasm)`,
    );
  }
  return new Binding(raw as unknown as Exports, host);
}
