// Writes dist.next/openssl-inline.mjs: openssl.wasm as one base64 string, for the
// openssl-session-wasm/inline entry (src/inline.ts). Run by `npm run build:ts`.
import { readFileSync, writeFileSync } from 'node:fs';

const [from, to] = process.argv.slice(2);
const base64 = readFileSync(from).toString('base64');
writeFileSync(to, `// Generated from openssl.wasm by scripts/inline-wasm.mjs: do not edit.\nexport const wasmBase64 = '${base64}';\n`);
