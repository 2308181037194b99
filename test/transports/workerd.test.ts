// The transport scenario in workerd: connect() from cloudflare:sockets, against the same native
// peers on 127.0.0.1, held to the same values as Node; the peers must be left with no open connection.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectTransportScenario } from './expect.js';
import { usePeers } from './peers.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = (name: string): string => join(root, 'node_modules/.bin', name);
const { get: peers, expectNoOpenSockets } = usePeers();

/**
 * workerd's configuration for the worker (written to node_modules/.cache/, embeds relative to it):
 * every module of dist/ listed by name (workerd resolves imports between them by those names), and
 * an outbound network that allows local addresses (workerd's default allows public ones only).
 */
function workerdConfig(port: number): string {
  const files = readdirSync(join(root, 'dist'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.js') || f.endsWith('.mjs'))
    .map((f) => `dist/${f}`);
  const modules = [
    '(name = "test/transports/workerd-worker.mjs", esModule = embed "../../test/transports/workerd-worker.mjs")',
    '(name = "test/transports/scenario.mjs", esModule = embed "../../test/transports/scenario.mjs")',
    '(name = "dist/openssl.wasm", wasm = embed "../../dist/openssl.wasm")',
    ...files.map((f) => `(name = "${f}", esModule = embed "../../${f}")`),
  ];
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
    ${modules.join(',\n    ')}
  ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["nodejs_compat"],
  globalOutbound = "internet",
);
`;
}

describe('the transport scenario in workerd', () => {
  it('connect() from cloudflare:sockets: the same scenario, the same values', async () => {
    const port = await freePort();
    const configPath = join(root, 'node_modules/.cache/workerd-transports.capnp');
    mkdirSync(dirname(configPath), { recursive: true });
    writeFileSync(configPath, workerdConfig(port));
    const child = spawn(bin('workerd'), ['serve', configPath, '--experimental'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    try {
      let response: Response | null = null;
      for (let i = 0; i < 300 && !response && child.exitCode === null; i++) {
        response = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: JSON.stringify(peers().peers) }).catch(() => null);
        if (!response) await new Promise((r) => setTimeout(r, 100));
      }
      expect(response, log).not.toBeNull();
      const body = await (response as Response).text();
      expect((response as Response).status, `${body}\n${log}`).toBe(200);
      const result = JSON.parse(body);
      expect(result.runtime).toBe('workerd');
      expectTransportScenario(result);
      await expectNoOpenSockets();
    } finally {
      child.kill();
      await new Promise((r) => child.once('exit', r));
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
