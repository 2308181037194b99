// Prints the linker's export list (-sEXPORTED_FUNCTIONS: `_name,_name,...`) derived from the one FFI
// table, src/binding/abi.ts, for build.sh and wasm/asan.sh. The table is TypeScript: it is
// transpiled in memory (typescript is a devDependency; the file has no runtime imports), so this
// works on a fresh clone before dist/ exists.
import { readFileSync } from 'node:fs';

const table = new URL('../src/binding/abi.ts', import.meta.url);
let ts;
try {
  ts = (await import('typescript')).default;
} catch {
  console.error('wasm/export-list.mjs: typescript is missing; run `npm install` first (build.sh runs under npm start / npm test)');
  process.exit(1);
}
const js = ts.transpileModule(readFileSync(table, 'utf8'), {
  compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  fileName: table.pathname,
}).outputText;
const { FFI } = await import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`);
const names = Object.keys(FFI);
if (names.length === 0 || !names.every((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n))) {
  console.error(`wasm/export-list.mjs: ${table.pathname} gave no usable export names`);
  process.exit(1);
}
console.log(names.map((n) => `_${n}`).join(','));
