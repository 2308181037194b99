// The bridge attacked from both ends: a page speaking its protocol wrongly (a text frame where
// bytes belong, a frame larger than its bound, destinations written another way than the
// allow-list's: IPv6 forms of an allowed IPv4 address, unicode look-alikes, two `to`s), and an
// operator's command line with a flag left without its value, misspelt or written in hex, each of
// which used to leave a limit silently at its default. Real sockets on 127.0.0.1 only.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { BRIDGE_CLOSE, type Bridge, startBridge } from '../../dist/node/bridge.js';
import { tcpServer } from '../interop/peers.js';

const cli = new URL('../../dist/node/cli.js', import.meta.url).pathname;

let destination: Awaited<ReturnType<typeof tcpServer>>;
/** Every connection the destination was dialled with, and the bytes that reached it. */
const dialled: Socket[] = [];
const received: Buffer[] = [];
let bridge: Bridge;
const MAX_FRAME = 4096;

beforeAll(async () => {
  destination = await tcpServer((s) => {
    dialled.push(s);
    s.on('data', (d: Buffer) => received.push(d));
  });
  bridge = await startBridge({ host: '127.0.0.1', port: 0, allow: [`127.0.0.1:${destination.port}`], maxBuffered: MAX_FRAME });
});
afterAll(async () => {
  await bridge.close();
  await destination.close();
});

/** Opens ws://bridge/?<query>; resolves with the close code once the bridge closes it (and whether it said "open"). */
function tunnel(query: string, send?: (ws: WebSocket) => void): Promise<{ code: number; opened: boolean }> {
  const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/?${query}`);
  let opened = false;
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    if (!isBinary && String(data) === 'open') {
      opened = true;
      send?.(ws);
    }
  });
  return once(ws, 'close').then(([code]) => ({ code: code as number, opened }));
}

describe('the bridge protocol', () => {
  it('destinations written another way than the allow-list are refused (4003) without dialling: IPv6-mapped, IPv6 loopback, unicode digits, a trailing dot, a second `to`', async () => {
    const p = destination.port;
    const before = dialled.length;
    for (const to of [
      `[::ffff:127.0.0.1]:${p}`,
      `[::1]:${p}`,
      `127.0.0.1.:${p}`,
      `１２７.0.0.1:${p}`,
      `127.0.0.1:${p}\u200b`,
      `2130706433:${p}`,
      `127.1:${p}`,
      `127.0.0.1:${p}@127.0.0.1:${p}`,
    ]) {
      const { code, opened } = await tunnel(`to=${encodeURIComponent(to)}`);
      expect({ to, code, opened }).toEqual({ to, code: BRIDGE_CLOSE.NOT_ALLOWED, opened: false });
    }
    // Two `to`s: the first is the one checked and the one dialled (never the second).
    const { code } = await tunnel(`to=${encodeURIComponent(`127.0.0.2:${p}`)}&to=${encodeURIComponent(`127.0.0.1:${p}`)}`);
    expect(code).toBe(BRIDGE_CLOSE.NOT_ALLOWED);
    expect(dialled.length).toBe(before);
  });

  it('a text frame where bytes belong closes the tunnel (1003) and is never relayed', async () => {
    const seen = received.length;
    const { code, opened } = await tunnel(`to=127.0.0.1:${destination.port}`, (ws) => ws.send('GET / HTTP/1.1\r\n\r\n'));
    expect(opened).toBe(true);
    expect(code).toBe(1003);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(Buffer.concat(received.slice(seen)).toString()).not.toContain('GET /');
  });

  it('a frame larger than maxBuffered closes the tunnel (1009, message too big) and is never relayed', async () => {
    const seen = received.length;
    const { code, opened } = await tunnel(`to=127.0.0.1:${destination.port}`, (ws) => ws.send(Buffer.alloc(MAX_FRAME + 1, 0x41)));
    expect(opened).toBe(true);
    expect(code).toBe(1009);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(Buffer.concat(received.slice(seen)).length).toBe(0);
    expect(bridge.tunnels).toBe(0);
  });

  it('the bytes of a well-formed tunnel arrive as sent (the bridge relays, nothing else)', async () => {
    const seen = received.length;
    const { opened } = await tunnel(`to=127.0.0.1:${destination.port}`, (ws) => {
      ws.send(Buffer.from('hello through the bridge'));
      setTimeout(() => ws.close(1000), 50);
    });
    expect(opened).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(Buffer.concat(received.slice(seen)).toString()).toBe('hello through the bridge');
  });
});

describe('the bridge command line', () => {
  /** Runs the CLI; resolves with its exit code and stderr (a bridge that starts is stopped at once). */
  function run(...args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
    return new Promise((resolve) => {
      const child = execFile(process.execPath, [cli, ...args], { timeout: 20_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error.code as number | null) ?? null) : 0, stderr, stdout }),
      );
      child.stdout?.once('data', () => child.kill('SIGTERM'));
    });
  }
  const allow = ['--allow', '127.0.0.1:9'];
  const listen = ['--listen', '127.0.0.1:0'];

  it('a flag without its value, a misspelt or repeated flag, or a number written in hex, exponent or with spaces is refused (exit 1), never left at its default', async () => {
    for (const args of [
      [...allow, ...listen, '--max-tunnels'],
      [...allow, '--listen', '--max-tunnels', '5'],
      [...allow, ...listen, '--max-tunnel', '5'],
      [...allow, ...listen, '--max-tunnels', '0x10'],
      [...allow, ...listen, '--max-tunnels', '1e3'],
      [...allow, ...listen, '--max-tunnels', ' 5'],
      [...allow, ...listen, '--max-per-client', ''],
      [...allow, ...listen, '--idle-timeout', '-1'],
      [...allow, ...listen, ...listen],
    ]) {
      const { code, stderr } = await run('bridge', ...args);
      expect({ args, code }).toEqual({ args, code: 1 });
      expect(stderr).toMatch(/^InvalidArgumentError: /);
    }
  });

  it('--allow may repeat (the lists add up); a valid command line starts and says what it relays to', async () => {
    const { stdout } = await run('bridge', ...listen, ...allow, '--allow', '127.0.0.1:10,127.0.0.1:11', '--idle-timeout', '0.5');
    expect(stdout).toMatch(/^bridge listening on 127\.0\.0\.1:\d+, relaying only to 127\.0\.0\.1:9, 127\.0\.0\.1:10, 127\.0\.0\.1:11\n/);
  });

  it('demo with an option it does not know is refused (exit 2) rather than ignored', async () => {
    const { code, stderr } = await run('demo', '--jsn');
    expect(code).toBe(2);
    expect(stderr).toContain('unknown option for demo: --jsn');
  });
});
