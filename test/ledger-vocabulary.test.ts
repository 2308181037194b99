// One name for the count: every report of the ledger says `references` for OpenSSL's count and
// `handleReferences` for the part JS handles hold, with the holders listing each share.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LeakError } from '../dist/index.js';
import { useInstance } from './support/instance.js';

const ossl = useInstance();

/** Every key of a report, nested ones as `outer.inner` (arrays by their first element). */
function keys(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.length > 0 ? keys(value[0], prefix) : [];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [`${prefix}${k}`, ...keys(v, `${prefix}${k}.`)]);
}

/** Names the vocabulary replaced: refs, held, a c/js prefix on the count. */
const OLD = /refs|held|^(?:.*\.)?(?:c|js)References$|jsRefs/i;

describe('the count is called references in every report', () => {
  it('holders(): references is OpenSSL count, handleReferences the handles’ share, each holder its own references', () => {
    const s = ossl().SSL_SESSION_new();
    ossl().SSL_SESSION_up_ref(s);
    const other = s.upRef();
    const report = ossl().ledger.holders(s);
    expect(report).toEqual({
      session: s.sessionId,
      references: 3,
      handleReferences: 3,
      holders: [
        { kind: 'handle', id: s.handleId, references: 2 },
        { kind: 'handle', id: other.handleId, references: 1 },
      ],
      unattributed: 0,
    });
    expect(keys(report).filter((k) => OLD.test(k))).toEqual([]);
    other.free();
    s.free();
    s.free();
  });

  it('live() and stats(): the same two names; the inspect text of the Ledger too', () => {
    const s = ossl().SSL_SESSION_new();
    const [entry] = ossl().ledger.live();
    expect(entry).toMatchObject({ session: s.sessionId, references: 1, handleReferences: 1, handles: [s.handleId] });
    const stats = ossl().ledger.stats();
    expect(stats).toMatchObject({ liveSessions: 1, handleReferences: 1 });
    expect(inspect(ossl().ledger)).toBe('Ledger { liveSessions: 1, handleReferences: 1, refused: 0, violations: 0 }');
    for (const report of [entry, stats]) expect(keys(report).filter((k) => OLD.test(k))).toEqual([]);
    s.free();
  });

  it("LeakError: each leak's references and handleReferences, and its message says both", () => {
    const s = ossl().SSL_SESSION_new();
    ossl().SSL_SESSION_up_ref(s);
    let error: unknown;
    try {
      ossl().ledger.assertNoLeaks();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LeakError);
    const leak = (error as LeakError).leaks[0];
    expect(leak).toMatchObject({ sessionId: s.sessionId, references: 2, handleReferences: 2 });
    expect(keys(leak).filter((k) => OLD.test(k))).toEqual([]);
    expect((error as LeakError).message).toContain(`${s.sessionId} (references 2, 2 held by handles)`);
    s.free();
    s.free();
  });
});
