// The one instance fixture: every suite gets its instance here and ends through the same checks.
import { afterEach, beforeEach, expect } from 'vitest';
import { type LoadOptions, loadOpenSSL, type OpenSSL } from '../../dist/index.js';

/**
 * Every end check, in one place: no invariant violations, no leaked references, no lost trace
 * events, not failed, and for every live session the holders the ledger names sum to OpenSSL's
 * own count (nothing unattributed).
 */
export function expectClean(ossl: OpenSSL, options: { leaks?: boolean } = {}): void {
  expect(ossl.failed).toBe(false);
  expect(ossl.ledger.violations()).toEqual([]);
  expect(ossl.ledger.stats().lostTraceEvents).toBe(0);
  for (const live of ossl.ledger.live()) {
    const sum = live.holders.reduce((n, h) => n + h.references, 0);
    expect({ session: live.session, holders: sum }).toEqual({ session: live.session, holders: live.references });
  }
  if (options.leaks !== false) ossl.ledger.assertNoLeaks();
}

/**
 * A fresh instance for each test of the calling suite, ended through expectClean. `instance()`
 * returns the current one.
 */
export function useInstance(options: LoadOptions = {}): () => OpenSSL {
  let current: OpenSSL | undefined;
  beforeEach(async () => {
    current = await loadOpenSSL(options);
  });
  afterEach(() => {
    if (current) expectClean(current);
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('useInstance: no instance outside a test');
    return current;
  };
}
