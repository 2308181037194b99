// The sanitized twin built by wasm/asan.sh (vite.config.js aliases @asan to wasm/dist/asan/).
declare module '@asan/openssl-asan.mjs' {
  export interface AsanModule {
    HEAPU8: Uint8Array;
    [name: `_${string}`]: (...args: number[]) => number;
  }
  export interface AsanModuleOptions {
    wasmBinary: ArrayBuffer;
    print(text: string): void;
    printErr(text: string): void;
    onAbort?(what: unknown): void;
    oswHost: Record<string, unknown>;
  }
  const createOpenSSLAsanModule: (options: AsanModuleOptions) => Promise<AsanModule>;
  export default createOpenSSLAsanModule;
}

declare module '@asan/openssl-asan.wasm?url' {
  const url: string;
  export default url;
}
