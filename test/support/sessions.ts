// Shared by the session suites: a DER fixture, and the questions every test asks the ledger.
import { expect } from 'vitest';
import type { LiveSession, OpenSSL, Session, SessionView } from '../../dist/index.js';
import { concat } from './bytes.js';

/** TLS_AES_128_GCM_SHA256's two-byte code (RFC 8446), as SSL_SESSION_ASN1 stores it. */
export const TLS_AES_128_GCM_SHA256 = [0x13, 0x01] as const;

export interface SessionFixture {
  /** OpenSSL's protocol number (default 0x0304, TLS 1.3). */
  version?: number;
  cipher?: readonly [number, number];
  id?: Uint8Array;
  masterKey?: Uint8Array;
}

/**
 * A minimal SSL_SESSION_ASN1 (ssl/ssl_asn1.c: version 1, ssl_version, cipher, session_id,
 * master_key), assembled by hand. Until TLS connections exist this is the only way to obtain a
 * session OpenSSL will encode: i2d_SSL_SESSION refuses a session without a cipher, and
 * SSL_SESSION_set_cipher only accepts a Cipher read from a session of the same instance.
 * OpenSSL decodes it (d2i) and re-encodes it with its defaults (time, timeout, ...) added.
 */
export function sessionDER(f: SessionFixture = {}): Uint8Array {
  const version = f.version ?? 0x0304;
  return tlv(
    0x30,
    concat(
      tlv(0x02, Uint8Array.of(1)), // SSL_SESSION_ASN1_VERSION
      tlv(0x02, Uint8Array.of(version >> 8, version & 0xff)),
      tlv(0x04, Uint8Array.from(f.cipher ?? TLS_AES_128_GCM_SHA256)),
      tlv(0x04, f.id ?? new Uint8Array(32).fill(0xab)),
      tlv(0x04, f.masterKey ?? new Uint8Array(48).fill(0x07)),
    ),
  );
}

function tlv(tag: number, body: Uint8Array): Uint8Array {
  const n = body.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return concat(Uint8Array.of(tag, ...length), body);
}

/** `n` bytes from the platform CSPRNG (getRandomValues fills at most 64 KiB per call). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65_536) crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65_536)));
  return out;
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

/** OpenSSL's own reference count of the session behind `s` (0 once freed). */
export function referencesOf(ossl: OpenSSL, s: Session | SessionView): number {
  return ossl.ledger.holders(s).references;
}

/** The ledger's live() entry of the session behind `s`, or undefined once it is freed. */
export function liveEntry(ossl: OpenSSL, s: Session | SessionView): LiveSession | undefined {
  const id = s.sessionId;
  return ossl.ledger.live().find((l) => l.session === id);
}

/** What a refused call must leave exactly as it was. */
export interface Snapshot {
  live: LiveSession[];
  refused: number;
  events: number;
  lastEventSeq: number;
  /** C heap bytes in use (mallinfo): a refused call allocates nothing and frees nothing. */
  heap: number;
}

export function snapshot(ossl: OpenSSL): Snapshot {
  const events = ossl.ledger.events();
  return {
    live: ossl.ledger.live(),
    refused: ossl.ledger.stats().refused,
    events: events.length,
    lastEventSeq: events.at(-1)?.seq ?? 0,
    heap: ossl.ledger.heapBytes(),
  };
}

/**
 * Runs a call that must be refused with `expected`, then proves it changed nothing: the same live
 * sessions with the same counts, no new ledger event, the same C heap bytes, one
 * more refusal counted, and an instance that still makes and frees sessions.
 */
export function expectRefused<E extends Error>(ossl: OpenSSL, call: () => unknown, expected: abstract new (...args: never[]) => E): E {
  const before = snapshot(ossl);
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(expected);
  const after = snapshot(ossl);
  expect(after.live).toEqual(before.live);
  expect(after.events).toBe(before.events);
  expect(after.lastEventSeq).toBe(before.lastEventSeq);
  expect(after.heap).toBe(before.heap);
  expect(after.refused).toBe(before.refused + 1);
  expectInstanceWorks(ossl);
  return thrown as E;
}

/** The instance still works: a new session has one reference, and freeing it removes it. */
export function expectInstanceWorks(ossl: OpenSSL): void {
  expect(ossl.failed).toBe(false);
  const s = ossl.SSL_SESSION_new();
  expect(liveEntry(ossl, s)).toMatchObject({ references: 1, handleReferences: 1 });
  ossl.SSL_SESSION_free(s);
  expect(liveEntry(ossl, s)).toBeUndefined();
}
