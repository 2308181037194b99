// Bundlers and Workers hosts, each building the same consumer app (test/runtimes/bundlers/app) from
// the package installed from its tarball, with no configuration beyond what the tool itself needs
// to run. Browser builds run the shared scenario in Debian's Chromium, on the page and in a module
// Worker; Node bundles run in Node; the Worker bundle runs in workerd. The tools come from
// test/runtimes/bundlers/package.json (installed here once per lock, outside the package's own
// dependencies). Every build must print no warning.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectPageAndWorkerPassed, launchChromium, openReport } from './chromium.js';
import { type Consumer, ensureFixtureTools, fixtures, installPackedConsumer, tool } from './consumer.js';
import { bin, expectScenarioPassed, runtimesDir, type ScenarioResult, summary } from './harness.js';
import { serveDirectory } from './static-server.js';

let consumer: Consumer;
let app: string;
let browser: Browser;

beforeAll(async () => {
  ensureFixtureTools();
  consumer = installPackedConsumer('osw-bundlers-');
  app = consumer.app;
  cpSync(join(fixtures, 'app'), app, { recursive: true });
  for (const file of ['scenario.mjs', 'browser-report.mjs']) copyFileSync(join(runtimesDir, file), join(app, file));
  browser = await launchChromium();
}, 900_000);

afterAll(async () => {
  await browser?.close();
  if (consumer) rmSync(consumer.scratch, { recursive: true, force: true });
});

/** Runs a build command in the app; fails with its output when it fails; returns what it printed. */
function build(command: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const run = spawnSync(command, args, { cwd: app, encoding: 'utf8', timeout: 300_000, env: { ...process.env, NO_COLOR: '1', ...env } });
  const output = `${run.stdout}${run.stderr}`;
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${run.status}\n${output}`);
  return output;
}

/** The page of `out` (index.html beside the bundles) in Chromium: the scenario on the page and in its Worker. */
async function runInChromium(label: string, out: string, page = 'index.html'): Promise<string[]> {
  if (!existsSync(join(out, page))) copyFileSync(join(app, page), join(out, page));
  const server = await serveDirectory(out);
  try {
    const opened = await openReport(browser, `${server.url}${page}`);
    expectPageAndWorkerPassed(label, opened);
    return opened.paths;
  } finally {
    await server.close();
  }
}

const wasmBytes = (): Buffer => readFileSync(join(app, 'node_modules/openssl-session-wasm/dist/openssl.wasm'));
const emittedWasm = (out: string): string[] => readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.wasm'));

describe('browser bundlers that follow new URL(..., import.meta.url): the default entry, zero configuration', () => {
  it('webpack 5: emits openssl.wasm as an asset and the Worker as a chunk; the page and the Worker run the scenario', async () => {
    const out = join(app, 'out-webpack');
    const { errors, warnings } = JSON.parse(
      build(process.execPath, [join(fixtures, 'webpack-build.mjs'), app, out])
        .trim()
        .split('\n')
        .at(-1) ?? '{}',
    ) as {
      errors: string[];
      warnings: string[];
    };
    expect(errors).toEqual([]);
    // Only webpack's size advice (the module is 2 MB, over its 244 KiB hint); no other warning.
    expect(warnings.filter((w) => !/^(asset|entrypoint) size limit: /.test(w))).toEqual([]);
    const wasm = emittedWasm(out);
    expect(wasm).toHaveLength(1);
    expect(readFileSync(join(out, wasm[0])).equals(wasmBytes())).toBe(true);
    const paths = await runInChromium('chromium, webpack 5', out);
    expect(paths.filter((p) => p.endsWith('.wasm'))).toEqual([`/${wasm[0]}`, `/${wasm[0]}`]);
  });

  it('Parcel 2: emits openssl.wasm and the Worker; the page and the Worker run the scenario', async () => {
    const out = join(app, 'out-parcel');
    // Parcel starts from the page: the same page, pointing at the default entry's app.
    writeFileSync(join(app, 'index-default.html'), readFileSync(join(app, 'index.html'), 'utf8').replace('./main.js', './default/main.js'));
    const output = build(tool('parcel'), [
      'build',
      'index-default.html',
      '--dist-dir',
      out,
      '--no-source-maps',
      '--cache-dir',
      join(app, '.parcel-cache'),
      '--log-level',
      'warn',
      '--no-autoinstall',
    ]);
    expect(output.trim()).toBe('');
    const wasm = emittedWasm(out);
    expect(wasm).toHaveLength(1);
    expect(readFileSync(join(out, wasm[0])).equals(wasmBytes())).toBe(true);
    await runInChromium('chromium, parcel 2', out, 'index-default.html');
  });
});

describe("bundlers that do not follow it: 'openssl-session-wasm/inline', the module embedded", () => {
  it('esbuild: one file per entry, no .wasm to serve; the page and the Worker run the scenario', async () => {
    const out = join(app, 'out-esbuild');
    const output = build(tool('esbuild'), [
      'inline/main.js',
      'inline/worker.js',
      '--bundle',
      '--format=esm',
      `--outdir=${out}`,
      '--log-level=warning',
    ]);
    expect(output).toBe('');
    expect(emittedWasm(out)).toEqual([]);
    const paths = await runInChromium('chromium, esbuild + /inline', out);
    expect(paths.filter((p) => p.endsWith('.wasm'))).toEqual([]);
  });

  it('Rollup (with @rollup/plugin-node-resolve, which every Rollup app needs for bare imports): no warning; the scenario runs', async () => {
    const out = join(app, 'out-rollup');
    const output = build(tool('rollup'), ['-c', join(fixtures, 'rollup.config.mjs')], { OSW_OUT: out });
    expect(output).not.toContain('(!)'); // Rollup marks each warning (a circular import, an unresolved one) with (!)
    expect(output).toMatch(/created .*out-rollup/);
    await runInChromium('chromium, rollup + /inline', out);
  });

  it("Bun's bundler (bun build --target browser): the scenario runs", async () => {
    const out = join(app, 'out-bun');
    const output = build(bin('bun'), ['build', 'inline/main.js', 'inline/worker.js', '--outdir', out, '--target', 'browser']);
    expect(output).not.toMatch(/warn/i);
    await runInChromium('chromium, bun build + /inline', out);
  });

  it('esbuild for Node (--platform=node): the bundle runs in Node with no openssl.wasm beside it', () => {
    const out = join(app, 'out-node');
    expect(
      build(tool('esbuild'), [
        'node-inline.mjs',
        '--bundle',
        '--platform=node',
        '--format=esm',
        `--outfile=${out}/app.mjs`,
        '--log-level=warning',
      ]),
    ).toBe('');
    const result = JSON.parse(
      build(process.execPath, [join(out, 'app.mjs')])
        .trim()
        .split('\n')
        .at(-1) ?? '{}',
    ) as ScenarioResult;
    expectScenarioPassed(result, /^node \d+\./);
    console.log(summary('node, esbuild bundle + /inline', result));
  });

  it('esbuild for Node from the default entry: the missing module is an OpenSSLWasmError naming the path and the fixes', () => {
    const out = join(app, 'out-node-default');
    build(tool('esbuild'), [
      'node-default.mjs',
      '--bundle',
      '--platform=node',
      '--format=esm',
      `--outfile=${out}/app.mjs`,
      '--log-level=warning',
    ]);
    const { name, message } = JSON.parse(build(process.execPath, [join(out, 'app.mjs')]).trim()) as { name: string; message: string };
    expect(name).toBe('OpenSSLWasmError');
    expect(message).toContain(`could not read openssl.wasm at ${out}/openssl.wasm: no such file (ENOENT)`);
    expect(message).toContain("'openssl-session-wasm/inline'");
  });
});

describe('Cloudflare Workers (workerd)', () => {
  let server: ChildProcess | undefined;

  afterAll(() => {
    if (server?.pid !== undefined && server.exitCode === null) process.kill(-server.pid, 'SIGTERM');
  });

  it("bundled as wrangler does (the 'workerd' condition, .wasm imports kept as modules), workerd runs the scenario", async () => {
    const out = join(app, 'out-workerd');
    mkdirSync(out, { recursive: true });
    const output = build(tool('esbuild'), [
      'workerd-worker.js',
      '--bundle',
      '--format=esm',
      '--platform=neutral',
      '--main-fields=module,main',
      '--conditions=workerd,worker,browser',
      '--external:*.wasm',
      `--outfile=${out}/worker.js`,
      '--log-level=warning',
    ]);
    expect(output).toBe('');
    copyFileSync(join(app, 'node_modules/openssl-session-wasm/dist/openssl.wasm'), join(out, 'openssl.wasm'));
    const port = 20000 + Math.floor(Math.random() * 20000);
    writeFileSync(join(out, 'config.capnp'), readFileSync(join(app, 'workerd.capnp'), 'utf8').replace('PORT', String(port)));
    let log = '';
    // Its own process group: .bin/workerd is a Node wrapper around the binary, and killing the
    // wrapper alone would leave workerd running.
    server = spawn(tool('workerd'), ['serve', 'config.capnp'], { cwd: out, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    server.stdout?.on('data', (chunk: Buffer) => (log += chunk));
    server.stderr?.on('data', (chunk: Buffer) => (log += chunk));
    let response: Response | undefined;
    for (let i = 0; i < 100 && !response; i++) {
      response = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
      if (!response) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(response, `workerd did not answer\n${log}`).toBeDefined();
    const result = (await response?.json()) as ScenarioResult & { error?: string };
    expect(result.error, log).toBeUndefined();
    expectScenarioPassed(result, /^workerd$/);
    console.log(summary('workerd', result));
  });
});
