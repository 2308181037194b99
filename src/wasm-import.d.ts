// What a Workers host makes of `import m from './openssl.wasm'` (src/workerd.ts only).
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
