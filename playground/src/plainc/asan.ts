// The sacrificial instance for "Run it in plain C": the same OpenSSL, libssl compiled with
// AddressSanitizer, called through its raw exports with no ledger in between. It is fetched only
// when a student asks for it, and every run gets a fresh instance: ASan aborts the instance at its
// first report, and a corrupted heap is never reused.
import type { AsanModule } from '@asan/openssl-asan.mjs';

/** A fresh instance and everything it printed to stderr (ASan writes its report there). */
export interface AsanInstance {
  call(name: string, ...args: number[]): number;
  heap(): Uint8Array;
  readonly stderr: string[];
  /** Set once the instance aborted: nothing may be called on it any more. */
  aborted: boolean;
}

let bytes: Promise<ArrayBuffer> | null = null;

async function loadBytes(): Promise<ArrayBuffer> {
  const { default: url } = await import('@asan/openssl-asan.wasm?url');
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not fetch the AddressSanitizer build: HTTP ${response.status}`);
  return response.arrayBuffer();
}

export async function freshAsanInstance(): Promise<AsanInstance> {
  bytes ??= loadBytes().catch((error: unknown) => {
    bytes = null;
    throw error;
  });
  const [{ default: create }, wasm] = await Promise.all([import('@asan/openssl-asan.mjs'), bytes]);
  const stderr: string[] = [];
  // Emscripten keeps the bytes to turn code offsets into function names for ASan's stacks.
  const m: AsanModule = await create({
    wasmBinary: wasm.slice(0),
    print: (text) => stderr.push(text),
    printErr: (text) => stderr.push(text),
    onAbort: () => {
      instance.aborted = true;
    },
    oswHost: {},
  });
  const instance: AsanInstance = {
    stderr,
    aborted: false,
    heap: () => m.HEAPU8,
    call(name, ...args) {
      if (instance.aborted) throw new Error('this instance aborted after an AddressSanitizer report');
      const fn = m[`_${name}`];
      if (typeof fn !== 'function') throw new Error(`the AddressSanitizer build has no export ${name}`);
      try {
        return fn(...args);
      } catch (error) {
        // ASan ends the program after its report (an abort or exit, thrown through the wasm frames).
        instance.aborted = true;
        throw error;
      }
    },
  };
  return instance;
}
