// Chromium runs the shared scenario on a page and in a module Worker, three ways: a Vite build of an
// app importing the package by name; the same app under the Vite dev server with the package in
// node_modules; a plain page with no bundler (an import map, dist/ served as is). Debian's
// chromium, driven by playwright-core: no browser is downloaded.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectPageAndWorkerPassed, launchChromium, openReport } from './chromium.js';
import { root, runtimesDir } from './harness.js';
import { type StaticServer, serveDirectory } from './static-server.js';

const vite = join(root, 'node_modules/vite/bin/vite.js');

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** A port nothing listens on right now (the dev server is told to take exactly it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe('Chromium with a Vite build', () => {
  let out: string;
  let warnings: string;
  let server: StaticServer;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'osw-vite-'));
    const build = spawnSync(
      process.execPath,
      [vite, 'build', join(runtimesDir, 'vite-app'), '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'],
      { cwd: root, encoding: 'utf8', timeout: 60_000 },
    );
    if (build.status !== 0) throw new Error(`vite build failed\n${build.stderr}\n${build.stdout}`);
    warnings = `${build.stdout}${build.stderr}`;
    server = await serveDirectory(out);
  });

  afterAll(async () => {
    await server?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('vite build prints no warning and emits openssl.wasm as one asset, byte for byte', () => {
    expect(warnings).toBe('');
    const wasm = readdirSync(join(out, 'assets')).filter((f) => f.endsWith('.wasm'));
    expect(wasm).toHaveLength(1);
    expect(readFileSync(join(out, 'assets', wasm[0])).equals(readFileSync(join(root, 'dist/openssl.wasm')))).toBe(true);
  });

  it('the built app runs the scenario on the page and in a module Worker, with no console errors', async () => {
    const opened = await openReport(browser, server.url);
    expectPageAndWorkerPassed('chromium, vite', opened);
    // The page and the Worker each fetch the one emitted asset.
    const asset = `/assets/${readdirSync(join(out, 'assets')).find((f) => f.endsWith('.wasm'))}`;
    expect(opened.paths.filter((p) => p.endsWith('.wasm'))).toEqual([asset, asset]);
  });
});

describe('Chromium without a bundler', () => {
  let server: StaticServer;

  beforeAll(async () => {
    // The repo root, so /dist/ is the package's dist/ as published and the page imports it through an import map.
    server = await serveDirectory(root);
  });

  afterAll(async () => {
    await server?.close();
  });

  it('a plain page (import map → /dist/index.js) runs the scenario on the page and in a module Worker, with no console errors', async () => {
    const opened = await openReport(browser, `${server.url}test/runtimes/plain/`);
    expectPageAndWorkerPassed('chromium, no bundler', opened);
    expect(opened.paths.filter((p) => p.endsWith('.wasm'))).toEqual(['/dist/openssl.wasm', '/dist/openssl.wasm']);
  });
});

describe('Chromium with the Vite dev server', () => {
  let app: string;
  let dev: ChildProcess | undefined;
  let url: string;

  beforeAll(async () => {
    // The package as npm installs it (package.json + dist/ in node_modules), so Vite's dependency
    // optimizer pre-bundles it like any dependency: the case where a .wasm beside a module can get lost.
    app = mkdtempSync(join(tmpdir(), 'osw-vite-dev-'));
    const installed = join(app, 'node_modules/openssl-session-wasm');
    cpSync(join(root, 'dist'), join(installed, 'dist'), { recursive: true });
    copyFileSync(join(root, 'package.json'), join(installed, 'package.json'));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    for (const file of ['scenario.mjs', 'browser-report.mjs']) copyFileSync(join(runtimesDir, file), join(app, file));
    cpSync(join(runtimesDir, 'vite-app'), join(app, 'vite-app'), { recursive: true });
    const port = await freePort();
    url = `http://127.0.0.1:${port}/`;
    const server = spawn(
      process.execPath,
      [vite, 'vite-app', '--host', '127.0.0.1', '--port', String(port), '--strictPort', '--clearScreen', 'false'],
      {
        cwd: app,
        env: { ...process.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    dev = server;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`vite dev did not start in 30 s\n${output}`)), 30_000);
      const read = (chunk: Buffer): void => {
        output += chunk.toString();
        // Vite colours the port when it thinks it has a terminal (CI=true does that): match without escapes.
        if (stripVTControlCharacters(output).includes(url)) {
          clearTimeout(timer);
          resolve();
        }
      };
      server.stdout?.on('data', read);
      server.stderr?.on('data', read);
      server.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`vite dev exited with ${code}\n${output}`));
      });
    });
  });

  afterAll(() => {
    dev?.kill();
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it('serves the app with the package pre-bundled from node_modules, and it runs the scenario on the page and in a module Worker, with no console errors', async () => {
    const opened = await openReport(browser, url);
    expectPageAndWorkerPassed('chromium, vite dev', opened);
    // Served pre-bundled, yet its new URL('./openssl.wasm', import.meta.url) still finds the installed file.
    expect(opened.paths).toContainEqual(expect.stringMatching(/\/node_modules\/\.vite\/deps\/openssl-session-wasm\.js$/));
    const wasm = opened.paths.filter((p) => p.endsWith('.wasm'));
    expect(wasm).toHaveLength(2);
    for (const p of wasm) expect(p).toMatch(/\/node_modules\/openssl-session-wasm\/dist\/openssl\.wasm$/);
  });
});
