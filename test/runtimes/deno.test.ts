// Deno runs the shared scenario with one permission: reading openssl.wasm (the loader reads file:
// URLs through node:fs, which Deno gates). No env, sys, net or write permission is needed.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bin, denoEnv as env, expectScenarioPassed, root, runCli, runtimesDir, summary } from './harness.js';

const deno = bin('deno');
const wasm = `${root}dist/openssl.wasm`;
// --no-config: take nothing from the repo's configuration; --no-prompt: a missing permission fails at once.
const denoRun = ['run', '--no-config', '--no-prompt', '--no-remote'];

describe('Deno', () => {
  it('runs the scenario importing dist/index.js by path, with --allow-read of the .wasm file only', () => {
    const result = runCli(deno, [...denoRun, `--allow-read=${wasm}`, `${runtimesDir}by-path.mjs`], { env });
    expectScenarioPassed(result, /^deno 2\./);
    console.log(summary('deno, by path', result));
  });

  it('runs the scenario importing "openssl-session-wasm" by name through an import map', () => {
    const importMap = `${runtimesDir}deno-import-map.json`;
    expect(JSON.parse(readFileSync(importMap, 'utf8'))).toEqual({ imports: { 'openssl-session-wasm': '../../dist/index.js' } });
    const result = runCli(deno, [...denoRun, `--import-map=${importMap}`, `--allow-read=${wasm}`, `${runtimesDir}by-name.mjs`], {
      env,
    });
    expectScenarioPassed(result, /^deno 2\./);
    console.log(summary('deno, import map', result));
  });

  it('without read permission, loading stops at reading openssl.wasm (the one permission needed)', () => {
    const run = spawnSync(deno, [...denoRun, `${runtimesDir}by-path.mjs`], {
      env: { ...process.env, ...env, NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`Requires read access to "${wasm}"`);
    expect(run.stdout).toBe('');
  });

  it('looks like Node to a process.versions.node check, so the glue has no Node branch to take', () => {
    // Emscripten's default glue picks its environment with `typeof process.versions.node == 'string'`;
    // Deno 2 answers yes. build.sh links with -sENVIRONMENT=web, so the glue never asks.
    const probe = spawnSync(deno, ['eval', 'console.log(typeof process?.versions?.node)'], {
      env: { ...process.env, ...env, NO_COLOR: '1' },
      encoding: 'utf8',
    });
    expect(probe.stdout.trim()).toBe('string');
    const glue = readFileSync(`${root}dist/openssl.mjs`, 'utf8');
    expect(glue).toContain('var ENVIRONMENT_IS_WEB=true');
    expect(glue).not.toMatch(/ENVIRONMENT_IS_NODE|process\.versions|require\(/);
  });
});
