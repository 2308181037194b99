// The published shape: `npm pack` the package, install the tarball into a scratch project (no
// registry: the package has no dependencies) and use it there by name, as a user would.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFixtureTools, installPackedConsumer, type PackResult, tool } from './consumer.js';
import { bin, denoEnv, expectScenarioPassed, root, runCli, runtimesDir, summary } from './harness.js';

let scratch: string;
let app: string;
let packed: PackResult;

beforeAll(() => {
  ({ scratch, app, packed } = installPackedConsumer('osw-pack-'));
  for (const file of ['scenario.mjs', 'by-name.mjs']) copyFileSync(join(runtimesDir, file), join(app, file));
  console.log(`[npm pack] ${packed.filename}: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${packed.files.length} files`);
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Every .ts under src/ (declarations aside), relative to src/. */
function sources(dir = join(root, 'src')): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [relative(join(root, 'src'), path)] : [];
  });
}

describe('the packed package', () => {
  it('holds exactly the compiled modules with their types, the wasm, its glue and both licenses', () => {
    const expected = [
      ...sources().flatMap((ts) => [`dist/${ts.replace(/\.ts$/, '.js')}`, `dist/${ts.replace(/\.ts$/, '.d.ts')}`]),
      'dist/openssl.mjs',
      'dist/openssl.wasm',
      'dist/openssl-inline.mjs',
      'dist/LICENSE.OpenSSL',
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'package.json',
    ].sort();
    const files = packed.files.map((f) => f.path).sort();
    // A stale dist/ file (from a source since removed) would be published too: build:ts builds into a
    // fresh dist.next/ and swaps it in, so dist/ holds only what the current sources compile to.
    expect(files).toEqual(expected);
    expect(files.filter((f) => /^(src|test|wasm|openssl-src|bench)\/|\.map$/.test(f))).toEqual([]);
    const wasm = packed.files.find((f) => f.path === 'dist/openssl.wasm');
    expect(wasm?.size).toBe(statSync(join(root, 'dist/openssl.wasm')).size);
    // Data, not a program: 644 like every other file but the CLI.
    const modes = Object.fromEntries(packed.files.map((f) => [f.path, (f.mode & 0o777).toString(8)]));
    expect(Object.entries(modes).filter(([path, mode]) => mode !== (path === 'dist/node/cli.js' ? '755' : '644'))).toEqual([]);
  });

  it('publint finds nothing to fix, and are-the-types-wrong resolves every entry under node16 and bundler', () => {
    ensureFixtureTools();
    const publint = spawnSync(tool('publint'), ['run', '--strict', join(app, 'node_modules/openssl-session-wasm')], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(`${publint.stdout}${publint.stderr}`).toContain('All good!');
    expect(publint.status).toBe(0);
    // ESM only: the CommonJS resolutions are out of scope; openssl.wasm is an asset, not a module.
    const attw = spawnSync(
      tool('attw'),
      [join(scratch, packed.filename), '--profile', 'esm-only', '--exclude-entrypoints', './openssl.wasm', '--format', 'table-flipped'],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(attw.status, `${attw.stdout}${attw.stderr}`).toBe(0);
    const rows = stripVTControlCharacters(attw.stdout)
      .split('\n')
      .filter((line) => line.startsWith('│ "openssl-session-wasm'))
      .map((line) => line.split('│').map((cell) => cell.trim()));
    expect(rows.map((cells) => cells[1])).toEqual(
      ['""', '"/inline"', '"/node"', '"/bridge"', '"/web"', '"/package.json"'].map((sub) => `"openssl-session-wasm${sub.slice(1, -1)}"`),
    );
    for (const cells of rows)
      expect(
        [cells[2], cells[3]].every((cell) => cell.startsWith('🟢')),
        cells.join(' | '),
      ).toBe(true);
  }, 300_000);

  it('installed from the tarball, runs the scenario in Node, imported by name', () => {
    const result = runCli(process.execPath, ['by-name.mjs'], { cwd: app });
    expectScenarioPassed(result, /^node \d+\./);
    console.log(summary('node, installed tarball', result));
  });

  it('installed from the tarball, runs the scenario in Deno from node_modules, reading only the .wasm', () => {
    const wasm = 'node_modules/openssl-session-wasm/dist/openssl.wasm';
    const result = runCli(bin('deno'), ['run', '--no-prompt', '--no-remote', `--allow-read=${wasm}`, 'by-name.mjs'], {
      cwd: app,
      env: denoEnv,
    });
    expectScenarioPassed(result, /^deno 2\./);
    console.log(summary('deno, installed tarball', result));
  });

  it('installed from the tarball, runs the scenario in Bun', () => {
    const result = runCli(bin('bun'), ['run', '--no-install', 'by-name.mjs'], { cwd: app });
    expectScenarioPassed(result, /^bun 1\./);
    console.log(summary('bun, installed tarball', result));
  });

  it('tree-shakes ("sideEffects": false): a Vite app using only an error class bundles none of the loader or glue', () => {
    const shake = join(app, 'shake');
    mkdirSync(shake);
    writeFileSync(join(shake, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>\n');
    writeFileSync(join(shake, 'main.js'), "import { DoubleFreeError } from 'openssl-session-wasm';\nconsole.log(DoubleFreeError.name);\n");
    const build = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
      cwd: shake,
      encoding: 'utf8',
    });
    expect(build.status).toBe(0);
    const js = readdirSync(join(shake, 'dist/assets')).filter((f) => f.endsWith('.js'));
    expect(js).toHaveLength(1);
    const bundle = readFileSync(join(shake, 'dist/assets', js[0]), 'utf8');
    expect(bundle).toContain('DoubleFreeError');
    expect(bundle).not.toMatch(/createOpenSSLModule|ENVIRONMENT_IS_WEB|getRandomValues|instantiate/);
    expect(bundle.length).toBeLessThan(4_000);
  });

  it('resolves its types through the exports map, for "." and "./node", under NodeNext', () => {
    writeFileSync(
      join(app, 'consumer.ts'),
      [
        "import { DoubleFreeError, loadOpenSSL, type OpenSSL, type Session } from 'openssl-session-wasm';",
        "import { connectTLS, type TLSStream } from 'openssl-session-wasm/node';",
        'const ossl: OpenSSL = await loadOpenSSL();',
        'const session: Session = ossl.SSL_SESSION_new();',
        'const version: string = ossl.version;',
        'const connect: (o: { host: string; port: number; context: ReturnType<OpenSSL["createContext"]> }) => Promise<TLSStream> = connectTLS;',
        'export { DoubleFreeError, session, version, connect };',
        '',
      ].join('\n'),
    );
    // The consumer has no @types/node of its own: lend it the repo's (openssl-session-wasm/node needs it).
    const tsc = spawnSync(
      process.execPath,
      [
        join(root, 'node_modules/typescript/bin/tsc'),
        '--noEmit',
        '--strict',
        '--target',
        'es2022',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--lib',
        'es2022,dom,esnext.disposable',
        '--typeRoots',
        join(root, 'node_modules/@types'),
        '--types',
        'node',
        'consumer.ts',
      ],
      { cwd: app, encoding: 'utf8' },
    );
    expect(tsc.stdout).toBe('');
    expect(tsc.status).toBe(0);
  });
});
