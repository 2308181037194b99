// A field declared by one row of the table (src/core/fields.ts) appears in all three places it
// generates: the Session and SessionView property and the OpenSSL-shaped getter.
import { describe, expect, it } from 'vitest';
import { concat } from './support/bytes.js';
import { useInstance } from './support/instance.js';
import { sessionDER } from './support/sessions.js';

const instance = useInstance();

/** sessionDER with SSL_SESSION_ASN1's [17] max_fragment_len_mode (ssl/ssl_asn1.c) appended. */
function withMaxFragmentLength(mode: number): Uint8Array {
  const der = sessionDER();
  const body = concat(der.subarray(2), Uint8Array.of(0xb1, 0x03, 0x02, 0x01, mode));
  return concat(Uint8Array.of(0x30, body.length), body);
}

describe('maxFragmentLength (SSL_SESSION_get_max_fragment_length): one table row', () => {
  it('reads 0 for a session without the extension, through the handle and the OpenSSL-shaped getter', () => {
    const ossl = instance();
    const s = ossl.newSession();
    expect(s.maxFragmentLength).toBe(0);
    expect(ossl.SSL_SESSION_get_max_fragment_length(s)).toBe(0);
    s.free();
  });

  it.each([1, 2, 3, 4])('mode %i decoded from DER is read the same by both layers, and survives i2d, d2i and dup', (mode) => {
    const ossl = instance();
    const s = ossl.sessionFromDER(withMaxFragmentLength(mode));
    expect(s.maxFragmentLength).toBe(mode);
    expect(ossl.SSL_SESSION_get_max_fragment_length(s)).toBe(mode);
    const again = ossl.sessionFromDER(s.toDER());
    const copy = s.dup();
    expect([again.maxFragmentLength, copy.maxFragmentLength]).toEqual([mode, mode]);
    for (const x of [s, again, copy]) x.free();
  });

  it('is read-only: a Session has no setter for it', () => {
    const ossl = instance();
    const s = ossl.newSession();
    expect(() => {
      (s as unknown as { maxFragmentLength: number }).maxFragmentLength = 2;
    }).toThrow(TypeError);
    s.free();
  });
});
