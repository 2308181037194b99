// The Deno and Bun samples of docs/transports.md, run as written in their runtimes against a Node
// tls server on 127.0.0.1 (the docs runner runs the Node ones; these need another runtime). Each
// gets `caPem` and `port` prepended, as the Node samples get them from their prelude.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksOf } from '../docs/blocks.js';
import { loadInstance } from '../support/instance.js';
import { bin, root, runRuntime } from './fixture.js';

const blocks = blocksOf(root, 'docs/transports.md');
const sampleFor = (runtime: string): string => {
  const block = blocks.find((b) => b.directive?.kind === 'not run' && b.directive.reason.includes(`runs this block in ${runtime}`));
  if (!block) throw new Error(`docs/transports.md has no ${runtime} sample`);
  return block.code;
};

let server: tls.Server;
let prelude: string;
let work: string;
const reused: boolean[] = [];

beforeAll(async () => {
  const cert = (await loadInstance()).generateCertificate({ commonName: 'localhost', keyType: 'P-256' });
  server = tls.createServer({ cert: cert.certificate, key: cert.privateKey }, (s) => {
    reused.push(s.isSessionReused());
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  prelude = `const caPem = ${JSON.stringify(cert.certificate)};\nconst port = ${port};\n`;
  // Inside the checkout, so Bun finds the package by its own name (package.json "exports").
  work = mkdtempSync(join(root, 'test/transports/.samples-'));
});
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await new Promise((resolve) => server.close(resolve));
});

describe('the runtime samples of docs/transports.md', () => {
  it('Deno: the sample resumes its session against a Node tls server', async () => {
    const file = join(work, 'deno-sample.ts');
    writeFileSync(file, prelude + sampleFor('Deno'));
    const importMap = join(work, 'import-map.json');
    writeFileSync(
      importMap,
      JSON.stringify({
        imports: { 'openssl-session-wasm': `${root}dist/index.js`, 'openssl-session-wasm/web': `${root}dist/web/index.js` },
      }),
    );
    const before = reused.length;
    const out = await runRuntime(
      bin('deno'),
      ['run', '--no-config', '--no-prompt', `--import-map=${importMap}`, `--allow-read=${root}dist`, '--allow-net=127.0.0.1', file],
      { DENO_NO_UPDATE_CHECK: '1', DENO_DIR: join(root, 'node_modules/.cache/deno') },
    );
    expect(out.trim()).toBe('deno resumed: true');
    expect(reused.slice(before)).toEqual([false, true]);
  });

  it('Bun: the sample resumes its session against a Node tls server', async () => {
    const file = join(work, 'bun-sample.ts');
    writeFileSync(file, prelude + sampleFor('Bun'));
    const before = reused.length;
    const out = await runRuntime(bin('bun'), ['run', '--no-install', file]);
    expect(out.trim()).toBe('bun resumed: true');
    expect(reused.slice(before)).toEqual([false, true]);
  });
});
