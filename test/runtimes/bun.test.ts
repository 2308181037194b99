// Bun runs the shared scenario, importing the package by its name (the package's self-reference
// through its "exports" map) and by path.
import { describe, it } from 'vitest';
import { bin, expectScenarioPassed, runCli, runtimesDir, summary } from './harness.js';

const bun = bin('bun');

describe('Bun', () => {
  it('runs the scenario importing "openssl-session-wasm" by name', () => {
    const result = runCli(bun, ['run', '--no-install', `${runtimesDir}by-name.mjs`]);
    expectScenarioPassed(result, /^bun 1\./);
    console.log(summary('bun, by name', result));
  });

  it('runs the scenario importing dist/index.js by path', () => {
    const result = runCli(bun, ['run', '--no-install', `${runtimesDir}by-path.mjs`]);
    expectScenarioPassed(result, /^bun 1\./);
    console.log(summary('bun, by path', result));
  });
});
