// The transport scenario in Deno (its own Deno.connect sockets) and Bun (Bun.connect), against the
// same native peers on 127.0.0.1, held to the same values as Node; the peers must be left with no
// open connection.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectTransportScenario } from './expect.js';
import { usePeers } from './peers.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = (name: string): string => join(root, 'node_modules/.bin', name);
const client = new URL('./cli-client.mjs', import.meta.url).pathname;
const { get: peers, expectNoOpenSockets } = usePeers();

/** Runs a runtime without blocking this process (the peers live here); the last stdout line is JSON. */
function run(command: string, args: string[], env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, NO_COLOR: '1', ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill(), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${command} exited with ${code}\n${err}\n${out}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1) ?? ''));
    });
  });
}

describe('the transport scenario in other runtimes', () => {
  it('Deno.connect: resumes against openssl s_server and Node tls (1.3, 1.2), refuses, reports cuts, leaks nothing', async () => {
    const result = await run(
      bin('deno'),
      [
        'run',
        '--no-config',
        '--no-prompt',
        '--no-remote',
        `--allow-read=${root}dist/openssl.wasm`,
        '--allow-net=127.0.0.1',
        client,
        JSON.stringify(peers().peers),
      ],
      { DENO_NO_UPDATE_CHECK: '1', DENO_DIR: join(root, 'node_modules/.cache/deno') },
    );
    expect(result.runtime).toMatch(/^deno 2\./);
    expectTransportScenario(result);
    await expectNoOpenSockets();
  });

  it('Bun.connect: the same scenario through bunConnect', async () => {
    const result = await run(bin('bun'), ['run', '--no-install', client, JSON.stringify(peers().peers)]);
    expect(result.runtime).toMatch(/^bun 1\./);
    expectTransportScenario(result);
    await expectNoOpenSockets();
  });
});
