// Running the shared scenario (scenario.mjs) in a runtime and checking what it returned. Every
// runtime test goes through expectScenarioPassed, so each one is held to the same values.
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';

/** What runScenario() returns (scenario.mjs is plain JS, so its shape is written down here). */
export interface ScenarioResult {
  runtime: string;
  version: string;
  handshake: { protocol: string; cipher: string | null; alpn: string | null; verifyResult: number; reused: boolean; echoed: string };
  resumption: { reused: boolean; serverReused: boolean };
  der: {
    bytes: number;
    fieldsEqual: boolean;
    reencodedEqual: boolean;
    protocolVersion: number;
    cipher: string | null;
    hostname: string | null;
    alpnSelected: string;
    hasTicket: boolean;
  };
  doubleFree: { error: string; isOwnershipError: boolean };
  leaks: { live: number; handleReferences: number; refused: number; violations: number };
  ms: Record<string, number>;
}

export const root = new URL('../..', import.meta.url).pathname;
export const runtimesDir = new URL('.', import.meta.url).pathname;
export const bin = (name: string): string => `${root}node_modules/.bin/${name}`;
/** Deno's environment in every test: no update check, its cache in the temp dir (not ~/.cache). */
export const denoEnv = { DENO_NO_UPDATE_CHECK: '1', DENO_DIR: join(tmpdir(), 'openssl-session-wasm-deno') };

/** Asserts the whole scenario passed in the runtime named by `runtime` (a pattern on runScenario's runtimeName()). */
export function expectScenarioPassed(result: ScenarioResult, runtime: RegExp): void {
  expect(result.runtime).toMatch(runtime);
  expect(result.version).toMatch(/^OpenSSL 3\.5\.7 /);
  expect(result.handshake).toEqual({
    protocol: 'TLSv1.3',
    cipher: 'TLS_AES_256_GCM_SHA384',
    alpn: 'http/1.1',
    verifyResult: 0,
    reused: false,
    echoed: 'hello over TLS',
  });
  expect(result.resumption).toEqual({ reused: true, serverReused: true });
  expect(result.der).toEqual({
    bytes: expect.any(Number),
    fieldsEqual: true,
    reencodedEqual: true,
    protocolVersion: 0x0304,
    cipher: 'TLS_AES_256_GCM_SHA384',
    hostname: 'example.test',
    alpnSelected: 'http/1.1',
    hasTicket: true,
  });
  expect(result.der.bytes).toBeGreaterThan(100);
  expect(result.doubleFree).toEqual({ error: 'DoubleFreeError', isOwnershipError: true });
  // The refused double free is the only refusal; nothing is left alive.
  expect(result.leaks).toEqual({ live: 0, handleReferences: 0, refused: 1, violations: 0 });
}

/** One line for the test log: which runtime, and how long each step took. */
export function summary(label: string, result: ScenarioResult): string {
  const steps = Object.entries(result.ms)
    .map(([step, ms]) => `${step} ${ms}`)
    .join(', ');
  return `[${label}] ${result.runtime}: ${result.handshake.protocol} ${result.handshake.cipher}, resumed, DER ${result.der.bytes} bytes, double free refused, no leaks (ms: ${steps})`;
}

/**
 * Runs a command-line runtime on an entry script that prints the scenario's result as its last
 * stdout line. A non-zero exit fails with the runtime's own stderr in the message.
 */
export function runCli(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ScenarioResult {
  const run = spawnSync(command, args, {
    cwd: options.cwd ?? root,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.error) throw run.error;
  if (run.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${run.status ?? run.signal}\n${run.stderr}\n${run.stdout}`);
  }
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as ScenarioResult;
}
