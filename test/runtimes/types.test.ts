// The published types as consumers compile them: the packed tarball installed into a project,
// strict, skipLibCheck off, for every lib (es2022 alone, with dom), with and without @types/node,
// under each moduleResolution TypeScript offers for ESM (bundler, nodenext, node16). The /node
// entry needs @types/node (an optional peer), so it is compiled only where the consumer has it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Consumer, installPackedConsumer } from './consumer.js';
import { root } from './harness.js';

const tsc = join(root, 'node_modules/typescript/bin/tsc');

/** Uses the types the way a program does, including what must not compile (@ts-expect-error). */
const mainEntry = `import { DoubleFreeError, loadOpenSSL, type LoadOptions, type OpenSSL, OpenSSLWasmError, type Session } from 'openssl-session-wasm';
import * as inline from 'openssl-session-wasm/inline';

const options: LoadOptions = { wasmUrl: 'openssl.wasm', onProgress: (loaded: number, total: number | undefined) => void [loaded, total] };
const ossl: OpenSSL = await loadOpenSSL(options);
const other: OpenSSL = await inline.loadOpenSSL({ maxMemory: 32 * 1024 * 1024 });
const s: Session = ossl.SSL_SESSION_new();
const references: number = ossl.ledger.holders(s).references;
s.free();
export const refused: unknown[] = [];
try {
  s.free();
} catch (e) {
  if (e instanceof DoubleFreeError) {
    const name: 'DoubleFreeError' = e.name; // error names are literal types
    refused.push(name, e instanceof OpenSSLWasmError);
  }
}
// @ts-expect-error a string is not a wasm URL's bytes
await loadOpenSSL({ wasmBinary: 'openssl.wasm' });
// @ts-expect-error holders() takes a Session, a SessionView or a live session's id
ossl.ledger.holders({ id: 'S1' });
// @ts-expect-error the session layer has no such function
ossl.SSL_SESSION_frees(s);
export const seen = [references, other.version];
`;

const nodeEntry = `import { connectTLS } from 'openssl-session-wasm/node';
import { loadOpenSSL } from 'openssl-session-wasm';

const ossl = await loadOpenSSL();
const context = ossl.createContext({ role: 'client', ca: '' });
export const pending = connectTLS({ host: '127.0.0.1', port: 443, context, servername: 'localhost' });
`;

interface Variant {
  lib: string[];
  node: boolean;
  resolution: 'bundler' | 'nodenext' | 'node16';
}
const variants: Variant[] = [];
for (const lib of [['es2022'], ['es2022', 'dom']]) {
  for (const node of [false, true]) {
    for (const resolution of ['bundler', 'nodenext', 'node16'] as const) variants.push({ lib, node, resolution });
  }
}

let consumer: Consumer;
/** The installed project without @types/node, and a second one with it (the same package, linked). */
let withoutNode: string;
let withNode: string;

beforeAll(() => {
  consumer = installPackedConsumer('osw-types-');
  withoutNode = consumer.app;
  withNode = join(consumer.scratch, 'app-with-node');
  mkdirSync(join(withNode, 'node_modules/@types'), { recursive: true });
  symlinkSync(join(withoutNode, 'node_modules/openssl-session-wasm'), join(withNode, 'node_modules/openssl-session-wasm'));
  symlinkSync(join(root, 'node_modules/@types/node'), join(withNode, 'node_modules/@types/node'));
  for (const dir of [withoutNode, withNode]) {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    writeFileSync(join(dir, 'main.ts'), mainEntry);
  }
  writeFileSync(join(withNode, 'node.ts'), nodeEntry);
}, 120_000);

afterAll(() => {
  if (consumer) rmSync(consumer.scratch, { recursive: true, force: true });
});

describe('the published types compile in consumer projects (strict, skipLibCheck: false)', () => {
  it.each(variants.map((v) => [v.lib.join('+'), v.node ? 'with @types/node' : 'without @types/node', v.resolution, v] as const))(
    'lib %s, %s, moduleResolution %s',
    (_, __, ___, v) => {
      const dir = v.node ? withNode : withoutNode;
      const name = `tsconfig.${v.lib.join('-')}.${v.resolution}.json`;
      writeFileSync(
        join(dir, name),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            skipLibCheck: false,
            noEmit: true,
            target: 'es2022',
            lib: v.lib,
            types: v.node ? ['node'] : [],
            module: v.resolution === 'bundler' ? 'esnext' : v.resolution,
            moduleResolution: v.resolution,
          },
          files: v.node ? ['main.ts', 'node.ts'] : ['main.ts'],
        }),
      );
      const run = spawnSync(process.execPath, [tsc, '-p', name], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
      expect(`${run.stdout}${run.stderr}`).toBe('');
      expect(run.status).toBe(0);
    },
  );
});
