#!/usr/bin/env node
// Prints the playground's time to interactive, cold, in Debian's Chromium with the CPU slowed 4x
// (CDP Emulation.setCPUThrottlingRate): from navigation to body[data-ready="true"], which the page
// sets once OpenSSL is loaded, the first handshake is drawn and every button works. Then the first
// "Run it in plain C" (fetching and compiling the AddressSanitizer build, then running scenario 2),
// and a second one (compiled bytes cached, a fresh instance). Medians of RUNS fresh browser
// contexts (nothing cached between runs). Serves playground/dist: build it first (npx vite build playground).
// Usage: node playground/time-to-interactive.mjs [runs]
import { chromium } from 'playwright-core';
import { startServer } from './serve.mjs';

const RUNS = Number(process.argv[2] ?? 5);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await startServer({ port: 0 });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
const rows = { interactive: [], plainFirst: [], plainAgain: [] };
try {
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
    rows.interactive.push(await page.evaluate(() => performance.now()));
    for (const key of ['plainFirst', 'plainAgain']) {
      const start = Date.now();
      await page.click('[data-testid="plainc-free-borrowed"]');
      await page.waitForSelector('[data-testid="plainc"][data-asan-kind="heap-use-after-free"]', { timeout: 120_000 });
      await page.waitForSelector('body[data-busy="false"]');
      rows[key].push(Date.now() - start);
      await page.evaluate(() => {
        document.querySelector('[data-testid="plainc"]').dataset.asanKind = '';
      });
    }
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
const ms = (xs) => `${Math.round(median(xs))} ms (runs: ${xs.map((x) => Math.round(x)).join(', ')})`;
console.log(`CPU slowed 4x, cold cache, median of ${RUNS}:`);
console.log(`  time to interactive:            ${ms(rows.interactive)}`);
console.log(`  first "Run it in plain C":      ${ms(rows.plainFirst)}`);
console.log(`  next "Run it in plain C":       ${ms(rows.plainAgain)}`);
