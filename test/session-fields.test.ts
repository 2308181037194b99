// A field declared by one row of the table (src/core/fields.ts) appears in all three places it
// generates: the Session and SessionView property and the OpenSSL-shaped getter.
import { describe, expect, it } from 'vitest';
import { concat } from './support/bytes.js';
import { useInstance } from './support/instance.js';
import { sessionDER } from './support/sessions.js';
import { contextPair, HOSTNAME } from './support/tls.js';

const instance = useInstance();

/** sessionDER with one more explicitly tagged field of SSL_SESSION_ASN1 (ssl/ssl_asn1.c) appended. */
function withField(tagged: number[]): Uint8Array {
  const der = sessionDER();
  const body = concat(der.subarray(2), Uint8Array.from(tagged));
  return concat(Uint8Array.of(0x30, body.length), body);
}

/** [17] max_fragment_len_mode, an INTEGER. */
const withMaxFragmentLength = (mode: number): Uint8Array => withField([0xb1, 0x03, 0x02, 0x01, mode]);
/** [11] comp_id, an OCTET STRING of one byte: the method id. */
const withCompressId = (id: number): Uint8Array => withField([0xab, 0x03, 0x04, 0x01, id]);

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
});

describe('compressId (SSL_SESSION_get_compress_id): one table row', () => {
  it('reads 0 through the handle, its view and the OpenSSL-shaped getter, for a new session and one from a handshake', () => {
    const ossl = instance();
    const s = ossl.newSession();
    expect([s.compressId, ossl.SSL_SESSION_get_compress_id(s)]).toEqual([0, 0]);
    s.free();
    const cert = ossl.generateCertificate({ commonName: HOSTNAME });
    const { server, client } = contextPair(ossl, cert);
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const view = pair.client.getSession();
    expect([view?.compressId, view && ossl.SSL_SESSION_get_compress_id(view)]).toEqual([0, 0]);
    pair.free();
    client.free();
    server.free();
  });

  it('a comp_id in DER is ignored by this build (no-comp): decoded as 0, and not encoded again', () => {
    const ossl = instance();
    const s = ossl.sessionFromDER(withCompressId(1));
    expect(s.compressId).toBe(0);
    const again = ossl.sessionFromDER(s.toDER());
    expect(again.compressId).toBe(0);
    const plain = ossl.sessionFromDER(sessionDER());
    expect(s.toDER().length).toBe(plain.toDER().length); // the same encoding as without comp_id
    for (const x of [s, again, plain]) x.free();
  });
});

describe('rows without a setter', () => {
  it.each(['maxFragmentLength', 'compressId'])('%s is read-only: assigning it on a Session is a TypeError', (field) => {
    const ossl = instance();
    const s = ossl.newSession();
    expect(() => {
      (s as unknown as Record<string, number>)[field] = 1;
    }).toThrow(TypeError);
    s.free();
  });
});
