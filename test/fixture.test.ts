// The end checks every suite relies on (test/support/instance.ts) fail when they should: a fixture
// whose checks never fire would let every suite pass over a leak, a trap or a count gone wrong.
import { describe, expect, it } from 'vitest';
import { InstanceFailedError, LeakError, type OpenSSL, type Session } from '../dist/index.js';
import { coreOf } from '../dist/openssl.js'; // internals: raw exports, to do behind the ledger's back what no public call can
import { expectClean, expectEnd, expectFailed, usingInstance } from './support/instance.js';

/** A session's raw up_ref and free, behind the ledger's back (the pointer is read while the handle is alive). */
function raw(ossl: OpenSSL, s: Session): { upRef(): void; free(): void } {
  const core = coreOf(ossl) as unknown as {
    session(v: unknown, op: string): { own: { record: { ptr: number } } };
    b: { x: { SSL_SESSION_up_ref(p: number): number; SSL_SESSION_free(p: number): void } };
  };
  const ptr = core.session(s, 'test').own.record.ptr;
  return { upRef: () => void core.b.x.SSL_SESSION_up_ref(ptr), free: () => core.b.x.SSL_SESSION_free(ptr) };
}

function provokeTrap(ossl: OpenSSL): void {
  const rt = coreOf(ossl);
  expect(() =>
    rt.guard(() => rt.b.x.SSL_SESSION_get_protocol_version(0xfffffff0 as Parameters<typeof rt.b.x.SSL_SESSION_get_protocol_version>[0])),
  ).toThrow(InstanceFailedError);
}

describe('the end checks of the instance fixture', () => {
  it('a session left unfreed fails expectClean with the LeakError; the named leaks end skips only that', () =>
    usingInstance({}, (ossl) => {
      const s = ossl.SSL_SESSION_new();
      expect(() => expectClean(ossl)).toThrow(LeakError);
      expectClean(ossl, { leaks: false });
      expectEnd(ossl, 'leaks');
      s.free();
    }));

  it('a reference taken behind the ledger (a raw up_ref) fails expectClean: its holder is unplaced, before and after the handle is freed', () =>
    usingInstance({}, (ossl) => {
      const s = ossl.SSL_SESSION_new();
      const stray = raw(ossl, s);
      stray.upRef();
      expect(ossl.ledger.live()[0].holders.map((h) => h.id)).toEqual([s.handleId, 'unknown (OpenSSL)']);
      expect(() => expectClean(ossl, { leaks: false })).toThrow();
      s.free();
      // No handle holds it any more, so the leak report alone does not see it; the holder check does.
      expect(() => ossl.ledger.assertNoLeaks()).not.toThrow();
      expect(() => expectClean(ossl)).toThrow();
      stray.free(); // given back the same way: clean again
    }));

  it('a failed instance fails expectClean; expectFailed passes for it and fails for a working one', () =>
    usingInstance(
      {},
      (ossl) => {
        expect(() => expectFailed(ossl)).toThrow();
        provokeTrap(ossl);
        expect(() => expectClean(ossl)).toThrow();
        expectFailed(ossl);
      },
      'failed',
    ));
});
