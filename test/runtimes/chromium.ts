// Debian's Chromium for the browser suites, driven by playwright-core (never a downloaded browser):
// launching it, and opening a page that reports the shared scenario from the page and a Worker.
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { expect } from 'vitest';
import { expectScenarioPassed, type ScenarioResult, summary } from './harness.js';

export const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface PageReport {
  page?: ScenarioResult;
  worker?: ScenarioResult;
  error?: string;
}

/** Starts headless Chromium with the flags every suite uses; a missing binary says how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: apt-get install chromium (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}

/**
 * Opens `url`, waits for the page's report, and collects every console error or warning, page
 * error and failed request, and the path of every response (page and Workers).
 */
export async function openReport(
  browser: Browser,
  url: string,
): Promise<{ report: PageReport; shown: PageReport; problems: string[]; paths: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  const paths: string[] = [];
  // The first problem fails the wait at once (a module that failed to load never reports).
  let fail: (error: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {});
  const problem = (text: string): void => {
    problems.push(text);
    fail(new Error(`${url}: ${text}`));
  };
  const onConsole = (where: string) => (message: { type(): string; text(): string }) => {
    if (message.type() === 'error' || message.type() === 'warning') problem(`${where} console.${message.type()}: ${message.text()}`);
  };
  page.on('console', onConsole('page'));
  page.on('worker', (worker) => worker.on('console', onConsole('worker')));
  page.on('pageerror', (error) => problem(`pageerror: ${error.message}`));
  page.on('requestfailed', (request) => problem(`request failed: ${request.url()}`));
  page.on('response', (response) => {
    paths.push(new URL(response.url()).pathname);
    if (response.status() >= 400) problem(`HTTP ${response.status()}: ${response.url()}`);
  });
  try {
    await page.goto(url);
    const reported = page.waitForFunction(() => (window as { __result?: unknown }).__result !== undefined, undefined, { timeout: 60_000 });
    await Promise.race([reported, failed]);
    const report = (await page.evaluate(() => (window as { __result?: unknown }).__result)) as PageReport;
    const shown = JSON.parse((await page.textContent('#result')) ?? 'null') as PageReport;
    return { report, shown, problems, paths };
  } finally {
    await page.close();
  }
}

export function expectPageAndWorkerPassed(label: string, { report, shown, problems }: Awaited<ReturnType<typeof openReport>>): void {
  expect(report.error).toBeUndefined();
  expect(problems).toEqual([]);
  expect(shown).toEqual(report);
  expectScenarioPassed(report.page as ScenarioResult, /^chromium \d+[.\d]* \(window\)$/);
  expectScenarioPassed(report.worker as ScenarioResult, /^chromium \d+[.\d]* \(worker\)$/);
  console.log(summary(`${label}, page`, report.page as ScenarioResult));
  console.log(summary(`${label}, worker`, report.worker as ScenarioResult));
}
