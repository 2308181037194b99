// Issue 7: the playground, driven in Debian's Chromium. Builds playground/dist (vite, config root
// playground), serves it with playground/serve.mjs on a free port, then walks every guided scenario
// and every misuse button, asserting the references, holders and errors the page shows, with no
// console error. Screenshots go to test-results/playground/ (git-ignored).
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { get, type IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { type Browser, type ConsoleMessage, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../playground/serve.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SHOTS = `${ROOT}test-results/playground`;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];

let browser: Browser;
let server: { url: string; close(): Promise<void> };
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (no browser is ever downloaded)`);
  if (!existsSync(`${ROOT}dist/index.js`)) throw new Error('dist/ is missing: npm run build:ts first');
  await build({ configFile: `${ROOT}playground/vite.config.js`, logLevel: 'warn' });
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer({ root: `${ROOT}playground/dist`, port: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

afterEach(() => {
  const seen = problems.splice(0);
  expect(seen, 'console errors and page errors').toEqual([]);
});

/** A fresh page on the playground, loaded, with console errors collected. */
async function open(viewport = { width: 1400, height: 1000 }, hash = ''): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(`${server.url}${hash}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  await page.waitForSelector('body[data-busy="false"]');
  return page;
}

const byId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);

/** A GET with the bytes as sent (fetch would decompress them). */
function rawGet(url: string, acceptEncoding: string): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { 'accept-encoding': acceptEncoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

async function click(page: Page, id: string): Promise<void> {
  await byId(page, id).click();
  await page.waitForSelector('body[data-busy="false"]');
}

/** The viewport (scenario, last C, diagram side by side on a wide screen), or the whole page. */
async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(800); // let arrows finish drawing in and released ones fade
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage });
}

/** OpenSSL's count for a session as the diagram shows it, or null when it is not drawn. */
async function references(page: Page, session: string): Promise<number | null> {
  const node = byId(page, `session-${session}`);
  if ((await node.count()) === 0) return null;
  return Number(await node.getAttribute('data-references'));
}

async function sessionState(page: Page, session: string): Promise<string | null> {
  const node = byId(page, `session-${session}`);
  return (await node.count()) === 0 ? null : node.getAttribute('data-state');
}

/** A session's holders as the diagram lists them: { "s1": 1, "C1": 1, "X3": 1 }. */
async function holders(page: Page, session: string): Promise<Record<string, number>> {
  return byId(page, `holders-${session}`).evaluate((ul) => {
    const out: Record<string, number> = {};
    for (const li of Array.from(ul.querySelectorAll('li')))
      out[li.getAttribute('data-holder') ?? 'OpenSSL'] = Number(li.getAttribute('data-references'));
    return out;
  });
}

async function variable(page: Page, name: string): Promise<{ session: string; state: string; references: number; kind: string }> {
  const node = byId(page, `holder-${name}`);
  return {
    session: (await node.getAttribute('data-session')) ?? '',
    state: (await node.getAttribute('data-state')) ?? '',
    references: Number(await node.getAttribute('data-references')),
    kind: (await node.getAttribute('data-kind')) ?? '',
  };
}

async function connection(
  page: Page,
  id: string,
): Promise<{ state: string; reused: string | null; session: string | null; protocol: string | null }> {
  const row = byId(page, `connection-${id}`);
  return {
    state: (await row.getAttribute('data-state')) ?? '',
    reused: await row.getAttribute('data-reused'),
    session: await row.getAttribute('data-session'),
    protocol: await row.getAttribute('data-protocol'),
  };
}

async function stats(page: Page): Promise<{ live: number; handleReferences: number; refused: number; violations: number }> {
  const el = byId(page, 'stats');
  return {
    live: Number(await el.getAttribute('data-live-sessions')),
    handleReferences: Number(await el.getAttribute('data-handle-references')),
    refused: Number(await el.getAttribute('data-refused')),
    violations: Number(await el.getAttribute('data-violations')),
  };
}

async function errorName(page: Page): Promise<string> {
  return (await byId(page, 'error').getAttribute('data-error-name')) ?? '';
}

async function step(page: Page): Promise<{ scenario: string; step: number; total: number }> {
  const el = byId(page, 'scenario-step');
  return {
    scenario: (await el.getAttribute('data-scenario')) ?? '',
    step: Number(await el.getAttribute('data-step')),
    total: Number(await el.getAttribute('data-total')),
  };
}

async function lastC(page: Page): Promise<string> {
  return (await byId(page, 'last-c').innerText()).trim();
}

/** The events the timeline lists for the newest action. */
async function latestEvents(page: Page): Promise<{ cause: string; op: string; session: string; references: number }[]> {
  return page
    .locator('[data-testid="action-group"]')
    .first()
    .locator('[data-testid="event"]')
    .evaluateAll((els) =>
      els.map((e) => ({
        cause: e.getAttribute('data-cause') ?? '',
        op: e.getAttribute('data-op') ?? '',
        session: e.getAttribute('data-session') ?? '',
        references: Number(e.getAttribute('data-references')),
      })),
    );
}

describe('the playground page', () => {
  it('opens with a real TLS 1.3 handshake: both sessions, their holders, and events by cause', async () => {
    const page = await open();
    expect(await byId(page, 'version').innerText()).toMatch(/^OpenSSL 3\.5\.7/);
    const client = await connection(page, 'C1');
    const srv = await connection(page, 'C2');
    expect(client).toMatchObject({ state: 'connected', protocol: 'TLSv1.3', reused: 'false' });
    expect(srv).toMatchObject({ state: 'connected', protocol: 'TLSv1.3', reused: 'false' });
    // The client kept its ticket session from the new-session callback as s1; the connection holds it too.
    const s1 = await variable(page, 's1');
    expect(s1).toMatchObject({ kind: 'handle', state: 'owns', references: 1, session: client.session });
    expect(await references(page, s1.session)).toBe(2);
    expect(await holders(page, s1.session)).toEqual({ s1: 1, C1: 1 });
    expect(await holders(page, srv.session as string)).toEqual({ C2: 1 });
    const row = byId(page, `session-row-${s1.session}`);
    expect(await row.getAttribute('data-protocol')).toBe(String(0x0304));
    expect(await row.getAttribute('data-ticket')).toBe('true');
    expect(await row.getAttribute('data-resumable')).toBe('true');
    expect(await page.locator(`[data-arrow="s1->${s1.session}"]`).count()).toBe(1);
    const events = await latestEvents(page);
    expect(events.some((e) => e.cause === 'openssl' && e.op === 'created')).toBe(true);
    expect(events.some((e) => e.cause === 'js' && e.op === 'get1' && e.session === s1.session)).toBe(true);
    expect(await lastC(page)).toContain('SSL_connect(c1);  SSL_accept(c2);  /* repeated while bytes move');
    await shot(page, '01-first-handshake', true);
    await page.close();
  });

  it('every session call button runs its C and moves the counts it should', async () => {
    const page = await open();
    await click(page, 'act-reset');
    expect(await stats(page)).toMatchObject({ live: 0, handleReferences: 0 });

    await click(page, 'act-new');
    expect(await lastC(page)).toBe('SSL_SESSION *s1 = SSL_SESSION_new();');
    const s1 = (await variable(page, 's1')).session;
    expect(await references(page, s1)).toBe(1);
    await click(page, 'act-up-ref');
    expect(await lastC(page)).toContain('SSL_SESSION_up_ref(s1);');
    expect(await holders(page, s1)).toEqual({ s1: 2 });
    await click(page, 'act-dup');
    expect(await lastC(page)).toBe('SSL_SESSION *s2 = SSL_SESSION_dup(s1);');
    const s2 = (await variable(page, 's2')).session;
    expect(s2).not.toBe(s1);
    expect([await references(page, s1), await references(page, s2)]).toEqual([2, 1]);

    // The cache of the selected context (X1, the client's) takes its own reference. OpenSSL removes
    // by session ID, and SSL_SESSION_new's session has none: it stays until a flush drops it.
    await byId(page, 'select-variable').selectOption('s1');
    await click(page, 'act-cache-add');
    expect(await lastC(page)).toContain('SSL_CTX_add_session(x1, s1);  /* returns 1');
    expect(await holders(page, s1)).toEqual({ s1: 2, X1: 1 });
    await click(page, 'act-cache-remove');
    expect(await lastC(page)).toContain('returns 0: the cache looks sessions up by ID and this one has none');
    expect(await holders(page, s1)).toEqual({ s1: 2, X1: 1 });
    await click(page, 'act-free');
    await click(page, 'act-free');
    expect(await holders(page, s1)).toEqual({ X1: 1 });
    expect((await variable(page, 's1')).state).toBe('freed');
    await click(page, 'act-flush-later');
    expect(await sessionState(page, s1)).toBe('freed');

    // A TLS 1.2 handshake: the X3 server caches its session; SSL_get_session borrows, get1 owns.
    await click(page, 'act-handshake-12');
    const c = await connection(page, 'C1');
    expect(c.protocol).toBe('TLSv1.2');
    const server = (await connection(page, 'C2')).session as string;
    expect(await holders(page, server)).toEqual({ X3: 1, C2: 1 });
    await byId(page, 'select-connection').selectOption('C2');
    await click(page, 'act-get-session');
    expect(await lastC(page)).toContain('SSL_SESSION *v1 = SSL_get_session(c2);  /* borrowed: no reference taken */');
    expect(await variable(page, 'v1')).toMatchObject({ kind: 'view', state: 'borrowed', references: 0, session: server });
    expect(await references(page, server)).toBe(2);
    await click(page, 'act-get1-session');
    expect(await lastC(page)).toContain('SSL_get1_session(c2)');
    const owned = await page.locator('[data-testid="select-variable"]').inputValue();
    expect(await variable(page, owned)).toMatchObject({ kind: 'handle', state: 'owns', references: 1, session: server });
    expect(await references(page, server)).toBe(3);
    await click(page, 'act-free');
    expect(await references(page, server)).toBe(2);

    // SSL_set_session on a new connection, then Resume finishes it: reused on both sides.
    const kept = (await variable(page, 's3')).session; // the client's session, from new_session_cb(c1)
    expect(kept).toBe(c.session);
    await byId(page, 'select-variable').selectOption('s3');
    const before = await references(page, kept);
    await click(page, 'act-set-session');
    expect(await lastC(page)).toContain('SSL_set_session(c3, s3);');
    expect(await connection(page, 'C3')).toMatchObject({ state: 'pending' });
    expect(await references(page, kept)).toBe((before as number) + 1);
    await click(page, 'act-resume');
    expect(await connection(page, 'C3')).toMatchObject({ state: 'connected', reused: 'true', protocol: 'TLSv1.2' });
    expect(await connection(page, 'C4')).toMatchObject({ state: 'connected', reused: 'true' });
    expect((await connection(page, 'C4')).session).toBe(server);

    // A session with an ID goes into X1's cache and out again.
    await click(page, 'act-cache-add');
    expect(await holders(page, kept)).toEqual({ s3: 1, C1: 1, C3: 1, X1: 1 });
    await click(page, 'act-cache-remove');
    expect(await lastC(page)).toContain('returns 1: the cache dropped its reference');
    expect(await holders(page, kept)).toEqual({ s3: 1, C1: 1, C3: 1 });

    // SSL_free drops a connection's reference; a flush "two hours later" empties X3's cache.
    await byId(page, 'select-connection').selectOption('C2');
    await click(page, 'act-ssl-free');
    expect(await lastC(page)).toBe('SSL_shutdown(c2);  SSL_free(c2);  /* the connection drops its reference */');
    expect(await holders(page, server)).toEqual({ X3: 1, C4: 1 });
    await byId(page, 'select-context').selectOption('X3');
    await click(page, 'act-flush-now');
    expect(await holders(page, server)).toEqual({ X3: 1, C4: 1 });
    await click(page, 'act-flush-later');
    expect(await holders(page, server)).toEqual({ C4: 1 });
    const flushEvents = await latestEvents(page);
    expect(flushEvents).toContainEqual({ cause: 'openssl', op: 'free', session: server, references: 1 });
    expect(await stats(page)).toMatchObject({ violations: 0 });
    await shot(page, '02-session-calls');
    await page.close();
  });

  const misuses = [
    { id: 'double-free', error: 'DoubleFreeError', pages: ['SSL_SESSION_free(3)', 'SSL_SESSION_free(3)'] },
    { id: 'free-borrowed', error: 'NotOwnedError', pages: ['SSL_SESSION_free(3)', 'SSL_SESSION_free(3)'] },
    { id: 'use-after-free', error: 'UseAfterFreeError', pages: ['SSL_SESSION_free(3)', 'SSL_get_session(3)'] },
    { id: 'view-after-free', error: 'BorrowExpiredError', pages: ['SSL_SESSION_free(3)', 'SSL_get_session(3)'] },
  ];
  for (const m of misuses) {
    it(`misuse "${m.id}" is refused with ${m.error}, quotes the man page, and changes nothing`, async () => {
      const page = await open();
      const kept = await variable(page, 's1'); // the first handshake's client session
      const referencesBefore = await references(page, kept.session);
      const refusedBefore = (await stats(page)).refused;
      await click(page, `misuse-${m.id}`);
      expect(await errorName(page)).toBe(m.error);
      expect(await byId(page, 'error-name').innerText()).toBe(m.error);
      expect((await byId(page, 'error-message').innerText()).length).toBeGreaterThan(20);
      const quotes = page.locator('[data-testid="error"] [data-testid="quote"]');
      expect(await quotes.evaluateAll((q) => q.map((f) => f.getAttribute('data-page')))).toEqual(m.pages);
      expect(await quotes.first().locator('figcaption').innerText()).toBe('— SSL_SESSION_free(3), OpenSSL');
      expect((await byId(page, 'in-c').innerText()).startsWith('In C, without the ledger:')).toBe(true);
      const unchanged = byId(page, 'unchanged');
      expect(await unchanged.getAttribute('data-unchanged')).toBe('true');
      expect(Number(await unchanged.getAttribute('data-refused-after'))).toBe(
        Number(await unchanged.getAttribute('data-refused-before')) + 1,
      );
      expect((await stats(page)).refused).toBe(refusedBefore + 1);
      // The refused line is marked in the C shown, and no ledger event follows it.
      const refusedLine = page.locator('[data-testid="last-c-line"].refused');
      expect(await refusedLine.count()).toBe(1);
      expect(await refusedLine.innerText()).toContain(`refused: ${m.error}`);
      // The session the error names is drawn with a count its listed holders account for.
      const session = (await byId(page, 'error').getAttribute('data-session')) as string;
      expect(await byId(page, `session-${session}`).locator('[data-testid="refused-mark"]').count()).toBe(1);
      const count = await references(page, session);
      const listed = Object.values(await holders(page, session)).reduce((a, b) => a + b, 0);
      expect(count).toBe(listed);
      if (m.id !== 'view-after-free') {
        // Its setup took and gave back (or only borrowed): the first session's count is what it was.
        expect(session).toBe(kept.session);
        expect(count).toBe(referencesBefore);
      } else {
        expect(await holders(page, session)).toEqual({ s2: 1 }); // c3 is gone; only the kept handle remains
      }
      expect((await stats(page)).violations).toBe(0);
      await byId(page, 'error').screenshot({ path: `${SHOTS}/03-misuse-${m.id}.png` });
      await page.close();
    });
  }

  it('scenario 1 walks the life of SSL_SESSION_new to SSL_SESSION_free, forward and back', async () => {
    const page = await open();
    await click(page, 'scenario-start-1');
    expect(await step(page)).toEqual({ scenario: '1', step: 1, total: 8 });
    const s1 = (await variable(page, 's1')).session;
    expect(await holders(page, s1)).toEqual({ s1: 1 });
    const expectations: [number, () => Promise<void>][] = [
      [2, async () => expect(await holders(page, s1)).toEqual({ s1: 2 })],
      [
        3,
        async () => {
          const s2 = (await variable(page, 's2')).session;
          expect([await references(page, s1), await references(page, s2)]).toEqual([2, 1]);
        },
      ],
      [
        4,
        async () => {
          expect(await references(page, s1)).toBe(3);
          expect(await holders(page, s1)).toEqual({ s1: 2, X1: 1 });
        },
      ],
      [5, async () => expect(await holders(page, s1)).toEqual({ s1: 1, X1: 1 })],
      [
        6,
        async () => {
          expect(await holders(page, s1)).toEqual({ X1: 1 });
          expect((await variable(page, 's1')).state).toBe('freed');
        },
      ],
      [
        7,
        async () => {
          expect(await sessionState(page, s1)).toBe('freed');
          expect(await latestEvents(page)).toContainEqual({ cause: 'openssl', op: 'free', session: s1, references: 0 });
        },
      ],
      [
        8,
        async () => {
          expect(await byId(page, 'no-sessions').count()).toBe(0); // the freed copy is still drawn, crossed out
          expect(await stats(page)).toMatchObject({ live: 0, handleReferences: 0, violations: 0 });
          expect(await byId(page, 'scenario-text').innerText()).toContain('ledger.assertNoLeaks() passed');
        },
      ],
    ];
    for (const [n, check] of expectations) {
      await click(page, 'scenario-next');
      expect(await step(page)).toEqual({ scenario: '1', step: n, total: 8 });
      expect(await errorName(page)).toBe('');
      await check();
      if (n === 4) await shot(page, '04-scenario1-step4');
    }
    expect(await byId(page, 'scenario-next').isDisabled()).toBe(true);
    await shot(page, '05-scenario1-end');
    // Back one step: a fresh instance replays steps 1 to 7.
    await click(page, 'scenario-prev');
    expect(await step(page)).toEqual({ scenario: '1', step: 7, total: 8 });
    const s2 = (await variable(page, 's2')).session;
    expect(await holders(page, s2)).toEqual({ s2: 1 });
    await page.close();
  });

  it('scenario 2 shows the delayed failure the man page warns of, refused here with NotOwnedError', async () => {
    const page = await open();
    await click(page, 'scenario-start-2');
    expect(await step(page)).toEqual({ scenario: '2', step: 1, total: 6 });
    const server = (await connection(page, 'C2')).session as string;
    expect(await holders(page, server)).toEqual({ X3: 1, C2: 1 });

    await click(page, 'scenario-next');
    expect(await variable(page, 'v1')).toMatchObject({ kind: 'view', state: 'borrowed', session: server });
    expect(await references(page, server)).toBe(2);

    await click(page, 'scenario-next');
    expect(await step(page)).toMatchObject({ step: 3 });
    expect(await errorName(page)).toBe('NotOwnedError');
    expect(await byId(page, 'unchanged').getAttribute('data-unchanged')).toBe('true');
    expect(await holders(page, server)).toEqual({ X3: 1, C2: 1 });
    expect(await byId(page, 'plain-c').innerText()).toContain('count 1');
    await shot(page, '06-scenario2-mistake');

    await click(page, 'scenario-next');
    expect(await holders(page, server)).toEqual({ X3: 1 });
    expect(await byId(page, 'plain-c').innerText()).toContain('dangling pointer');

    await click(page, 'scenario-next');
    expect(await sessionState(page, server)).toBe('freed');
    expect(await latestEvents(page)).toContainEqual({ cause: 'openssl', op: 'free', session: server, references: 0 });
    expect(await byId(page, 'plain-c').innerText()).toContain('double free');
    expect(await page.locator('[data-testid="scenario-body"] [data-testid="quote"]').first().innerText()).toContain(
      'These failures may also appear delayed',
    );
    await shot(page, '07-scenario2-flush');

    await click(page, 'scenario-next');
    expect(await step(page)).toEqual({ scenario: '2', step: 6, total: 6 });
    const last = (await connection(page, 'C4')).state;
    expect(last).toBe('freed');
    const kept = await page
      .locator('[data-testid="select-variable"] option')
      .evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value));
    const name = kept[kept.length - 1];
    const v = await variable(page, name);
    expect(v).toMatchObject({ kind: 'handle', state: 'freed' });
    expect(await holders(page, v.session)).toEqual({ X3: 1 });
    expect((await stats(page)).violations).toBe(0);
    await page.close();
  });

  it('scenario 3 resumes TLS 1.2 by session ID and TLS 1.3 by ticket, then leaves nothing behind', async () => {
    const page = await open();
    await click(page, 'scenario-start-3');
    expect(await step(page)).toEqual({ scenario: '3', step: 1, total: 5 });
    const c1 = await connection(page, 'C1');
    expect(c1.protocol).toBe('TLSv1.2');
    const k12 = (await variable(page, 's1')).session;
    expect(k12).toBe(c1.session);
    expect(await byId(page, `session-row-${k12}`).getAttribute('data-ticket')).toBe('false');
    const server12 = (await connection(page, 'C2')).session as string;
    expect(await holders(page, server12)).toEqual({ X3: 1, C2: 1 });

    await click(page, 'scenario-next'); // TLS 1.2 resumption: the same objects on both sides
    expect(await connection(page, 'C3')).toMatchObject({ reused: 'true', session: k12 });
    expect(await connection(page, 'C4')).toMatchObject({ reused: 'true', session: server12 });
    expect(await holders(page, k12)).toEqual({ s1: 1, C1: 1, C3: 1 });
    expect(await holders(page, server12)).toEqual({ X3: 1, C2: 1, C4: 1 });

    await click(page, 'scenario-next'); // TLS 1.3: the ticket replaces the first session
    const c5 = await connection(page, 'C5');
    expect(c5.protocol).toBe('TLSv1.3');
    const k13 = (await variable(page, 's2')).session;
    expect(k13).toBe(c5.session);
    expect(await byId(page, `session-row-${k13}`).getAttribute('data-ticket')).toBe('true');
    expect(await byId(page, 'holder-X2').getAttribute('data-sessions')).toBe('0');
    const events = await latestEvents(page);
    expect(events.filter((e) => e.cause === 'openssl' && e.op === 'created').length).toBeGreaterThanOrEqual(3);
    expect(events).toContainEqual({ cause: 'js', op: 'get1', session: k13, references: 2 });

    await click(page, 'scenario-next'); // TLS 1.3 resumption: a new ticket, a new session
    expect(await connection(page, 'C7')).toMatchObject({ reused: 'true', protocol: 'TLSv1.3' });
    expect(await connection(page, 'C8')).toMatchObject({ reused: 'true' });
    const k13b = (await variable(page, 's3')).session;
    expect(k13b).not.toBe(k13);
    expect(await holders(page, k13b)).toEqual({ s3: 1, C7: 1 });
    expect(await holders(page, k13)).toEqual({ s2: 1, C5: 1 });
    await shot(page, '08-scenario3-tls13-resumed');

    await click(page, 'scenario-next');
    expect(await step(page)).toEqual({ scenario: '3', step: 5, total: 5 });
    expect(await errorName(page)).toBe('');
    expect(await stats(page)).toMatchObject({ live: 0, handleReferences: 0, violations: 0 });
    expect(await byId(page, 'scenario-text').innerText()).toContain('passed');
    await page.close();
  });

  it('works from the keyboard, with a visible focus ring', async () => {
    const page = await open();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to the diagram');
    const reach = async (testId: string): Promise<void> => {
      for (let i = 0; i < 120; i++) {
        if ((await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))) === testId) return;
        await page.keyboard.press('Tab');
      }
      throw new Error(`Tab never reached ${testId}`);
    };
    await reach('scenario-start-1');
    const ring = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement as Element);
      return `${s.outlineStyle} ${s.outlineWidth}`;
    });
    expect(ring).toBe('solid 3px');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="scenario-step"][data-step="1"]');
    await reach('scenario-next');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="scenario-step"][data-step="2"]');
    await page.keyboard.press('Enter'); // focus stays on Next
    await page.waitForSelector('[data-testid="scenario-step"][data-step="3"]');
    await reach('misuse-double-free');
    await page.keyboard.press('Enter');
    expect(await errorName(page)).toBe('DoubleFreeError');
    await page.close();
  });

  it('scenario 2 run in plain C: ASan reports the heap-use-after-free in SSL_CTX_flush_sessions, drawn as a freed block', async () => {
    const page = await open({ width: 1440, height: 900 });
    await click(page, 'scenario-start-2');
    await click(page, 'scenario-next');
    await click(page, 'scenario-next');
    expect(await errorName(page)).toBe('NotOwnedError'); // the page itself refused the mistake
    await click(page, 'scenario-plainc');
    const panel = byId(page, 'plainc');
    await expect.poll(() => panel.getAttribute('data-asan-kind')).toBe('heap-use-after-free');
    const report = await byId(page, 'asan-report').innerText();
    expect(report).toMatch(/ERROR: AddressSanitizer: heap-use-after-free on address 0x[0-9a-f]+/);
    // The bad access is OpenSSL walking the cache; the block was freed by SSL_free and made by the handshake.
    const [access, freed, allocated] = report.split(/freed by thread T0 here:|previously allocated by thread T0 here:/);
    expect(access).toMatch(/#0 0x[0-9a-f]+ in SSL_CTX_flush_sessions/);
    expect(freed).toMatch(/in SSL_SESSION_free\+/);
    expect(freed).toMatch(/in SSL_free\+/);
    expect(allocated).toMatch(/in SSL_SESSION_new\+/);
    // The C world: the cache still points at the block OpenSSL freed, with the marker on that pointer.
    const block = page.locator('[data-testid="cworld"] .cw-block[data-freed="true"]');
    await expect.poll(() => block.count()).toBe(1);
    expect(await block.locator('[data-testid="cw-count"]').textContent()).toBe('count 0: freed');
    const culprit = page.locator('[data-testid="cworld"] .cw-pointer.culprit');
    expect(await culprit.getAttribute('data-holder')).toBe('ctx cache');
    expect(await culprit.getAttribute('class')).toContain('dangling');
    expect(await byId(page, 'cw-culprit').textContent()).toBe('use after free here, through ctx cache');
    expect(await page.locator('[data-testid="plainc-lines"] li[data-state="stopped"] code').innerText()).toContain(
      'SSL_CTX_flush_sessions',
    );
    expect(await byId(page, 'plainc-moral').innerText()).toContain('none of these stacks');
    await byId(page, 'plainc').screenshot({ path: `${SHOTS}/11-plain-c-scenario2.png` });
    // Step back through the C world: after line 3 the block is alive with count 1.
    await byId(page, 'plainc-back').click();
    await byId(page, 'plainc-back').click();
    expect(await byId(page, 'plainc-step').innerText()).toContain('after line 3');
    expect(await page.locator('[data-testid="cworld"] .cw-block[data-freed="true"]').count()).toBe(0);
    // The sacrificial instance is gone; the page's own instance carries on.
    await click(page, 'scenario-next');
    expect(await step(page)).toMatchObject({ step: 4 });
    await page.close();
  });

  for (const [id, fn] of [
    ['double-free', /#0 0x[0-9a-f]+ in SSL_SESSION_free\+/],
    ['use-after-free', /#0 0x[0-9a-f]+ in SSL_SESSION_get_time/],
    ['view-after-free', /#0 0x[0-9a-f]+ in SSL_SESSION_get_time/],
  ] as const) {
    it(`misuse "${id}" in plain C: ASan catches it in ${fn.source.split(' in ')[1].replace(/\\\+$/, '')}, nothing else breaks`, async () => {
      const page = await open();
      await click(page, `plainc-${id}`);
      await expect.poll(() => byId(page, 'plainc').getAttribute('data-asan-kind')).toBe('heap-use-after-free');
      expect((await byId(page, 'asan-report').innerText()).split('freed by')[0]).toMatch(fn);
      expect(await page.locator('[data-testid="cworld"] .cw-block[data-freed="true"]').count()).toBe(1);
      expect(await page.locator('[data-testid="cworld"] .cw-pointer.culprit.dangling').count()).toBe(1);
      await click(page, 'act-handshake-13');
      expect(await errorName(page)).toBe('');
      await page.close();
    });
  }

  it('exercises: a prediction answered right and one answered wrong, both checked against the ledger', async () => {
    const page = await open(undefined, '#scenario=2&step=3');
    const exercise = byId(page, 'exercise');
    expect(await exercise.innerText()).toContain('What will it be after SSL_free(c2)?');
    await exercise.getByRole('button', { name: '1', exact: true }).click();
    await page.waitForSelector('body[data-busy="false"]');
    expect(await step(page)).toMatchObject({ step: 4 });
    const right = byId(page, 'exercise-result');
    expect(await right.getAttribute('data-correct')).toBe('true');
    expect(await right.innerText()).toContain('the ledger says “1”');
    await shot(page, '15-exercise-right');

    await byId(page, 'exercise').getByRole('button', { name: 'your code (a JS call)' }).click();
    await page.waitForSelector('body[data-busy="false"]');
    expect(await step(page)).toMatchObject({ step: 5 });
    const wrong = byId(page, 'exercise-result');
    expect(await wrong.getAttribute('data-correct')).toBe('false');
    expect(await wrong.innerText()).toContain('the ledger says “OpenSSL, inside the flush”');
    expect(await wrong.innerText()).toContain('OpenSSL frees the session');
    await page.close();
  });

  it('every scenario asks at least one prediction', async () => {
    const page = await open();
    for (const [id, steps] of [
      ['1', 8],
      ['2', 6],
      ['3', 5],
    ] as const) {
      await click(page, `scenario-start-${id}`);
      let asked = 0;
      for (let k = 1; k <= steps; k++) {
        asked += await byId(page, 'exercise').count();
        if (k < steps) await click(page, 'scenario-next');
      }
      expect(asked, `scenario ${id}`).toBeGreaterThanOrEqual(1);
    }
    await page.close();
  });

  it('a permalink reproduces a mid-scenario state, and the address follows each step', async () => {
    const first = await open();
    await click(first, 'scenario-start-2');
    const server = (await connection(first, 'C2')).session as string;
    await click(first, 'scenario-next');
    await click(first, 'scenario-next');
    await click(first, 'scenario-next');
    expect(new URL(first.url()).hash).toBe('#scenario=2&step=4');
    const expected = {
      holders: await holders(first, server),
      stats: await stats(first),
      text: await byId(first, 'scenario-text').innerText(),
    };
    await first.close();

    const page = await open(undefined, '#scenario=2&step=4');
    expect(await step(page)).toEqual({ scenario: '2', step: 4, total: 6 });
    expect(await holders(page, server)).toEqual(expected.holders);
    expect(await holders(page, server)).toEqual({ X3: 1 });
    expect(await stats(page)).toEqual(expected.stats);
    expect(await byId(page, 'scenario-text').innerText()).toBe(expected.text);
    await click(page, 'scenario-next');
    expect(new URL(page.url()).hash).toBe('#scenario=2&step=5');
    await page.close();
  });

  it('a permalink of your own program replays it to the same line', async () => {
    const first = await open();
    await click(first, 'act-get1-session'); // s2 = SSL_get1_session(c1)
    await click(first, 'act-free');
    await click(first, 'act-free'); // refused: s2 owns nothing any more
    expect(await errorName(first)).toBe('DoubleFreeError');
    // The page names references by the program's variables: no ledger handle id (H4) anywhere.
    expect(await first.evaluate(() => document.body.innerText)).not.toMatch(/\bH\d+\b/);
    expect(await byId(first, 'unchanged').innerText()).toContain('The only number that moved is the ledger');
    const url = first.url();
    expect(new URL(url).hash).toMatch(/^#program=[\w-]+&ran=4$/);
    const lines = await byId(first, 'editor-text').inputValue();
    expect(lines.split('\n')).toEqual([
      'handshake(x2);  // a first TLS 1.3 handshake',
      's2 = SSL_get1_session(c1);',
      'SSL_SESSION_free(s2);',
      'SSL_SESSION_free(s2);',
    ]);
    const before = { s2: await variable(first, 's2'), stats: await stats(first) };
    await first.close();

    const page = await open(undefined, new URL(url).hash);
    expect(await byId(page, 'editor-text').inputValue()).toBe(lines);
    expect(await variable(page, 's2')).toEqual(before.s2);
    expect(await stats(page)).toEqual(before.stats);
    expect(await page.locator('[data-testid="editor-line"]').nth(3).getAttribute('data-state')).toBe('error');
    expect(await byId(page, 'editor-error').innerText()).toContain('DoubleFreeError');
    await page.close();
  });

  it('the editor steps a program forward and back, with errors inline at their line', async () => {
    const page = await open();
    await byId(page, 'editor-text').fill(
      [
        'handshake(x3);',
        'v = SSL_get_session(c2);',
        'SSL_SESSION_free(v);  // the mistake: v borrows',
        'SSL_free(c2);',
        'SSL_CTX_flush_sessions(x3, now + 7201);',
        'SSL_SESSION_fre(v);',
      ].join('\n'),
    );
    expect(await byId(page, 'editor').getAttribute('data-stale')).toBe('true');
    await click(page, 'editor-back'); // the first line that ran was edited: a fresh instance, nothing run
    expect(await byId(page, 'editor').getAttribute('data-ran')).toBe('0');
    expect((await stats(page)).live).toBe(0);
    await click(page, 'editor-forward');
    expect(await byId(page, 'editor').getAttribute('data-ran')).toBe('1');
    const server = (await connection(page, 'C2')).session as string;
    expect(await holders(page, server)).toEqual({ X3: 1, C2: 1 });
    await click(page, 'editor-forward');
    expect(await variable(page, 'v')).toMatchObject({ kind: 'view', state: 'borrowed', session: server });
    await click(page, 'editor-forward');
    expect(await errorName(page)).toBe('NotOwnedError');
    const lines = page.locator('[data-testid="editor-line"]');
    expect(await lines.nth(2).getAttribute('data-state')).toBe('error');
    expect(await lines.nth(2).locator('[data-testid="editor-error"]').innerText()).toContain('NotOwnedError');
    expect(await holders(page, server)).toEqual({ X3: 1, C2: 1 });
    await click(page, 'editor-forward');
    expect(await holders(page, server)).toEqual({ X3: 1 });
    await shot(page, '12-editor-forward');

    await click(page, 'editor-back'); // a fresh instance replays lines 1 to 3
    expect(await byId(page, 'editor').getAttribute('data-ran')).toBe('3');
    expect(await holders(page, server)).toEqual({ X3: 1, C2: 1 });
    expect(await lines.nth(2).getAttribute('data-state')).toBe('error');
    expect(await lines.nth(3).getAttribute('data-state')).toBe('next');

    await click(page, 'editor-all'); // the flush frees the server's session; the last line is not a call
    expect(await references(page, server)).toBeNull();
    expect(await lines.nth(5).locator('[data-testid="editor-error"]').innerText()).toContain('SSL_SESSION_fre is not one of the calls');
    expect((await stats(page)).violations).toBe(0);
    await page.close();
  });

  for (const viewport of [
    { width: 1440, height: 900 },
    { width: 1280, height: 720 },
  ]) {
    it(`the diagram and the last action stay in view after a click at ${viewport.width}x${viewport.height}`, async () => {
      const page = await open(viewport);
      const button = byId(page, 'act-flush-later');
      await button.scrollIntoViewIfNeeded();
      await click(page, 'act-flush-later');
      const seen = await page.evaluate(() => {
        const box = (id: string) => document.querySelector(`[data-testid="${id}"]`)?.getBoundingClientRect();
        const visible = (r: DOMRect | undefined) => (r ? Math.min(r.bottom, innerHeight) - Math.max(r.top, 0) : 0);
        return { diagram: visible(box('diagram')), last: visible(box('last-c')), scrolled: scrollY };
      });
      expect(seen.scrolled).toBeGreaterThan(0); // the page did scroll to reach the button
      expect(seen.last).toBeGreaterThan(20);
      expect(seen.diagram).toBeGreaterThan(150);
      await page.screenshot({ path: `${SHOTS}/13-in-view-${viewport.width}x${viewport.height}.png` });
      await page.close();
    });
  }

  it('projector mode shows the scenario text beside the diagram at 1280x720 and at 200% zoom', async () => {
    for (const [viewport, scale] of [
      [{ width: 1280, height: 720 }, 1],
      [{ width: 640, height: 360 }, 2],
    ] as const) {
      const page = await browser.newPage({ viewport, deviceScaleFactor: scale });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      await page.goto(`${server.url}#scenario=2&step=3`);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
      await page.waitForSelector('body[data-busy="false"]');
      await click(page, 'projector');
      const seen = await page.evaluate(() => {
        const r = (id: string) => document.querySelector(`[data-testid="${id}"]`)?.getBoundingClientRect() as DOMRect;
        const text = r('scenario-text');
        const diagram = r('diagram');
        return {
          text: text.top < innerHeight && text.bottom > 0,
          diagram: diagram.top < innerHeight,
          side: diagram.left >= text.right - 1,
          wide: document.documentElement.scrollWidth <= innerWidth,
        };
      });
      expect(seen).toEqual({ text: true, diagram: true, side: true, wide: true });
      await page.screenshot({ path: `${SHOTS}/14-projector-${viewport.width}x${viewport.height}@${scale}x.png` });
      await page.close();
    }
  });

  it('serve.mjs sends the wasm modules brotli- or gzip-compressed, with Content-Encoding, and plain to those who ask', async () => {
    const assets = readdirSync(`${ROOT}playground/dist/assets`).filter((f) => f.endsWith('.wasm'));
    expect(assets.length).toBe(2); // the release module and the AddressSanitizer one
    for (const name of assets) {
      const original = readFileSync(`${ROOT}playground/dist/assets/${name}`);
      for (const [accept, encoding, decode] of [
        ['gzip, deflate, br', 'br', brotliDecompressSync],
        ['gzip', 'gzip', gunzipSync],
        ['identity', null, (b: Buffer) => b],
      ] as const) {
        const { headers, body } = await rawGet(`${server.url}assets/${name}`, accept);
        expect(headers['content-encoding'] ?? null).toBe(encoding);
        expect(headers.vary).toBe('Accept-Encoding');
        expect(Number(headers['content-length'])).toBe(body.length);
        expect(decode(body).equals(original)).toBe(true);
        if (encoding) expect(body.length).toBeLessThan(original.length * 0.6);
      }
    }
  });

  it('inside a session: SSL_SESSION_print of the selected variable, never read through a freed one', async () => {
    const page = await open();
    await page.selectOption('[data-testid="select-variable"]', 's1');
    await page.waitForSelector('body[data-busy="false"]');
    const print = await byId(page, 'inside-print').innerText();
    expect(print).toContain('SSL-Session:');
    expect(print).toMatch(/Protocol\s*: TLSv1\.3/);
    const refusedBefore = (await stats(page)).refused;
    await click(page, 'act-free');
    await page.selectOption('[data-testid="select-variable"]', 's1');
    expect(await byId(page, 'inside-refused').innerText()).toContain('no longer stands for a session');
    expect((await stats(page)).refused).toBe(refusedBefore); // looking is never a refused call
    await byId(page, 'inside')
      .screenshot({ path: `${SHOTS}/16-inside-a-session.png` })
      .catch(() => undefined);
    await page.close();
  });

  it('says why an offered session gave a full handshake: an ID the cache lost, a TLS 1.3 ticket used once', async () => {
    const page = await open();
    await byId(page, 'editor-text').fill(
      [
        'handshake(x3);',
        'SSL_CTX_flush_sessions(x3, now + 7201);',
        'handshake(x3, s1);',
        'handshake(x2);',
        't = SSL_get1_session(c5);',
        'handshake(x2, t);',
        'handshake(x2, t);',
      ].join('\n'),
    );
    await click(page, 'editor-all');
    expect(await page.locator('[data-testid="editor-error"]').count()).toBe(0);
    const program = await byId(page, 'program').innerText();
    expect(program).toContain("a full handshake because x3's cache no longer holds s1's session ID");
    expect(await connection(page, 'C7')).toMatchObject({ reused: 'true' });
    expect(program).toContain('a full handshake because t was not resumable');
    expect(await connection(page, 'C9')).toMatchObject({ reused: 'false' });
    await page.close();
  });

  it('fits a narrow screen without sideways scrolling', async () => {
    const page = await open({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await click(page, 'misuse-free-borrowed');
    expect(await errorName(page)).toBe('NotOwnedError');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await click(page, 'plainc-free-borrowed');
    await expect.poll(() => byId(page, 'plainc').getAttribute('data-asan-kind')).toBe('heap-use-after-free');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await click(page, 'scenario-start-2');
    await click(page, 'scenario-next');
    // On a phone a step brings the diagram into view.
    await expect
      .poll(() => page.evaluate(() => document.querySelector('[data-testid="diagram"]')?.getBoundingClientRect().top ?? -1))
      .toBeLessThan(844);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, '09-narrow', true);
    await byId(page, 'diagram').screenshot({ path: `${SHOTS}/10-narrow-diagram.png` });
    await page.close();
  });
});
