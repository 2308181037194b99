// Issue 9: the soak, quick variant (`npm run soak` runs 1,000,000 operations and 50,000 handshakes).
// A random mix of session operations and handshakes with misuse injected: every misuse is refused
// with its own error class, nothing traps, and at the end nothing is held, OpenSSL's counts agree
// with the ledger, and the heap is where it began.
import { expect, it } from 'vitest';
import { loadInstance } from '../support/instance.js';
import { HEAP_SLACK } from './heap.js';
import { HOSTNAME, realSessions, SEED } from './inputs.js';
import { soak } from './soak.js';

it('20,000 session operations and 500 handshakes with misuse injected: every misuse refused by class, no trap, no leak, heap back', async () => {
  const ossl = await loadInstance();
  const other = await loadInstance();
  const identity = ossl.generateCertificate({ commonName: HOSTNAME, keyType: 'P-256' });
  const corpus = realSessions(ossl);
  const stats = soak(ossl, other, identity, corpus, { seed: SEED, ops: 20_000, handshakes: 500, slack: HEAP_SLACK });
  console.log(
    `soak: ${stats.ops} operations, ${stats.handshakes} handshakes (${stats.resumed} resumed) in ${(stats.ms / 1000).toFixed(1)} s; ` +
      `misuse ${stats.misuse}, refused ${JSON.stringify(stats.refused)}; OpenSSL refused ${stats.opensslRefused} bad values, the facade ${stats.argumentRefused}; ` +
      `handshake failures ${JSON.stringify(stats.handshakeFailures)}; heap ${stats.heap.before} -> ${stats.heap.after} (one-time state ${stats.heap.oneTime})`,
  );
  expect(stats.unexpected).toEqual([]);
  expect(stats.failed).toBe(false);
  expect(stats.ops).toBeGreaterThanOrEqual(20_000);
  expect(stats.handshakes).toBe(500);
  expect(stats.misuse).toBeGreaterThan(500);
  const refusedTotal = Object.values(stats.refused as Record<string, number>).reduce((n, c) => n + c, 0);
  expect(refusedTotal).toBe(stats.misuse);
  for (const name of [
    'DoubleFreeError',
    'UseAfterFreeError',
    'ForeignObjectError',
    'NotOwnedError',
    'BorrowExpiredError',
    'TypeError',
    'InvalidArgumentError',
    'TLSError',
    'CallbackError(ReentrancyError)',
  ]) {
    expect(stats.refused[name], name).toBeGreaterThan(0);
  }
  expect(stats.violations).toEqual([]);
  expect(stats.lostTraceEvents).toBe(0);
  expect(stats.live).toBe(0);
  // The heap ended where it began (or, when the pass made OpenSSL create one-time state, its replay did).
  expect(stats.heap.suspects).toEqual([]);
  expect(Math.abs(stats.heap.unexplained)).toBeLessThanOrEqual(HEAP_SLACK);
  expect(stats.heap.oneTime).toBeLessThan(4096);
  ossl.ledger.assertNoLeaks();
  other.ledger.assertNoLeaks();
});
