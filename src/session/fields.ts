/**
 * The SSL_SESSION accessor family, read and written through one instance's binding. Every getter
 * returns a JS value that owns no C memory (bytes copied out, strings decoded). Setters return
 * OpenSSL's 1/0; callers decide whether 0 throws (Session) or is returned (OpenSSL-shaped layer).
 */

import type { BytePtr, CipherPtr, SessionPtr } from '../binding/abi.js';
import type { Binding } from '../binding/binding.js';
import { InvalidArgumentError } from '../errors.js';

/** An SSL_CIPHER: static data inside the module, safe to keep. */
export interface Cipher {
  /** OpenSSL's name ("TLS_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"). */
  name: string;
  /** The IANA/RFC name. */
  standardName: string;
  /** OpenSSL's 32-bit cipher id (0x03001301 = TLS_AES_128_GCM_SHA256). */
  id: number;
  /** The protocol it first appeared in ("TLSv1.3", "TLSv1.2"). */
  protocol: string;
}

const cipherPointers = new WeakMap<Cipher, { binding: Binding; ptr: CipherPtr }>();

export function cipherOf(b: Binding, p: SessionPtr): Cipher | null {
  return describeCipher(b, b.x.SSL_SESSION_get0_cipher(p));
}

export function describeCipher(b: Binding, c: CipherPtr): Cipher | null {
  if (c === 0) return null;
  const cipher: Cipher = {
    name: b.cstring(b.x.SSL_CIPHER_get_name(c)) ?? '',
    standardName: b.cstring(b.x.SSL_CIPHER_standard_name(c)) ?? '',
    id: b.x.SSL_CIPHER_get_id(c) >>> 0,
    protocol: b.cstring(b.x.SSL_CIPHER_get_version(c)) ?? '',
  };
  cipherPointers.set(cipher, { binding: b, ptr: c });
  return cipher;
}

/** The C pointer behind a Cipher obtained from this instance, or null. */
export function cipherPointer(b: Binding, cipher: Cipher): CipherPtr | null {
  const entry = cipherPointers.get(cipher);
  return entry && entry.binding === b ? entry.ptr : null;
}

/**
 * time_t and long are 32-bit in this wasm32 build (Emscripten 3.1.6): a time beyond 2038-01-19 or a
 * fraction cannot be stored, so it is refused instead of silently wrapping.
 */
function int32Seconds(seconds: number, what: string): number {
  if (!Number.isInteger(seconds) || seconds < -0x80000000 || seconds > 0x7fffffff) {
    throw new InvalidArgumentError(
      `${what}: ${seconds} is not a whole number of seconds in the 32-bit range this build stores (time_t is 32-bit on wasm32)`,
    );
  }
  return seconds;
}

/**
 * A session cache files its sessions in a hash table keyed by protocol version and id. OpenSSL lets
 * either change under a cached session; the entry is then stranded: SSL_CTX_remove_session no longer
 * finds it, and once the cache drops the session its table still points at the freed memory (a
 * later session allocated there is "already cached" without the cache holding a reference).
 * Refused before reaching C; a dup() is in no cache.
 */
function notInCache(b: Binding, p: SessionPtr, op: string): void {
  if (b.x.osw_session_owner(p) !== 0) {
    throw new InvalidArgumentError(
      `${op}: the session is in a context's session cache, which files it under its protocol version and id; remove it from the cache first, or change a dup()`,
    );
  }
}

/** Reads a (pointer, length) pair OpenSSL wrote into the out slots 0 and 1 and copies the bytes. */
function outBytes(b: Binding): Uint8Array {
  return b.copyOut(b.readU32(b.out[0]), b.readU32(b.out[1]));
}

export const fields = {
  id(b: Binding, p: SessionPtr): Uint8Array {
    const data = b.x.SSL_SESSION_get_id(p, b.out[0]);
    return b.copyOut(data, b.readU32(b.out[0]));
  },
  setId(b: Binding, p: SessionPtr, id: Uint8Array): number {
    notInCache(b, p, 'SSL_SESSION_set1_id');
    return b.withBytes(id, (d, n) => b.x.SSL_SESSION_set1_id(p, d, n));
  },
  idContext(b: Binding, p: SessionPtr): Uint8Array {
    const data = b.x.SSL_SESSION_get0_id_context(p, b.out[0]);
    return b.copyOut(data, b.readU32(b.out[0]));
  },
  setIdContext(b: Binding, p: SessionPtr, ctx: Uint8Array): number {
    return b.withBytes(ctx, (d, n) => b.x.SSL_SESSION_set1_id_context(p, d, n));
  },
  time(b: Binding, p: SessionPtr): number {
    return b.x.osw_session_get_time(p);
  },
  setTime(b: Binding, p: SessionPtr, seconds: number): number {
    return b.x.osw_session_set_time(p, int32Seconds(seconds, 'time'));
  },
  timeout(b: Binding, p: SessionPtr): number {
    return b.x.SSL_SESSION_get_timeout(p);
  },
  setTimeout(b: Binding, p: SessionPtr, seconds: number): number {
    return b.x.SSL_SESSION_set_timeout(p, int32Seconds(seconds, 'timeout'));
  },
  protocolVersion(b: Binding, p: SessionPtr): number {
    return b.x.SSL_SESSION_get_protocol_version(p);
  },
  setProtocolVersion(b: Binding, p: SessionPtr, v: number): number {
    notInCache(b, p, 'SSL_SESSION_set_protocol_version');
    return b.x.SSL_SESSION_set_protocol_version(p, v);
  },
  hostname(b: Binding, p: SessionPtr): string | null {
    return b.cstring(b.x.SSL_SESSION_get0_hostname(p));
  },
  setHostname(b: Binding, p: SessionPtr, name: string | null): number {
    if (name === null) return b.x.SSL_SESSION_set1_hostname(p, 0 as BytePtr);
    return b.withString(name, (d) => b.x.SSL_SESSION_set1_hostname(p, d));
  },
  alpnSelected(b: Binding, p: SessionPtr): Uint8Array {
    b.x.SSL_SESSION_get0_alpn_selected(p, b.out[0], b.out[1]);
    return outBytes(b);
  },
  setAlpnSelected(b: Binding, p: SessionPtr, alpn: Uint8Array): number {
    return b.withBytes(alpn, (d, n) => b.x.SSL_SESSION_set1_alpn_selected(p, d, n));
  },
  /** A secret: only returned on an explicit call. */
  masterKey(b: Binding, p: SessionPtr): Uint8Array {
    const n = b.x.SSL_SESSION_get_master_key(p, 0 as BytePtr, 0);
    if (n === 0) return new Uint8Array(0);
    const buf = b.alloc(n, 'SSL_SESSION_get_master_key');
    try {
      const got = b.x.SSL_SESSION_get_master_key(p, buf, n);
      return b.copyOut(buf, got);
    } finally {
      b.u8().fill(0, buf, buf + n);
      b.x.osw_free(buf);
    }
  },
  setMasterKey(b: Binding, p: SessionPtr, key: Uint8Array): number {
    return b.withBytes(key, (d, n) => b.x.SSL_SESSION_set1_master_key(p, d, n));
  },
  maxEarlyData(b: Binding, p: SessionPtr): number {
    return b.x.SSL_SESSION_get_max_early_data(p) >>> 0;
  },
  setMaxEarlyData(b: Binding, p: SessionPtr, n: number): number {
    return b.x.SSL_SESSION_set_max_early_data(p, n >>> 0);
  },
  ticketAppData(b: Binding, p: SessionPtr): Uint8Array {
    b.u8().fill(0, b.out[0], b.out[0] + 8);
    b.x.SSL_SESSION_get0_ticket_appdata(p, b.out[0], b.out[1]);
    return outBytes(b);
  },
  setTicketAppData(b: Binding, p: SessionPtr, data: Uint8Array): number {
    return b.withBytes(data, (d, n) => b.x.SSL_SESSION_set1_ticket_appdata(p, d, n));
  },
  isResumable(b: Binding, p: SessionPtr): boolean {
    return b.x.SSL_SESSION_is_resumable(p) === 1;
  },
  hasTicket(b: Binding, p: SessionPtr): boolean {
    return b.x.SSL_SESSION_has_ticket(p) === 1;
  },
  ticket(b: Binding, p: SessionPtr): Uint8Array {
    b.x.SSL_SESSION_get0_ticket(p, b.out[0], b.out[1]);
    return outBytes(b);
  },
  ticketLifetimeHint(b: Binding, p: SessionPtr): number {
    return b.x.SSL_SESSION_get_ticket_lifetime_hint(p) >>> 0;
  },
  peerCertificate(b: Binding, p: SessionPtr): Uint8Array | null {
    return b.takeBuffer(b.x.osw_session_peer_der(p, b.out[0]));
  },
  print(b: Binding, p: SessionPtr): string | null {
    const text = b.takeBuffer(b.x.osw_session_print(p, b.out[0]));
    return text && new TextDecoder().decode(text);
  },
  /** A secret (the NSS key log line carries the master key). */
  printKeylog(b: Binding, p: SessionPtr): string | null {
    const text = b.takeBuffer(b.x.osw_session_print_keylog(p, b.out[0]));
    return text && new TextDecoder().decode(text);
  },
  toDER(b: Binding, p: SessionPtr): Uint8Array | null {
    return b.takeBuffer(b.x.osw_session_to_der(p, b.out[0]));
  },
  toPEM(b: Binding, p: SessionPtr): string | null {
    const text = b.takeBuffer(b.x.osw_session_to_pem(p, b.out[0]));
    return text && new TextDecoder().decode(text);
  },
};
