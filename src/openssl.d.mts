// Types of the ES-module glue Emscripten generates (wasm/dist/openssl.mjs): a factory that
// instantiates the module through the instantiateWasm hook the loader passes in.
export interface OpenSSLModuleOptions {
  instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => void): Record<string, never>;
  oswHost?: unknown;
  wasmMemory?: WebAssembly.Memory;
  print?(text: string): void;
  printErr?(text: string): void;
}
export default function createOpenSSLModule(options: OpenSSLModuleOptions): Promise<unknown>;
