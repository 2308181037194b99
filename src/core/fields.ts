/**
 * The SSL_SESSION accessor family, declared once: one row per field names its OpenSSL getter and
 * setter, how a written value is converted (../core/convert.ts), how C reads and writes it, and
 * whether it may change while a context's cache holds the session. Session, SessionView and the
 * OpenSSL-shaped accessors (SSL_SESSION_get0_hostname, ...) are generated from this table, so a
 * new accessor is one row here plus its export's row in the FFI table (../binding/abi.ts, which the
 * linker's list comes from; the compiler refuses a `b.x.` call to an export the table lacks), and
 * C glue only where OpenSSL lacks the function.
 * Every read returns a JS value that owns no C memory (bytes copied out, strings decoded).
 */
import type { BytePtr, CipherPtr, SessionPtr } from '../binding/abi.js';
import type { Binding } from '../binding/binding.js';
import { InvalidArgumentError, type OpenSSLError } from '../errors.js';
import { bytes, cStringOrNull, integer, NUMBER_KINDS, type NumberKind } from './convert.js';
import { type ParamKind, refuse } from './gate.js';
import type { Core } from './instance.js';

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

/** The C pointer behind a Cipher obtained from this instance (a WeakMap lookup: runs no user code). */
function cipherArgument(v: unknown, what: string, core: Core): CipherPtr {
  const entry = typeof v === 'object' && v !== null ? cipherPointers.get(v as Cipher) : undefined;
  if (entry === undefined) {
    throw new InvalidArgumentError(`${what}: expected a Cipher read from this instance (SSL_SESSION_get0_cipher, connection.cipher)`);
  }
  if (entry.binding !== core.b) throw new InvalidArgumentError(`${what}: the cipher does not come from this instance`);
  return entry.ptr;
}

/** Reads a (pointer, length) pair OpenSSL wrote into the out slots 0 and 1 and copies the bytes. */
function outBytes(b: Binding): Uint8Array {
  return b.copyOut(b.readU32(b.out[0]), b.readU32(b.out[1]));
}

/** A field's setter: its OpenSSL name, the conversion of the value, the C write (1 = success). */
export interface FieldSetter<W> {
  readonly name: string;
  /** What the setter accepts (the gate's declaration carries it to generators). */
  readonly kind: ParamKind;
  readonly convert: (v: unknown, what: string, core: Core) => W;
  readonly write: (b: Binding, p: SessionPtr, value: W) => number;
  /**
   * False: refused while a context's cache holds the session. A cache files its sessions in a hash
   * table keyed by protocol version and id; OpenSSL lets either change under a cached session, and
   * the entry is then stranded (SSL_CTX_remove_session no longer finds it; once the cache drops
   * the session, its table still points at freed memory). A dup() is in no cache.
   */
  readonly whileCached: boolean;
}

export interface FieldRow<T, W = never> {
  /** The OpenSSL-shaped getter's name. */
  readonly get: string;
  readonly read: (b: Binding, p: SessionPtr) => T;
  readonly set?: FieldSetter<W>;
  /** A secret: returned only when asked for by name, never printed by inspect/toJSON. */
  readonly secret?: boolean;
  /**
   * A plain field: its OpenSSL getter and setter only read or store it and never queue an error,
   * so the gate need not empty the queue after them (asking whether it is empty cost more than the
   * read itself).
   */
  readonly plain?: true;
  readonly doc: string;
}

// A setter's value: its declared kind and its converter, side by side (rows spread one of these).
const number = (range: NumberKind) => ({
  kind: { kind: 'number', range } as const,
  convert: (v: unknown, what: string): number => integer(v, range, what),
});
const anyBytes = { kind: { kind: 'bytes' } as const, convert: (v: unknown, what: string): Uint8Array => bytes(v, what) };
/** RFC 6066: a HostName is at most 255 bytes (OpenSSL's TLSEXT_MAXLEN_host_name). */
const hostname = {
  kind: { kind: 'string', maxBytes: 255, nullable: true } as const,
  convert: (v: unknown, what: string): Uint8Array | null => cStringOrNull(v, what, 255),
};
const cipher = { kind: { kind: 'cipher' } as const, convert: cipherArgument };

const withBytes =
  (f: (b: Binding, p: SessionPtr, d: BytePtr, n: number) => number) =>
  (b: Binding, p: SessionPtr, v: Uint8Array): number =>
    b.withBytes(v, (d, n) => f(b, p, d, n));

/** The table. Property name = the Session/SessionView property. */
export const SESSION_FIELDS = {
  id: {
    get: 'SSL_SESSION_get_id',
    doc: 'The session id.',
    read: (b: Binding, p: SessionPtr): Uint8Array => b.copyOut(b.x.SSL_SESSION_get_id(p, b.out[0]), b.readU32(b.out[0])),
    set: {
      name: 'SSL_SESSION_set1_id',
      ...anyBytes,
      whileCached: false,
      write: withBytes((b, p, d, n) => b.x.SSL_SESSION_set1_id(p, d, n)),
    },
  },
  idContext: {
    get: 'SSL_SESSION_get0_id_context',
    doc: 'The session id context (which server application the session belongs to).',
    read: (b: Binding, p: SessionPtr): Uint8Array => b.copyOut(b.x.SSL_SESSION_get0_id_context(p, b.out[0]), b.readU32(b.out[0])),
    set: {
      name: 'SSL_SESSION_set1_id_context',
      ...anyBytes,
      whileCached: true,
      write: withBytes((b, p, d, n) => b.x.SSL_SESSION_set1_id_context(p, d, n)),
    },
  },
  time: {
    plain: true,
    get: 'SSL_SESSION_get_time',
    doc: 'Creation time, seconds since the epoch (SSL_SESSION_get_time_ex).',
    read: (b: Binding, p: SessionPtr): number => b.x.osw_session_get_time(p),
    set: {
      name: 'SSL_SESSION_set_time',
      ...number(NUMBER_KINDS.sessionTime),
      whileCached: true,
      write: (b: Binding, p: SessionPtr, v: number) => b.x.osw_session_set_time(p, v),
    },
  },
  timeout: {
    plain: true,
    get: 'SSL_SESSION_get_timeout',
    doc: 'Lifetime in seconds.',
    read: (b: Binding, p: SessionPtr): number => b.x.SSL_SESSION_get_timeout(p),
    set: {
      name: 'SSL_SESSION_set_timeout',
      ...number(NUMBER_KINDS.seconds32),
      whileCached: true,
      write: (b: Binding, p: SessionPtr, v: number) => b.x.SSL_SESSION_set_timeout(p, v),
    },
  },
  protocolVersion: {
    plain: true,
    get: 'SSL_SESSION_get_protocol_version',
    doc: "OpenSSL's protocol number: 0x0304 TLS 1.3, 0x0303 TLS 1.2.",
    read: (b: Binding, p: SessionPtr): number => b.x.SSL_SESSION_get_protocol_version(p),
    set: {
      name: 'SSL_SESSION_set_protocol_version',
      ...number(NUMBER_KINDS.protocolVersion),
      whileCached: false,
      write: (b: Binding, p: SessionPtr, v: number) => b.x.SSL_SESSION_set_protocol_version(p, v),
    },
  },
  cipher: {
    get: 'SSL_SESSION_get0_cipher',
    doc: 'The cipher suite; set only with a Cipher read from this instance.',
    read: (b: Binding, p: SessionPtr): Cipher | null => cipherOf(b, p),
    set: {
      name: 'SSL_SESSION_set_cipher',
      ...cipher,
      whileCached: true,
      write: (b: Binding, p: SessionPtr, c: CipherPtr) => b.x.SSL_SESSION_set_cipher(p, c),
    },
  },
  hostname: {
    get: 'SSL_SESSION_get0_hostname',
    doc: 'The SNI hostname the session was made for.',
    read: (b: Binding, p: SessionPtr): string | null => b.cstring(b.x.SSL_SESSION_get0_hostname(p)),
    set: {
      name: 'SSL_SESSION_set1_hostname',
      ...hostname,
      whileCached: true,
      write: (b: Binding, p: SessionPtr, v: Uint8Array | null) =>
        v === null ? b.x.SSL_SESSION_set1_hostname(p, 0 as BytePtr) : b.withBytes(v, (d) => b.x.SSL_SESSION_set1_hostname(p, d), true),
    },
  },
  alpnSelected: {
    get: 'SSL_SESSION_get0_alpn_selected',
    doc: 'The ALPN protocol selected for the session (wire bytes).',
    read: (b: Binding, p: SessionPtr): Uint8Array => {
      b.x.SSL_SESSION_get0_alpn_selected(p, b.out[0], b.out[1]);
      return outBytes(b);
    },
    set: {
      name: 'SSL_SESSION_set1_alpn_selected',
      ...anyBytes,
      whileCached: true,
      write: withBytes((b, p, d, n) => b.x.SSL_SESSION_set1_alpn_selected(p, d, n)),
    },
  },
  masterKey: {
    get: 'SSL_SESSION_get_master_key',
    doc: 'The master secret. A secret: returned only on this explicit call, never logged.',
    secret: true,
    read: (b: Binding, p: SessionPtr): Uint8Array => {
      const n = b.x.SSL_SESSION_get_master_key(p, 0 as BytePtr, 0);
      if (n === 0) return new Uint8Array(0);
      const buf = b.alloc(n, 'SSL_SESSION_get_master_key');
      try {
        return b.copyOut(buf, b.x.SSL_SESSION_get_master_key(p, buf, n));
      } finally {
        b.u8().fill(0, buf, buf + n);
        b.x.osw_free(buf);
      }
    },
    set: {
      name: 'SSL_SESSION_set1_master_key',
      ...anyBytes,
      whileCached: true,
      write: withBytes((b, p, d, n) => b.x.SSL_SESSION_set1_master_key(p, d, n)),
    },
  },
  maxEarlyData: {
    plain: true,
    get: 'SSL_SESSION_get_max_early_data',
    doc: 'Bytes of 0-RTT data the session allows.',
    read: (b: Binding, p: SessionPtr): number => b.x.SSL_SESSION_get_max_early_data(p) >>> 0,
    set: {
      name: 'SSL_SESSION_set_max_early_data',
      ...number(NUMBER_KINDS.uint32),
      whileCached: true,
      write: (b: Binding, p: SessionPtr, v: number) => b.x.SSL_SESSION_set_max_early_data(p, v),
    },
  },
  ticketAppData: {
    get: 'SSL_SESSION_get0_ticket_appdata',
    doc: 'Application data carried in the ticket.',
    read: (b: Binding, p: SessionPtr): Uint8Array => {
      b.u8().fill(0, b.out[0], b.out[0] + 8);
      b.x.SSL_SESSION_get0_ticket_appdata(p, b.out[0], b.out[1]);
      return outBytes(b);
    },
    set: {
      name: 'SSL_SESSION_set1_ticket_appdata',
      ...anyBytes,
      whileCached: true,
      write: withBytes((b, p, d, n) => b.x.SSL_SESSION_set1_ticket_appdata(p, d, n)),
    },
  },
  isResumable: {
    plain: true,
    get: 'SSL_SESSION_is_resumable',
    doc: 'Whether the session can be resumed.',
    read: (b: Binding, p: SessionPtr): boolean => b.x.SSL_SESSION_is_resumable(p) === 1,
  },
  hasTicket: {
    plain: true,
    get: 'SSL_SESSION_has_ticket',
    doc: 'Whether the session carries a ticket.',
    read: (b: Binding, p: SessionPtr): boolean => b.x.SSL_SESSION_has_ticket(p) === 1,
  },
  ticket: {
    get: 'SSL_SESSION_get0_ticket',
    doc: 'The ticket bytes (empty when none).',
    read: (b: Binding, p: SessionPtr): Uint8Array => {
      b.x.SSL_SESSION_get0_ticket(p, b.out[0], b.out[1]);
      return outBytes(b);
    },
  },
  ticketLifetimeHint: {
    plain: true,
    get: 'SSL_SESSION_get_ticket_lifetime_hint',
    doc: "The ticket's lifetime hint, seconds.",
    read: (b: Binding, p: SessionPtr): number => b.x.SSL_SESSION_get_ticket_lifetime_hint(p) >>> 0,
  },
  maxFragmentLength: {
    plain: true,
    get: 'SSL_SESSION_get_max_fragment_length',
    doc: 'The negotiated maximum fragment length mode (RFC 6066: 1..4 = 2^9..2^12 bytes; 0: none).',
    read: (b: Binding, p: SessionPtr): number => b.x.SSL_SESSION_get_max_fragment_length(p) & 0xff,
  },
  compressId: {
    plain: true,
    get: 'SSL_SESSION_get_compress_id',
    doc: 'The compression method id (0: none). This build has no compression (no-comp), so OpenSSL never sets it, not even from DER that carries one.',
    read: (b: Binding, p: SessionPtr): number => b.x.SSL_SESSION_get_compress_id(p) >>> 0,
  },
  peerCertificate: {
    get: 'SSL_SESSION_get0_peer',
    doc: "The peer's certificate as DER (SSL_SESSION_get0_peer, then i2d_X509), or null.",
    read: (b: Binding, p: SessionPtr): Uint8Array | null => b.takeBuffer(b.x.osw_session_peer_der(p, b.out[0])),
  },
} as const satisfies Record<
  string,
  | FieldRow<unknown, never>
  | FieldRow<unknown, Uint8Array>
  | FieldRow<unknown, Uint8Array | null>
  | FieldRow<unknown, number>
  | FieldRow<unknown, CipherPtr>
>;

type Rows = typeof SESSION_FIELDS;
export type FieldName = keyof Rows;
export type FieldValue<K extends FieldName> = ReturnType<Rows[K]['read']>;
export type SettableField = { [K in FieldName]: Rows[K] extends { set: object } ? K : never }[FieldName];
/** Every field, read-only (SessionView, and the read side of Session). */
export type SessionFields = { readonly [K in FieldName]: FieldValue<K> };
/** The fields a Session handle can write. */
export type SettableSessionFields = { -readonly [K in SettableField]: FieldValue<K> };
/** A boolean field reads as 0/1 through the OpenSSL-shaped layer. */
type COut<T> = T extends boolean ? 0 | 1 : T;
/** The OpenSSL-shaped accessors generated from the table, for a session argument of type S. */
export type SessionAccessors<S> = { [K in FieldName as Rows[K]['get']]: (s: S) => COut<FieldValue<K>> } & {
  [K in SettableField as Rows[K]['set']['name']]: (s: S, value: NonNullable<FieldValue<K>> | Extract<FieldValue<K>, null>) => 0 | 1;
};

/**
 * Writes a converted value through its row's setter, after the checks. Refuses (before C) a field
 * that may not change while a cache holds the session. True when OpenSSL returned 1.
 */
export function writeField(core: Core, setter: FieldSetter<unknown>, p: SessionPtr, value: unknown): boolean {
  if (!setter.whileCached && core.b.x.osw_session_owner(p) !== 0) {
    throw refuse(
      core,
      new InvalidArgumentError(
        `${setter.name}: the session is in a context's session cache, which files it under its protocol version and id; remove it from the cache first, or change a dup()`,
      ),
    );
  }
  return setter.write(core.b, p, value) === 1;
}

/** The rows as a list, for generators. */
export const FIELD_ROWS = Object.entries(SESSION_FIELDS) as [FieldName, FieldRow<unknown, unknown>][];

/** The session-level operations that are not fields: encodings and text. */
export const sessionText = {
  print(b: Binding, p: SessionPtr): string | null {
    const text = b.takeBuffer(b.x.osw_session_print(p, b.out[0]));
    return text && new TextDecoder().decode(text);
  },
  /** A secret (the NSS key log line carries the master key). */
  printKeylog(b: Binding, p: SessionPtr): string | null {
    const text = b.takeBuffer(b.x.osw_session_print_keylog(p, b.out[0]));
    return text && new TextDecoder().decode(text);
  },
  /** i2d_SSL_SESSION; OpenSSL's refusal as an OpenSSLError. */
  toDER(b: Binding, p: SessionPtr): Uint8Array {
    const der = b.takeBuffer(b.x.osw_session_to_der(p, b.out[0]));
    if (der === null) throw encodingError(b, p, 'i2d_SSL_SESSION');
    return der;
  },
  /** PEM_write_SSL_SESSION; OpenSSL's refusal as an OpenSSLError. */
  toPEM(b: Binding, p: SessionPtr): string {
    const text = b.takeBuffer(b.x.osw_session_to_pem(p, b.out[0]));
    if (text === null) throw encodingError(b, p, 'PEM_write_SSL_SESSION');
    return new TextDecoder().decode(text);
  },
};

/** OpenSSL's encoder writes the cipher id unconditionally: a session without one is refused with no queued reason. */
function encodingError(b: Binding, p: SessionPtr, operation: string): OpenSSLError {
  const noCipher = b.x.SSL_SESSION_get0_cipher(p) === 0;
  return b.error(
    operation,
    noCipher ? 'OpenSSL refuses to encode a session without a cipher: encode a session from a handshake or a decoder' : undefined,
  );
}
