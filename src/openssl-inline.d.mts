// Types of dist/openssl-inline.mjs, which the build writes from wasm/dist/openssl.wasm (base64).
export declare const wasmBase64: string;
