// The one instance fixture: every suite gets its instances here and ends them through the same checks.
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { InstanceFailedError, type LoadOptions, loadOpenSSL, type OpenSSL } from '../../dist/index.js';

/**
 * How an instance must end:
 * - `clean`: every end check (expectClean);
 * - `leaks`: every end check but the leak report, for a test that leaves references, connections
 *   or contexts behind on purpose (a leak test; the report itself is what it asserts);
 * - `failed`: the test made the instance fail on purpose (a provoked trap): see expectFailed.
 */
export type End = 'clean' | 'leaks' | 'failed';

/**
 * Every end check, in one place: no invariant violations, no leaked references, no lost trace
 * events, not failed, and for every live session the holders the ledger names sum to OpenSSL's own
 * count, each of them placed (nothing unattributed). `leaks: false` skips only the leak report.
 */
export function expectClean(ossl: OpenSSL, options: { leaks?: boolean } = {}): void {
  expect(ossl.failed).toBe(false);
  expect(ossl.ledger.violations()).toEqual([]);
  expect(ossl.ledger.stats().lostTraceEvents).toBe(0);
  for (const live of ossl.ledger.live()) {
    const sum = live.holders.reduce((n, h) => n + h.references, 0);
    expect({ session: live.session, holders: sum }).toEqual({ session: live.session, holders: live.references });
    // Each of them placed: the ledger names a holder it could not place "unknown ..." (a reference
    // taken outside any call it ran, by a connection or context it never saw).
    expect(live.holders.filter((h) => h.id.startsWith('unknown'))).toEqual([]);
  }
  if (options.leaks !== false) ossl.ledger.assertNoLeaks();
}

/**
 * The end of an instance a test made fail on purpose: it says so, and nothing reads its memory
 * any more (every ledger question raises InstanceFailedError instead of answering from a heap
 * that may be damaged).
 */
export function expectFailed(ossl: OpenSSL): void {
  expect(ossl.failed).toBe(true);
  for (const question of [() => ossl.ledger.live(), () => ossl.ledger.violations(), () => ossl.ledger.assertNoLeaks()]) {
    expect(question).toThrow(InstanceFailedError);
  }
}

/** Runs the end checks `end` names. */
export function expectEnd(ossl: OpenSSL, end: End): void {
  if (end === 'failed') expectFailed(ossl);
  else expectClean(ossl, { leaks: end === 'clean' });
}

// Instances a test (or a file's beforeAll) loads itself, ended after that test (or after the file).
const ofTest: { ossl: OpenSSL; end: End }[] = [];
const ofFile: { ossl: OpenSSL; end: End }[] = [];
let inTest = false;
beforeEach(() => {
  inTest = true;
});
afterEach(() => {
  inTest = false;
  for (const { ossl, end } of ofTest.splice(0)) expectEnd(ossl, end);
});
afterAll(() => {
  for (const { ossl, end } of ofFile.splice(0)) expectEnd(ossl, end);
});

/**
 * An instance with options of its own (a second instance, a capped or debug one, one per property
 * run), ended through `end`'s checks after the test that loaded it — or, loaded in a beforeAll,
 * after the file.
 */
export async function loadInstance(options: LoadOptions = {}, end: End = 'clean'): Promise<OpenSSL> {
  const ossl = await loadOpenSSL(options);
  (inTest ? ofTest : ofFile).push({ ossl, end });
  return ossl;
}

/**
 * Runs `use` on a fresh instance and ends it through `end`'s checks as soon as `use` returns: for
 * one instance per property run, where keeping hundreds of instances to the end of the test would
 * keep their memories alive.
 */
export async function usingInstance<T>(options: LoadOptions, use: (ossl: OpenSSL) => T | Promise<T>, end: End = 'clean'): Promise<T> {
  const ossl = await loadOpenSSL(options);
  const result = await use(ossl);
  expectEnd(ossl, end);
  return result;
}

export interface FixtureOptions extends LoadOptions {
  /**
   * `test` (the default): a fresh instance for every test. `file`: one instance shared by the
   * file's tests (for suites whose set-up is costly): after every test every check but the leak
   * report (what the tests share is still alive), after the file every check.
   */
  scope?: 'test' | 'file';
  /** How the instance must end (default `clean`). */
  end?: End;
}

/**
 * The suite's instance, ended through expectEnd. Returns a getter for the current one; `bind`, if
 * given, receives each fresh instance (for suites that keep it in a variable).
 */
export function useInstance(options: FixtureOptions = {}, bind?: (ossl: OpenSSL) => void): () => OpenSSL {
  const { scope = 'test', end = 'clean', ...load } = options;
  let current: OpenSSL | undefined;
  const start = async () => {
    current = await loadOpenSSL(load);
    bind?.(current);
  };
  if (scope === 'file') {
    // Registered first, so run last: after the file's own afterAll has freed what its tests shared.
    beforeAll(start);
    afterEach(() => {
      if (current && end !== 'failed') expectClean(current, { leaks: false });
    });
    afterAll(() => {
      if (current) expectEnd(current, end);
      current = undefined;
    });
  } else {
    beforeEach(start);
    afterEach(() => {
      if (current) expectEnd(current, end);
      current = undefined;
    });
  }
  return () => {
    if (!current) throw new Error('useInstance: no instance outside a test');
    return current;
  };
}
