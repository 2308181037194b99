// Chromium (Debian's, through playwright-core) reaches a Node tls server through the WebSocket
// bridge: TLS runs in the page; the session it receives is kept in IndexedDB and resumes after a
// page reload; the bridge refuses a destination that is not on its list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge } from '../../dist/node/bridge.js';
import { nodeTlsServer, tcpServer } from '../interop/peers.js';
import { launchChromium } from '../runtimes/chromium.js';
import { serveDirectory } from '../runtimes/static-server.js';
import { root, useOpenSSL } from './fixture.js';

const fx = useOpenSSL();
let close: () => Promise<void>;
let url: string;
let tlsServer: Awaited<ReturnType<typeof nodeTlsServer>>;
let dialled = 0;

beforeAll(async () => {
  tlsServer = await nodeTlsServer({ cert: fx.cert.certificate, key: fx.cert.privateKey });
  const other = await tcpServer((s) => {
    dialled++;
    s.destroy();
  });
  const bridge = await startBridge({ host: '127.0.0.1', port: 0, allow: [`127.0.0.1:${tlsServer.port}`] });
  const site = await serveDirectory(root);
  const query = new URLSearchParams({
    bridge: String(bridge.port),
    to: `127.0.0.1:${tlsServer.port}`,
    ca: fx.cert.certificate,
    refused: `127.0.0.1:${other.port}`,
  });
  url = `${site.url}test/transports/browser/index.html?${query}`;
  close = async () => {
    await bridge.close();
    await site.close();
    await other.close();
    await tlsServer.close();
  };
});
afterAll(async () => {
  await close?.();
});

describe('Chromium through the bridge', () => {
  it('a full handshake, then after a reload a resumption with the session kept in IndexedDB; a destination off the list is refused', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const report = async (): Promise<Record<string, unknown>> => {
        await page.waitForFunction(() => (window as unknown as { report?: unknown }).report !== undefined, undefined, { timeout: 30_000 });
        return page.evaluate(() => (window as unknown as { report: Record<string, unknown> }).report);
      };
      await page.goto(url);
      const first = await report();
      await page.reload();
      const second = await report();
      expect(errors).toEqual([]);
      expect(first).toEqual({
        hadStored: false,
        reused: false,
        protocol: 'TLSv1.3',
        echoed: 'echo:from the page',
        keptForNextLoad: true,
        refused: 'TransportError: the bridge refused the tunnel: 4003 destination not allowed',
        badEntries: ['TypeError', 'TypeError', 'TypeError', 'TypeError'],
        onceRead: 1,
        onceStored: [1, 2, 3],
        badStored: false,
        live: 0,
      });
      expect(second).toMatchObject({ hadStored: true, reused: true, protocol: 'TLSv1.3', echoed: 'echo:from the page', live: 0 });
      expect(tlsServer.reused).toEqual([false, true]);
      expect(dialled).toBe(0);
    } finally {
      await browser.close();
    }
  });
});
