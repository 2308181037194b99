// Post-link step of build.sh on Emscripten's ES-module glue: the glue computes
// new URL('openssl.wasm', import.meta.url) when its factory runs, even though the loader always
// supplies instantiateWasm and the glue never fetches. That expression throws where modules have no
// URL (Cloudflare Workers) and makes bundlers emit a second copy of the module. Replace it with the
// bare name (never used), and fail the build if a toolchain writes it in a form this does not know.
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.argv[2];
const glue = readFileSync(file, 'utf8');
const urlOfWasm = /new URL\(\s*(["'])([\w.-]+\.wasm)\1\s*,\s*import\.meta\.url\s*\)(\.toString\(\)|\.href)?/g;
const stripped = glue.replace(urlOfWasm, (_, quote, name) => `${quote}${name}${quote}`);
if (/new URL\([^)]*import\.meta\.url/.test(stripped)) {
  console.error(`[build] ${file}: the glue still builds a URL from import.meta.url in a form post-link.mjs does not know`);
  process.exit(1);
}
writeFileSync(file, stripped);
console.log(`[build] glue: ${glue === stripped ? 'no' : 'stripped the'} default wasm URL (the loader supplies the module)`);
