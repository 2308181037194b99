// The transport scenario in Deno (its own Deno.connect sockets) and Bun (Bun.connect), against the
// same native peers on 127.0.0.1, held to the same values as Node; the peers must be left with no
// open connection.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectTransportScenario } from './expect.js';
import { bin, root, runRuntime } from './fixture.js';
import { usePeers } from './peers.js';

const client = new URL('./cli-client.mjs', import.meta.url).pathname;
const { get: peers, expectNoOpenSockets } = usePeers();
/** The scenario's result: the last line of the runtime's stdout. */
const parse = (out: string): Record<string, unknown> => JSON.parse(out.trim().split('\n').at(-1) ?? '');

describe('the transport scenario in other runtimes', () => {
  it('Deno.connect: resumes against openssl s_server and Node tls (1.3, 1.2), refuses, reports cuts, leaks nothing', async () => {
    const result = parse(
      await runRuntime(
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
      ),
    );
    expect(result.runtime).toMatch(/^deno 2\./);
    expectTransportScenario(result);
    await expectNoOpenSockets();
  });

  it('Bun.connect: the same scenario through bunConnect', async () => {
    const result = parse(await runRuntime(bin('bun'), ['run', '--no-install', client, JSON.stringify(peers().peers)]));
    expect(result.runtime).toMatch(/^bun 1\./);
    expectTransportScenario(result);
    await expectNoOpenSockets();
  });
});
