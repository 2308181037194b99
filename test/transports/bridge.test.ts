// The WebSocket tunnel (websocketTransport) through the bridge (startBridge and the CLI's
// `bridge` command) to real peers on 127.0.0.1: TLS resumes through it; destinations off the
// allow-list are refused without being dialled; limits, idle timeouts and close propagation hold;
// 200 tunnels at once stay within bounded memory.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { InvalidArgumentError, TransportError } from '../../dist/index.js';
import { BRIDGE_CLOSE, startBridge } from '../../dist/node/bridge.js';
import { connect, websocketTransport } from '../../dist/web/index.js';
import { nodeTlsServer, tcpServer } from '../interop/peers.js';
import { root, useOpenSSL } from './fixture.js';

const fx = useOpenSSL();
const tunnel = (bridgePort: number, to: string) => websocketTransport(`ws://127.0.0.1:${bridgePort}/?to=${to}`, { WebSocket });

describe('the WebSocket bridge', () => {
  it('TLS through a tunnel: full, then resumed; the tunnel and the TCP connection close with the stream', async () => {
    const server = await nodeTlsServer({ cert: fx.cert.certificate, key: fx.cert.privateKey });
    const bridge = await startBridge({ host: '127.0.0.1', port: 0, allow: [`127.0.0.1:${server.port}`] });
    const context = fx.ossl.createContext({ role: 'client', ca: fx.cert.certificate });
    const first = await connect({ transport: await tunnel(bridge.port, `127.0.0.1:${server.port}`), context, servername: 'localhost' });
    await first.waitForSessions(1);
    const session = first.takeSession();
    const writer = first.writable.getWriter();
    await writer.write(new TextEncoder().encode('hello'));
    writer.releaseLock();
    const reader = first.readable.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('echo:hello');
    reader.releaseLock();
    await first.close();
    if (!session) throw new Error('no ticket');
    const second = await connect({
      transport: await tunnel(bridge.port, `127.0.0.1:${server.port}`),
      context,
      servername: 'localhost',
      session,
    });
    expect(second.connection.sessionReused).toBe(true);
    await second.close();
    for (let i = 0; i < 50 && bridge.tunnels > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(bridge.tunnels).toBe(0);
    expect(server.reused).toEqual([false, true]);
    session.free();
    context.free();
    await bridge.close();
    await server.close();
    fx.ossl.ledger.assertNoLeaks();
  });

  it('refuses every destination not on its list (4003) without dialling it: another port, another name for the host, garbage', async () => {
    let dialled = 0;
    const allowed = await tcpServer((s) => s.destroy());
    const other = await tcpServer((s) => {
      dialled++;
      s.destroy();
    });
    const bridge = await startBridge({ host: '127.0.0.1', port: 0, allow: [`127.0.0.1:${allowed.port}`] });
    for (const to of [
      `127.0.0.1:${other.port}`,
      `localhost:${allowed.port}`,
      `127.0.0.2:${allowed.port}`,
      'garbage',
      '',
      `127.0.0.1:${allowed.port}0`,
    ]) {
      const error = await tunnel(bridge.port, encodeURIComponent(to)).then(
        () => null,
        (e) => e,
      );
      expect(error, to).toBeInstanceOf(TransportError);
      expect(String(error.message), to).toContain(String(BRIDGE_CLOSE.NOT_ALLOWED));
    }
    expect(dialled).toBe(0);
    await expect(startBridge({ host: '127.0.0.1', port: 0, allow: [] })).rejects.toThrow(/at least one allowed destination/);
    // Limits are checked whole numbers, read as own properties: NaN, 0, a string or a polluted
    // prototype cannot lift a bound, and a non-string destination is refused.
    const base = { host: '127.0.0.1', port: 0, allow: [`127.0.0.1:${allowed.port}`] };
    for (const bad of [{ maxTunnels: Number.NaN }, { maxTunnels: 0 }, { idleTimeoutMs: 1.5 }, { maxBuffered: Infinity }]) {
      await expect(startBridge({ ...base, ...bad }), JSON.stringify(bad)).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    await expect(startBridge({ ...base, maxTunnelsPerClient: '9' as unknown as number })).rejects.toBeInstanceOf(TypeError);
    await expect(startBridge({ ...base, allow: [42 as unknown as string] })).rejects.toBeInstanceOf(TypeError);
    await expect(startBridge({ ...base, allow: ['127.0.0.1:1\u0000'] })).rejects.toBeInstanceOf(InvalidArgumentError);
    const proto = Object.prototype as Record<string, unknown>;
    proto.allow = ['127.0.0.1:1'];
    try {
      await expect(startBridge({ host: '127.0.0.1', port: 0 } as never)).rejects.toBeInstanceOf(TypeError);
    } finally {
      delete proto.allow;
    }
    await bridge.close();
    await allowed.close();
    await other.close();
  });

  it('limits: tunnels beyond maxTunnels are refused (4029); an idle tunnel is closed (4408); a destination closing closes the tunnel', async () => {
    const echo = await tcpServer((s) => s.on('data', (d) => (d.toString() === 'bye' ? s.end() : s.write(d))));
    const bridge = await startBridge({ host: '127.0.0.1', port: 0, allow: [`127.0.0.1:${echo.port}`], maxTunnels: 2, idleTimeoutMs: 300 });
    const to = `127.0.0.1:${echo.port}`;
    const a = await tunnel(bridge.port, to);
    const b = await tunnel(bridge.port, to);
    await expect(tunnel(bridge.port, to)).rejects.toThrow(String(BRIDGE_CLOSE.BUSY));
    // b: the destination ends it; its readable ends cleanly.
    const bw = b.writable.getWriter();
    await bw.write(new TextEncoder().encode('bye'));
    const br = b.readable.getReader();
    expect((await br.read()).done).toBe(true);
    // a: nothing either way for 300 ms: the bridge closes it as idle.
    const ar = a.readable.getReader();
    await expect(ar.read()).rejects.toThrow(String(BRIDGE_CLOSE.IDLE));
    for (let i = 0; i < 50 && bridge.tunnels > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(bridge.tunnels).toBe(0);
    await bridge.close();
    await echo.close();
  });

  it('200 tunnels at once through the CLI bridge, each echoing 64 KB: all complete, the bridge stays within bounded memory', async () => {
    const echo = await tcpServer((s) => s.on('data', (d) => s.write(d)));
    const cli = spawn(
      process.execPath,
      [
        `${root}dist/node/cli.js`,
        'bridge',
        '--listen',
        '127.0.0.1:0',
        '--allow',
        `127.0.0.1:${echo.port}`,
        '--max-tunnels',
        '256',
        '--max-per-client',
        '256',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const [line] = (await once(cli.stdout, 'data')) as [Buffer];
      const port = Number(/:(\d+),/.exec(String(line))?.[1]);
      expect(port).toBeGreaterThan(0);
      const rss = (): number => {
        const status = readFileSync(`/proc/${cli.pid}/status`, 'utf8');
        return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
      };
      const before = rss();
      const payload = new Uint8Array(65536).fill(7);
      const tunnels = await Promise.all(Array.from({ length: 200 }, () => tunnel(port, `127.0.0.1:${echo.port}`)));
      const echoed = await Promise.all(
        tunnels.map(async (t) => {
          const w = t.writable.getWriter();
          await w.write(payload);
          const r = t.readable.getReader();
          let got = 0;
          while (got < payload.length) {
            const { value, done } = await r.read();
            if (done) break;
            got += value.length;
          }
          r.releaseLock();
          return { got, w };
        }),
      );
      const during = rss();
      expect(echoed.every((e) => e.got === payload.length)).toBe(true);
      await Promise.all(echoed.map((e) => e.w.close()));
      const growth = during - before;
      console.log(
        `[bridge] 200 tunnels x 64 KB echoed: bridge RSS ${Math.round(before / 2 ** 20)} MiB idle -> ${Math.round(during / 2 ** 20)} MiB with 200 open (+${Math.round(growth / 2 ** 20)} MiB, ${Math.round(growth / 200 / 1024)} KiB per tunnel)`,
      );
      expect(growth).toBeLessThan(100 * 2 ** 20);
    } finally {
      cli.kill();
      await once(cli, 'exit');
      await echo.close();
    }
  });
});
