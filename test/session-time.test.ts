// 64-bit time: session times past 2038 up to OpenSSL's own limit, through both layers, through DER
// and PEM, in a context's cache (flush), and the refusals at the edges (which change nothing).
import { beforeAll, describe, expect, it } from 'vitest';
import { type GeneratedCertificate, InvalidArgumentError, MAX_SESSION_TIME, type OpenSSL, type Session } from '../dist/index.js';
import { loadInstance, useInstance } from './support/instance.js';
import { sessionDER } from './support/sessions.js';
import { contextPair, HOSTNAME } from './support/tls.js';

let ossl: OpenSSL;
let cert: GeneratedCertificate;
beforeAll(async () => {
  cert = (await loadInstance()).generateCertificate({ commonName: HOSTNAME, keyType: 'P-256' });
});
useInstance({}, (fresh) => {
  ossl = fresh;
});

// 2^31 - 1 is the last second of a 32-bit time_t (2038-01-19); the others need 64 bits.
const times = [2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 34, MAX_SESSION_TIME];

describe('session times are 64-bit', () => {
  it('MAX_SESSION_TIME is the last whole second of unsigned 64-bit nanoseconds (OpenSSL keeps times as OSSL_TIME)', () => {
    expect(MAX_SESSION_TIME).toBe(Number((2n ** 64n - 1n) / 1_000_000_000n));
    expect(new Date(MAX_SESSION_TIME * 1000).getUTCFullYear()).toBe(2554);
  });

  it.each(times)('Session.time = %d round-trips, and survives i2d/d2i and PEM', (t) => {
    const s = ossl.d2i_SSL_SESSION(sessionDER());
    s.time = t;
    expect(s.time).toBe(t);
    const back = ossl.d2i_SSL_SESSION(ossl.i2d_SSL_SESSION(s));
    expect(back.time).toBe(t);
    const pem = ossl.PEM_read_SSL_SESSION(ossl.PEM_write_SSL_SESSION(s));
    expect(pem.time).toBe(t);
    for (const x of [s, back, pem]) x.free();
  });

  it.each(times)('SSL_SESSION_set_time(s, %d) returns 1 and SSL_SESSION_get_time reads it back (both are the _ex calls)', (t) => {
    const s = ossl.SSL_SESSION_new();
    expect(ossl.SSL_SESSION_set_time(s, t)).toBe(1);
    expect(ossl.SSL_SESSION_get_time(s)).toBe(t);
    expect(s.time).toBe(t);
    ossl.SSL_SESSION_free(s);
  });

  it.each([
    ['2^40 (beyond unsigned 64-bit nanoseconds: C would wrap it)', 2 ** 40],
    ['MAX_SESSION_TIME + 1', MAX_SESSION_TIME + 1],
    ['-1 (before the epoch: C would wrap it)', -1],
    ['a fraction', 2 ** 31 + 0.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])('a time of %s is refused with InvalidArgumentError through both layers and changes nothing', (_name, t) => {
    const s = ossl.d2i_SSL_SESSION(sessionDER());
    s.time = 2 ** 32;
    expect(() => {
      s.time = t;
    }).toThrow(InvalidArgumentError);
    expect(() => ossl.SSL_SESSION_set_time(s, t)).toThrow(InvalidArgumentError);
    expect(s.time).toBe(2 ** 32);
    s.free();
  });
});

describe('timeouts are C longs, which wasm32 keeps 32-bit', () => {
  it('a session timeout of 2^31 - 1 round-trips through both layers and DER; 2^31 is refused and changes nothing', () => {
    const s = ossl.d2i_SSL_SESSION(sessionDER());
    s.timeout = 2 ** 31 - 1;
    expect(ossl.SSL_SESSION_get_timeout(s)).toBe(2 ** 31 - 1);
    const back = ossl.d2i_SSL_SESSION(ossl.i2d_SSL_SESSION(s));
    expect(back.timeout).toBe(2 ** 31 - 1);
    expect(() => ossl.SSL_SESSION_set_timeout(s, 2 ** 31)).toThrow(InvalidArgumentError);
    expect(() => {
      s.timeout = 2 ** 32;
    }).toThrow(InvalidArgumentError);
    expect(s.timeout).toBe(2 ** 31 - 1);
    s.free();
    back.free();
  });

  it('a context timeout of 2^31 - 1 round-trips (createContext, setter, SSL_CTX_set_timeout); 2^31 and -1 are refused', () => {
    const { server, client } = contextPair(ossl, cert, { server: { timeout: 2 ** 31 - 1 } });
    expect(server.timeout).toBe(2 ** 31 - 1);
    expect(ossl.SSL_CTX_set_timeout(server, 300)).toBe(2 ** 31 - 1);
    for (const bad of [2 ** 31, -1, 1.5, Number.NaN]) {
      expect(() => ossl.SSL_CTX_set_timeout(server, bad)).toThrow(InvalidArgumentError);
      expect(() => {
        client.timeout = bad;
      }).toThrow(InvalidArgumentError);
    }
    expect(server.timeout).toBe(300);
    expect(() => ossl.createContext({ role: 'client', timeout: 2 ** 31 })).toThrow(InvalidArgumentError);
    server.free();
    client.free();
  });
});

describe('flushSessions works past 2038', () => {
  it('a cached session timed at 2^32 expires exactly after time + timeout; a flush time of 2^40 is refused', () => {
    const { server, client } = contextPair(ossl, cert, { server: { maxVersion: 'TLSv1.2', tickets: false } });
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const s = ossl.SSL_get1_session(pair.server) as Session;
    pair.free();
    expect(server.sessionCount).toBe(1);
    s.time = 2 ** 32; // relinks it in the cache's timeout-ordered list
    const expiry = 2 ** 32 + s.timeout;
    expect(() => server.flushSessions(2 ** 40)).toThrow(InvalidArgumentError);
    expect(() => ossl.SSL_CTX_flush_sessions(server, -1)).toThrow(InvalidArgumentError);
    server.flushSessions(); // now: long before 2^32 + timeout
    ossl.SSL_CTX_flush_sessions(server, expiry);
    expect(server.sessionCount).toBe(1);
    ossl.SSL_CTX_flush_sessions(server, expiry + 1);
    expect(server.sessionCount).toBe(0);
    expect(s.isResumable).toBe(false);
    s.free();
    server.free();
    client.free();
  });
});
