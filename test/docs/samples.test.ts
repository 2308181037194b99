// Every fenced code block of README.md and docs/*.md, as a reader would use it: `ts` blocks are
// type-checked (strict, skipLibCheck off) against the package's published .d.ts in a scratch
// consumer project and then run; `js` blocks run; a `<!-- prints -->` text block is compared with
// the block's stdout; any other block must say why it is not run. See test/docs/blocks.ts.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Block, blocksOf, documentationFiles, RUNNABLE } from './blocks.js';

const root = new URL('../..', import.meta.url).pathname;
const files = documentationFiles(root);
const blocks = files.flatMap((file) => blocksOf(root, file));
const runnable = blocks.filter((b) => RUNNABLE.has(b.lang) && b.directive?.kind !== 'not run');

/** One module per block: "docs_tls_md_5.mts". A prelude is prepended, so line numbers are offset by it. */
const moduleName = (b: Block): string => `${b.file.replace(/[^A-Za-z0-9]/g, '_')}_${b.line}.${b.lang === 'ts' ? 'mts' : 'mjs'}`;
const preludeOf = (b: Block): string =>
  b.directive?.kind === 'prelude' ? readFileSync(join(root, 'test/docs/preludes', `${b.directive.name}.ts`), 'utf8') : '';

let work: string;
let diagnostics: string;

beforeAll(() => {
  // A consumer project: the package by its name (a link to this checkout, resolved through its
  // "exports" to dist/), Node's types, nothing else.
  work = mkdtempSync(join(tmpdir(), 'osw-docs-'));
  mkdirSync(join(work, 'node_modules'));
  symlinkSync(root, join(work, 'node_modules/openssl-session-wasm'));
  symlinkSync(join(root, 'node_modules/@types'), join(work, 'node_modules/@types'));
  writeFileSync(join(work, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  writeFileSync(
    join(work, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        lib: ['es2022'],
        types: ['node'],
        skipLibCheck: false,
        outDir: 'out',
        rootDir: '.',
      },
      include: ['*.mts'],
    }),
  );
  for (const b of runnable) writeFileSync(join(work, moduleName(b)), `${preludeOf(b)}${b.code}`);
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', work], { encoding: 'utf8' });
  diagnostics = tsc.stdout + tsc.stderr;
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function run(b: Block): { status: number | null; stdout: string; stderr: string } {
  const entry = b.lang === 'ts' ? join(work, 'out', moduleName(b).replace(/\.mts$/, '.mjs')) : join(work, moduleName(b));
  const result = spawnSync(process.execPath, [entry], {
    cwd: work,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: result.status, stdout: result.stdout.replace(/\r\n/g, '\n'), stderr: result.stderr };
}

describe.each(files.filter((file) => blocks.some((b) => b.file === file)))('the code blocks of %s', (file) => {
  const own = blocks.filter((b) => b.file === file);
  const samples = own.filter((b) => RUNNABLE.has(b.lang) && b.directive?.kind !== 'not run');
  const others = own.filter((b) => !samples.includes(b) && !(b.lang === 'text'));

  if (samples.length > 0) {
    it.each(samples.map((b) => [b.where, b] as const))(
      '%s type-checks (strict, the published .d.ts), runs and prints what the page says',
      (_, b) => {
        const mine = diagnostics.split('\n').filter((line) => line.startsWith(moduleName(b)) || line.includes(`/${moduleName(b)}(`));
        expect(mine, `${b.where}: tsc reports (line numbers include the prelude, ${preludeOf(b).split('\n').length - 1} lines)`).toEqual(
          [],
        );
        const { status, stdout, stderr } = run(b);
        expect(status, `${b.where} exited with ${status}:\n${stderr}`).toBe(0);
        if (b.prints !== undefined) expect(stdout, `${b.where}: stdout`).toBe(b.prints);
      },
    );
  }
  if (others.length > 0) {
    it.each(others.map((b) => [b.where, b.lang || '(no language)', b] as const))('%s (%s) is not run, and says why', (_, __, b) => {
      expect(b.lang, `${b.where}: give the block a language (\`\`\`text for output)`).not.toBe('');
      expect(b.directive?.kind, `${b.where}: a ${b.lang} block needs <!-- not run: REASON --> before it, or make it ts/js`).toBe('not run');
    });
  }
});

it('no diagnostics outside the samples (the scratch project itself compiles)', () => {
  const stray = diagnostics.split('\n').filter((line) => /error TS/.test(line) && !runnable.some((b) => line.includes(moduleName(b))));
  expect(stray).toEqual([]);
});
