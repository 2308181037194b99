// Issue 3: the accessor family through both layers, setters that return 0, and DER/PEM: byte-exact
// round trips, and bad input that fails with an OpenSSLError, never a trap, a leak or a stale queue.
import { describe, expect, it } from 'vitest';
import { type Cipher, InvalidArgumentError, type OpenSSL, OpenSSLError, type Session } from '../dist/index.js';
import { concat } from './support/bytes.js';
import { useInstance } from './support/instance.js';
import { hex, randomBytes, sessionDER } from './support/sessions.js';

let ossl: OpenSSL;
useInstance({}, (fresh) => {
  ossl = fresh;
});

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** One settable field: its OpenSSL-shaped getter/setter, its Session property, and values to try. */
interface Field<T> {
  name: string;
  get: (o: OpenSSL, s: Session) => T;
  set: (o: OpenSSL, s: Session, v: T) => 0 | 1;
  read: (s: Session) => T;
  write: (s: Session, v: T) => void;
  values: T[];
}

function field<T>(f: Field<T>): Field<unknown> {
  return f as Field<unknown>;
}

const fields: Field<unknown>[] = [
  field<Uint8Array>({
    name: 'id',
    get: (o, s) => o.SSL_SESSION_get_id(s),
    set: (o, s, v) => o.SSL_SESSION_set1_id(s, v),
    read: (s) => s.id,
    write: (s, v) => {
      s.id = v;
    },
    values: [Uint8Array.of(0x42), new Uint8Array(32).fill(0xee), new Uint8Array(0)],
  }),
  field<Uint8Array>({
    name: 'id_context',
    get: (o, s) => o.SSL_SESSION_get0_id_context(s),
    set: (o, s, v) => o.SSL_SESSION_set1_id_context(s, v),
    read: (s) => s.idContext,
    write: (s, v) => {
      s.idContext = v;
    },
    values: [utf8('my-app'), new Uint8Array(32).fill(0x01), new Uint8Array(0)],
  }),
  field<number>({
    name: 'time',
    get: (o, s) => o.SSL_SESSION_get_time(s),
    set: (o, s, v) => o.SSL_SESSION_set_time(s, v),
    read: (s) => s.time,
    write: (s, v) => {
      s.time = v;
    },
    // time_t is 64-bit; OpenSSL keeps times as unsigned 64-bit nanoseconds (test/session-time.test.ts).
    values: [1, 1_700_000_000, 2 ** 31 - 1, 2 ** 32],
  }),
  field<number>({
    name: 'timeout',
    get: (o, s) => o.SSL_SESSION_get_timeout(s),
    set: (o, s, v) => o.SSL_SESSION_set_timeout(s, v),
    read: (s) => s.timeout,
    write: (s, v) => {
      s.timeout = v;
    },
    values: [0, 1, 86_400, 2 ** 31 - 1],
  }),
  field<number>({
    name: 'protocol_version',
    get: (o, s) => o.SSL_SESSION_get_protocol_version(s),
    set: (o, s, v) => o.SSL_SESSION_set_protocol_version(s, v),
    read: (s) => s.protocolVersion,
    write: (s, v) => {
      s.protocolVersion = v;
    },
    values: [0x0304, 0x0303, 0x0302, 0],
  }),
  field<string | null>({
    name: 'hostname',
    get: (o, s) => o.SSL_SESSION_get0_hostname(s),
    set: (o, s, v) => o.SSL_SESSION_set1_hostname(s, v),
    read: (s) => s.hostname,
    write: (s, v) => {
      s.hostname = v;
    },
    values: ['example.com', 'bücher.example', 'a'.repeat(253), null],
  }),
  field<Uint8Array>({
    name: 'alpn_selected',
    get: (o, s) => o.SSL_SESSION_get0_alpn_selected(s),
    set: (o, s, v) => o.SSL_SESSION_set1_alpn_selected(s, v),
    read: (s) => s.alpnSelected,
    write: (s, v) => {
      s.alpnSelected = v;
    },
    values: [utf8('h2'), utf8('http/1.1'), new Uint8Array(255).fill(0x61), new Uint8Array(0)],
  }),
  field<Uint8Array>({
    name: 'master_key',
    get: (o, s) => o.SSL_SESSION_get_master_key(s),
    set: (o, s, v) => o.SSL_SESSION_set1_master_key(s, v),
    read: (s) => s.masterKey,
    write: (s, v) => {
      s.masterKey = v;
    },
    // OpenSSL 3.5 keeps up to TLS13_MAX_RESUMPTION_PSK_LENGTH (512) bytes.
    values: [randomBytes(48), randomBytes(64), randomBytes(512), Uint8Array.of(1)],
  }),
  field<number>({
    name: 'max_early_data',
    get: (o, s) => o.SSL_SESSION_get_max_early_data(s),
    set: (o, s, v) => o.SSL_SESSION_set_max_early_data(s, v),
    read: (s) => s.maxEarlyData,
    write: (s, v) => {
      s.maxEarlyData = v;
    },
    values: [16_384, 0xffff_ffff, 0],
  }),
  field<Uint8Array>({
    name: 'ticket_appdata',
    get: (o, s) => o.SSL_SESSION_get0_ticket_appdata(s),
    set: (o, s, v) => o.SSL_SESSION_set1_ticket_appdata(s, v),
    read: (s) => s.ticketAppData,
    write: (s, v) => {
      s.ticketAppData = v;
    },
    values: [Uint8Array.of(0xca, 0xfe), randomBytes(1000), new Uint8Array(0)],
  }),
];

describe('accessors: set and get round trips through both layers', () => {
  it.each(fields.map((f) => [f.name, f] as const))('%s: SSL_SESSION_set* returns 1 and both layers read the value back', (_, f) => {
    const s = ossl.SSL_SESSION_new();
    for (const v of f.values) {
      expect(f.set(ossl, s, v)).toBe(1);
      expect(ossl.lastError).toBeNull();
      expect(f.get(ossl, s)).toEqual(v);
      expect(f.read(s)).toEqual(v);
    }
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it.each(fields.map((f) => [f.name, f] as const))('%s: the Session property setter writes what both layers read back', (_, f) => {
    const s = ossl.newSession();
    for (const v of f.values) {
      f.write(s, v);
      expect(f.read(s)).toEqual(v);
      expect(f.get(ossl, s)).toEqual(v);
    }
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it.each(fields.map((f) => [f.name, f] as const))('%s survives DER, PEM and dup', (_, f) => {
    const s = ossl.d2i_SSL_SESSION(sessionDER());
    const v = f.values[1]; // not values[0]: i2d leaves a timeout of 0 out, and d2i then gives OpenSSL's default
    f.write(s, v);
    const fromDER = ossl.d2i_SSL_SESSION(s.toDER());
    const fromPEM = ossl.PEM_read_SSL_SESSION(s.toPEM());
    const copy = s.dup();
    for (const t of [fromDER, fromPEM, copy]) {
      expect(f.read(t)).toEqual(v);
      t.free();
    }
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it('getters return copies: changing a returned array changes nothing in the session', () => {
    const s = ossl.d2i_SSL_SESSION(sessionDER());
    const id = s.id;
    id.fill(0);
    s.masterKey.fill(0);
    expect(s.id).toEqual(new Uint8Array(32).fill(0xab));
    expect(s.masterKey).toEqual(new Uint8Array(48).fill(0x07));
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it('setters copy their input: changing the array afterwards changes nothing in the session', () => {
    const s = ossl.newSession();
    const alpn = utf8('h2');
    s.alpnSelected = alpn;
    alpn.fill(0);
    expect(s.alpnSelected).toEqual(utf8('h2'));
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it('a fresh session has no cipher, is not resumable and has no ticket, in both layers', () => {
    const s = ossl.SSL_SESSION_new();
    expect(s.cipher).toBeNull();
    expect(ossl.SSL_SESSION_get0_cipher(s)).toBeNull();
    expect(s.isResumable).toBe(false);
    expect(ossl.SSL_SESSION_is_resumable(s)).toBe(0);
    expect(s.hasTicket).toBe(false);
    expect(ossl.SSL_SESSION_has_ticket(s)).toBe(0);
    expect(s.ticket).toEqual(new Uint8Array(0));
    expect(ossl.SSL_SESSION_get0_ticket(s)).toEqual(new Uint8Array(0));
    expect(s.ticketLifetimeHint).toBe(0);
    expect(ossl.SSL_SESSION_get_ticket_lifetime_hint(s)).toBe(0);
    expect(s.peerCertificate).toBeNull();
    expect(ossl.SSL_SESSION_get0_peer(s)).toBeNull();
    expect(s.protocolVersion).toBe(0);
    expect(s.id).toEqual(new Uint8Array(0));
    expect(s.masterKey).toEqual(new Uint8Array(0));
    expect(s.hostname).toBeNull();
    expect(Math.abs(s.time - Date.now() / 1000)).toBeLessThan(60);
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it('a session becomes resumable once it has a session id (SSL_SESSION_is_resumable), still without a ticket', () => {
    const s = ossl.SSL_SESSION_new();
    ossl.SSL_SESSION_set1_id(s, Uint8Array.of(1, 2, 3, 4));
    expect(ossl.SSL_SESSION_is_resumable(s)).toBe(1);
    expect(s.isResumable).toBe(true);
    expect(s.hasTicket).toBe(false);
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it("the cipher of a decoded session is the one its DER names, with OpenSSL's names and id", () => {
    const s = ossl.d2i_SSL_SESSION(sessionDER());
    expect(s.cipher).toEqual({
      name: 'TLS_AES_128_GCM_SHA256',
      standardName: 'TLS_AES_128_GCM_SHA256',
      id: 0x0300_1301,
      protocol: 'TLSv1.3',
    });
    expect(ossl.SSL_SESSION_get0_cipher(s)).toEqual(s.cipher);
    const tls12 = ossl.d2i_SSL_SESSION(sessionDER({ version: 0x0303, cipher: [0xc0, 0x2b] }));
    expect(tls12.cipher).toMatchObject({
      name: 'ECDHE-ECDSA-AES128-GCM-SHA256',
      standardName: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      id: 0x0300_c02b,
    });
    expect(tls12.protocolVersion).toBe(0x0303);
    s.free();
    tls12.free();
    ossl.ledger.assertNoLeaks();
  });

  it('SSL_SESSION_set_cipher takes a cipher read from this instance, and makes a fresh session encodable', () => {
    const source = ossl.d2i_SSL_SESSION(sessionDER());
    const cipher = source.cipher as Cipher;
    source.free(); // a Cipher is static data: it outlives the session it was read from
    const s = ossl.SSL_SESSION_new();
    expect(() => s.toDER()).toThrow(OpenSSLError); // i2d refuses a session without a cipher
    expect(ossl.SSL_SESSION_set_protocol_version(s, 0x0304)).toBe(1);
    expect(ossl.SSL_SESSION_set_cipher(s, cipher)).toBe(1);
    expect(s.cipher).toEqual(cipher);
    const again = ossl.d2i_SSL_SESSION(s.toDER());
    expect(again.cipher?.name).toBe('TLS_AES_128_GCM_SHA256');
    again.free();
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it('SSL_SESSION_set_cipher refuses a look-alike object that OpenSSL never handed out', () => {
    const s = ossl.SSL_SESSION_new();
    const fake: Cipher = { name: 'TLS_AES_128_GCM_SHA256', standardName: 'TLS_AES_128_GCM_SHA256', id: 0x0300_1301, protocol: 'TLSv1.3' };
    expect(() => ossl.SSL_SESSION_set_cipher(s, fake)).toThrow(InvalidArgumentError);
    expect(s.cipher).toBeNull();
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it('print() contains the session id in hex, and is the same text through both layers', () => {
    const s = ossl.d2i_SSL_SESSION(sessionDER({ id: Uint8Array.from({ length: 32 }, (_, i) => i * 7) }));
    const text = s.print();
    expect(text).toContain(`Session-ID: ${hex(s.id)}`);
    expect(text).toContain('Protocol  : TLSv1.3');
    expect(text).toContain('Cipher    : TLS_AES_128_GCM_SHA256');
    expect(ossl.SSL_SESSION_print(s)).toBe(text);
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it("SSL_SESSION_print_keylog gives the NSS key log line with this session's id and master key", () => {
    const id = randomBytes(32);
    const masterKey = randomBytes(48);
    const s = ossl.d2i_SSL_SESSION(sessionDER({ id, masterKey }));
    expect(ossl.SSL_SESSION_print_keylog(s)).toBe(`RSA Session-ID:${hex(id)} Master-Key:${hex(masterKey)}\n`);
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it('bytes arguments must be bytes: anything else is a TypeError that changes nothing; an ArrayBuffer is its bytes', () => {
    const s = ossl.newSession();
    s.id = Uint8Array.of(7);
    for (const bad of ['abc', [1, 2, 3], null, 42]) {
      expect(() => ossl.SSL_SESSION_set1_id(s, bad as unknown as Uint8Array)).toThrow(TypeError);
      expect(() => {
        s.id = bad as unknown as Uint8Array;
      }).toThrow(TypeError);
    }
    expect(s.id).toEqual(Uint8Array.of(7));
    s.id = Uint8Array.of(1, 2, 3).buffer as unknown as Uint8Array;
    expect(s.id).toEqual(Uint8Array.of(1, 2, 3));
    s.free();
    ossl.ledger.assertNoLeaks();
  });
});

describe("setters that return 0: the reason is in lastError, and OpenSSL's error queue is left empty", () => {
  /** Each failing call with the value it must leave in place and the reason OpenSSL queues ("" for none). */
  const failing: [string, (o: OpenSSL, s: Session) => 0 | 1, (s: Session) => unknown, string][] = [
    [
      'SSL_SESSION_set1_id with 33 bytes (SSL_MAX_SSL_SESSION_ID_LENGTH is 32)',
      (o, s) => o.SSL_SESSION_set1_id(s, new Uint8Array(33)),
      (s) => s.id,
      'ssl session id too long',
    ],
    [
      'SSL_SESSION_set1_id_context with 33 bytes',
      (o, s) => o.SSL_SESSION_set1_id_context(s, new Uint8Array(33)),
      (s) => s.idContext,
      'ssl session id context too long',
    ],
    [
      'SSL_SESSION_set1_master_key with 513 bytes (more than OpenSSL 3.5 keeps)',
      (o, s) => o.SSL_SESSION_set1_master_key(s, new Uint8Array(513)),
      (s) => s.masterKey,
      '',
    ],
    ['SSL_SESSION_set_timeout with a negative lifetime', (o, s) => o.SSL_SESSION_set_timeout(s, -1), (s) => s.timeout, ''],
  ];

  it.each(failing)('%s returns 0, sets lastError, and changes nothing', (name, call, read, reason) => {
    const s = ossl.d2i_SSL_SESSION(sessionDER());
    const before = read(s);
    expect(call(ossl, s)).toBe(0);
    expect(ossl.lastError).toBeInstanceOf(OpenSSLError);
    expect(ossl.lastError?.operation).toBe(name.split(' ')[0]);
    expect(ossl.lastError?.queue.map((e) => e.reason)).toEqual(reason ? [reason] : []);
    expect(read(s)).toEqual(before);
    // The next successful setter clears lastError.
    expect(ossl.SSL_SESSION_set1_hostname(s, 'ok.example')).toBe(1);
    expect(ossl.lastError).toBeNull();
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it.each(failing)('after %s the queue is empty: the next failure reports only its own reason', (_, call) => {
    const s = ossl.SSL_SESSION_new();
    call(ossl, s);
    expect(ossl.SSL_SESSION_set1_id_context(s, new Uint8Array(40))).toBe(0);
    expect(ossl.lastError?.queue.map((e) => e.reason)).toEqual(['ssl session id context too long']);
    const decode = captureError(() => ossl.d2i_SSL_SESSION(Uint8Array.of(0x30, 0x03, 0x02, 0x01)));
    expect(decode.queue.every((e) => e.library === 'asn1 encoding routines')).toBe(true);
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it('the Session setter of a value OpenSSL refuses throws OpenSSLError with the reason, and changes nothing', () => {
    const s = ossl.d2i_SSL_SESSION(sessionDER());
    const error = captureError(() => {
      s.id = new Uint8Array(33);
    });
    expect(error.operation).toBe('SSL_SESSION_set1_id');
    expect(error.queue.map((e) => e.reason)).toEqual(['ssl session id too long']);
    expect(error.message).toContain('ssl session id too long');
    expect(s.id).toEqual(new Uint8Array(32).fill(0xab));
    expect(() => {
      s.masterKey = new Uint8Array(513);
    }).toThrow(OpenSSLError);
    expect(s.masterKey).toEqual(new Uint8Array(48).fill(0x07));
    // The throwing layer leaves its queue empty too.
    expect(ossl.SSL_SESSION_set1_id_context(s, new Uint8Array(33))).toBe(0);
    expect(ossl.lastError?.queue).toHaveLength(1);
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it('master keys of 0 to 512 bytes are kept; 513 is refused (TLS13_MAX_RESUMPTION_PSK_LENGTH, not 64)', () => {
    const s = ossl.newSession();
    for (const n of [0, 64, 65, 511, 512]) {
      const key = randomBytes(n);
      expect(ossl.SSL_SESSION_set1_master_key(s, key)).toBe(1);
      expect(s.masterKey).toEqual(key);
    }
    expect(ossl.SSL_SESSION_set1_master_key(s, randomBytes(513))).toBe(0);
    expect(s.masterKey).toHaveLength(512);
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it('SSL_SESSION_set_time(s, 0) sets the time to 0 and returns 1', () => {
    const s = ossl.newSession();
    expect(ossl.SSL_SESSION_set_time(s, 0)).toBe(1);
    expect(s.time).toBe(0);
    s.free();
    ossl.ledger.assertNoLeaks();
  });

  it('times beyond what OpenSSL stores and timeouts beyond a 32-bit long are refused, not stored wrapped', () => {
    const s = ossl.newSession();
    const before = s.time;
    expect(() => ossl.SSL_SESSION_set_time(s, 2 ** 40)).toThrow(InvalidArgumentError);
    expect(() => (s.time = 1.5)).toThrow(InvalidArgumentError);
    expect(() => ossl.SSL_SESSION_set_timeout(s, 2 ** 32)).toThrow(InvalidArgumentError);
    expect(s.time).toBe(before);
    expect(ossl.SSL_SESSION_set_time(s, 2 ** 31)).toBe(1);
    expect(s.time).toBe(2 ** 31);
    s.free();
    ossl.ledger.assertNoLeaks();
  });
  it.todo(
    'PEM_read of a block whose DER has trailing bytes is refused like d2i refuses them (today PEM_read_bio_SSL_SESSION ignores them: the glue checks trailing bytes on the DER path only)',
  );
});

/** The OpenSSLError `fn` throws (fails the test when it throws anything else or nothing). */
function captureError(fn: () => unknown): OpenSSLError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OpenSSLError);
    return error as OpenSSLError;
  }
  throw new Error('expected an OpenSSLError, nothing was thrown');
}

/** A session with every field filled, as the round trips below encode it. */
function populated(o: OpenSSL): Session {
  const s = o.d2i_SSL_SESSION(sessionDER({ id: randomBytes(32), masterKey: randomBytes(48) }));
  s.idContext = utf8('ctx');
  s.time = 1_700_000_123;
  s.timeout = 3600;
  s.hostname = 'example.org';
  s.alpnSelected = utf8('h2');
  s.maxEarlyData = 16_384;
  s.ticketAppData = randomBytes(20);
  return s;
}

describe('DER and PEM round trips are byte-identical', () => {
  const makers: [string, (o: OpenSSL) => Session][] = [
    ['a minimal TLS 1.3 session', (o) => o.d2i_SSL_SESSION(sessionDER())],
    ['a TLS 1.2 session', (o) => o.d2i_SSL_SESSION(sessionDER({ version: 0x0303, cipher: [0xc0, 0x2b] }))],
    ['a session with every settable field filled', populated],
  ];

  it.each(makers)('%s: i2d → d2i → i2d gives the same bytes, through both layers', (_, make) => {
    const s = make(ossl);
    const der = ossl.i2d_SSL_SESSION(s);
    expect(s.toDER()).toEqual(der);
    const back = ossl.d2i_SSL_SESSION(der);
    expect(ossl.i2d_SSL_SESSION(back)).toEqual(der);
    const again = ossl.sessionFromDER(back.toDER());
    expect(again.toDER()).toEqual(der);
    for (const t of [s, back, again]) t.free();
    ossl.ledger.assertNoLeaks();
  });

  it.each(makers)('%s: PEM write → read → write gives the same text, and its body is the DER', (_, make) => {
    const s = make(ossl);
    const pem = ossl.PEM_write_SSL_SESSION(s);
    expect(s.toPEM()).toBe(pem);
    expect(pem).toMatch(/^-----BEGIN SSL SESSION PARAMETERS-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END SSL SESSION PARAMETERS-----\n$/);
    const body = pem.split('\n').slice(1, -2).join('');
    expect(new Uint8Array(Buffer.from(body, 'base64'))).toEqual(s.toDER());
    const back = ossl.PEM_read_SSL_SESSION(pem);
    expect(ossl.PEM_write_SSL_SESSION(back)).toBe(pem);
    const fromBytes = ossl.sessionFromPEM(utf8(pem));
    expect(fromBytes.toPEM()).toBe(pem);
    for (const t of [s, back, fromBytes]) t.free();
    ossl.ledger.assertNoLeaks();
  });

  it('a session from a real TLS 1.3 handshake (ticket, peer certificate) round-trips through DER and PEM byte for byte', () => {
    const cert = ossl.generateCertificate({ keyType: 'P-256', commonName: 'localhost' });
    const server = ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey });
    const client = ossl.createContext({ role: 'client', ca: cert.certificate });
    const pair = ossl.connectInMemory(client, server, { hostname: 'localhost' });
    const s = pair.client.get1Session() as Session;
    pair.free();
    client.free();
    server.free();
    expect(s.hasTicket).toBe(true);
    expect(s.peerCertificate).not.toBeNull();
    expect(s.hostname).toBe('localhost');
    const der = s.toDER();
    const back = ossl.d2i_SSL_SESSION(der);
    expect(back.toDER()).toEqual(der);
    expect(back.ticket).toEqual(s.ticket);
    expect(back.peerCertificate).toEqual(s.peerCertificate);
    const pem = s.toPEM();
    const fromPEM = ossl.PEM_read_SSL_SESSION(pem);
    expect(fromPEM.toPEM()).toBe(pem);
    for (const t of [s, back, fromPEM]) t.free();
    ossl.ledger.assertNoLeaks();
  });

  it('d2i reads a Uint8Array view at an offset, and a Node Buffer, as the bytes they show', () => {
    const der = sessionDER();
    const canonical = ossl.d2i_SSL_SESSION(der);
    const padded = concat(Uint8Array.of(9, 9, 9), der, Uint8Array.of(9));
    const fromView = ossl.d2i_SSL_SESSION(padded.subarray(3, 3 + der.length));
    const fromBuffer = ossl.d2i_SSL_SESSION(Buffer.from(der));
    expect(fromView.toDER()).toEqual(canonical.toDER());
    expect(fromBuffer.toDER()).toEqual(canonical.toDER());
    for (const t of [canonical, fromView, fromBuffer]) t.free();
    ossl.ledger.assertNoLeaks();
  });

  it('PEM_read accepts what PEM_read_bio accepts: text before the block, CRLF line ends, text after the END line', () => {
    const s = ossl.d2i_SSL_SESSION(sessionDER());
    const pem = s.toPEM();
    for (const variant of [`some header text\n${pem}`, pem.replaceAll('\n', '\r\n'), `${pem}trailing notes\n`]) {
      const t = ossl.PEM_read_SSL_SESSION(variant);
      expect(t.toPEM()).toBe(pem);
      t.free();
    }
    s.free();
    ossl.ledger.assertNoLeaks();
  });
});

describe('bad DER and PEM: an OpenSSLError, never a trap, nothing leaked, nothing left queued', () => {
  const valid = (): Uint8Array => {
    const s = ossl.d2i_SSL_SESSION(sessionDER());
    const der = s.toDER();
    s.free();
    return der;
  };
  const FIVE_MB = 5 * 1024 * 1024;

  /** Inputs d2i_SSL_SESSION refuses with at least one reason queued. */
  const badDER: [string, () => Uint8Array][] = [
    ['empty input', () => new Uint8Array(0)],
    ['a lone SEQUENCE tag', () => Uint8Array.of(0x30)],
    ['text', () => utf8('this is not a session')],
    ['an empty SEQUENCE', () => Uint8Array.of(0x30, 0x00)],
    ['a length running past the end', () => Uint8Array.of(0x30, 0x7f, 0x02, 0x01, 0x01)],
    ['the last byte cut off', () => valid().subarray(0, -1)],
    ['one trailing zero byte', () => concat(valid(), Uint8Array.of(0))],
    ['a second session after the first', () => concat(valid(), valid())],
    ['1 KiB of random bytes after the session', () => concat(valid(), randomBytes(1024))],
    ['an SSL_SESSION_ASN1 version other than 1', () => Uint8Array.of(...sessionDER().subarray(0, 4), 0x02, ...sessionDER().subarray(5))],
    ['protocol version 0x1234', () => sessionDER({ version: 0x1234 })],
    ['5 MB of random bytes', () => randomBytes(FIVE_MB)],
    ['5 MB of zeros', () => new Uint8Array(FIVE_MB)],
    ['a SEQUENCE header claiming 5 MB of zeros', () => concat(Uint8Array.of(0x30, 0x83, 0x50, 0x00, 0x00), new Uint8Array(0x50_0000))],
  ];

  /** Inputs d2i refuses without OpenSSL queuing any reason (ssl_asn1.c fails them silently). */
  const silentDER: [string, () => Uint8Array][] = [
    ['a 33-byte session id', () => sessionDER({ id: new Uint8Array(33) })],
    ['a 513-byte master key', () => sessionDER({ masterKey: new Uint8Array(513) })],
    ['an unknown cipher (0xFFFF)', () => sessionDER({ cipher: [0xff, 0xff] })],
  ];

  const badPEM: [string, () => string | Uint8Array][] = [
    ['empty text', () => ''],
    ['text without a PEM block', () => 'not a session'],
    ['a BEGIN line only', () => '-----BEGIN SSL SESSION PARAMETERS-----\n'],
    ['invalid base64', () => '-----BEGIN SSL SESSION PARAMETERS-----\n!!!!\n-----END SSL SESSION PARAMETERS-----\n'],
    ['a block cut before its END line', () => validPEM().slice(0, -40)],
    ['a block whose DER is truncated', () => pemOf(valid().subarray(0, -3))],
    ['a CERTIFICATE block', () => validPEM().replaceAll('SSL SESSION PARAMETERS', 'CERTIFICATE')],
    ['5 MB of random bytes', () => randomBytes(FIVE_MB)],
    ['a 5 MB block whose base64 decodes to garbage', () => pemOf(new Uint8Array((FIVE_MB / 4) * 3).fill(0x41))],
  ];

  function validPEM(): string {
    const s = ossl.d2i_SSL_SESSION(sessionDER());
    const pem = s.toPEM();
    s.free();
    return pem;
  }

  function pemOf(der: Uint8Array): string {
    const body = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n');
    return `-----BEGIN SSL SESSION PARAMETERS-----\n${body}-----END SSL SESSION PARAMETERS-----\n`;
  }

  /** After a refused decode: no trap, nothing live, the instance works, and its queue is empty. */
  function expectCleanFailure(error: OpenSSLError, operation: string): void {
    expect(error.operation).toBe(operation);
    expect(ossl.failed).toBe(false);
    expect(ossl.ledger.live()).toEqual([]);
    expect(ossl.ledger.stats()).toMatchObject({ liveSessions: 0, handleReferences: 0, violations: 0 });
    // The queue did not bleed: the next failure reports only its own reason...
    const s = ossl.d2i_SSL_SESSION(sessionDER());
    expect(ossl.SSL_SESSION_set1_id(s, new Uint8Array(33))).toBe(0);
    expect(ossl.lastError?.queue.map((e) => e.reason)).toEqual(['ssl session id too long']);
    // ...and the next successful call succeeds cleanly.
    expect(ossl.SSL_SESSION_set1_id(s, Uint8Array.of(1))).toBe(1);
    expect(ossl.lastError).toBeNull();
    s.free();
  }

  it.each(badDER)("d2i of %s raises OpenSSLError with OpenSSL's reasons, and leaks nothing", (_, make) => {
    const error = captureError(() => ossl.d2i_SSL_SESSION(make()));
    expect(error.queue.length).toBeGreaterThan(0);
    expect(error.message).toContain(error.queue[0].text);
    expectCleanFailure(error, 'd2i_SSL_SESSION');
    ossl.ledger.assertNoLeaks();
  });

  it.each(silentDER)('d2i of a session with %s raises OpenSSLError although OpenSSL queues no reason, and leaks nothing', (_, make) => {
    const error = captureError(() => ossl.d2i_SSL_SESSION(make()));
    expect(error.queue).toEqual([]);
    expect(error.message).toBe('d2i_SSL_SESSION failed (OpenSSL queued no error)');
    expectCleanFailure(error, 'd2i_SSL_SESSION');
    ossl.ledger.assertNoLeaks();
  });

  it.each(badPEM)("PEM_read of %s raises OpenSSLError with OpenSSL's reasons, and leaks nothing", (_, make) => {
    const error = captureError(() => ossl.PEM_read_SSL_SESSION(make()));
    expect(error.queue.length).toBeGreaterThan(0);
    expectCleanFailure(error, 'PEM_read_SSL_SESSION');
    ossl.ledger.assertNoLeaks();
  });

  it('every truncation of a valid DER session is refused with a reason, and none leaks a session', () => {
    const der = valid();
    for (let n = 0; n < der.length; n++) {
      const error = captureError(() => ossl.d2i_SSL_SESSION(der.subarray(0, n)));
      expect(error.queue.length, `truncated to ${n} of ${der.length} bytes`).toBeGreaterThan(0);
    }
    expectCleanFailure(
      captureError(() => ossl.d2i_SSL_SESSION(der.subarray(0, 1))),
      'd2i_SSL_SESSION',
    );
    ossl.ledger.assertNoLeaks();
  });

  it('trailing bytes are refused by name, and the session OpenSSL decoded before seeing them is freed', () => {
    const error = captureError(() => ossl.d2i_SSL_SESSION(concat(valid(), Uint8Array.of(1, 2, 3))));
    expect(error.queue).toHaveLength(1);
    expect(error.queue[0].data).toBe('3 trailing bytes after the session');
    const events = ossl.ledger.events().slice(-2);
    expect(events.map((e) => [e.op, e.references, e.cause])).toEqual([
      ['created', 1, 'openssl'],
      ['free', 0, 'openssl'],
    ]);
    expectCleanFailure(error, 'd2i_SSL_SESSION');
    ossl.ledger.assertNoLeaks();
  });

  /**
   * The heap is back where it was, give or take the allocator's slack: mallinfo counts whole chunks,
   * and where a free chunk is split can move the total by a few 8-byte units. Anything kept per
   * call (the smallest chunk is 16 bytes) would grow it by at least 16 × `calls`.
   */
  function expectHeapUnchanged(before: number, calls: number): void {
    const slack = 64;
    expect(calls * 16).toBeGreaterThan(slack);
    expect(Math.abs(ossl.ledger.heapBytes() - before)).toBeLessThanOrEqual(slack);
  }

  it("refused decodes leave the C heap where it was (after OpenSSL's error state is warmed up)", () => {
    const der = valid();
    const inputs = [
      ...badDER.filter(([name]) => !name.includes('5 MB')).map(([, make]) => make()),
      ...silentDER.map(([, make]) => make()),
      ...Array.from({ length: der.length }, (_, n) => der.subarray(0, n)),
    ];
    const pems = badPEM.filter(([name]) => !name.includes('5 MB')).map(([, make]) => make());
    const battery = (): void => {
      for (const bytes of inputs) expect(() => ossl.d2i_SSL_SESSION(bytes)).toThrow(OpenSSLError);
      for (const text of pems) expect(() => ossl.PEM_read_SSL_SESSION(text)).toThrow(OpenSSLError);
    };
    // OpenSSL keeps one buffer per slot of its 16-entry error ring: 16 passes fill every slot the
    // way the next 16 passes will. Thereafter the heap comes back to within the allocator's slack.
    for (let i = 0; i < 16; i++) battery();
    const before = ossl.ledger.heapBytes();
    for (let i = 0; i < 16; i++) battery();
    expectHeapUnchanged(before, 16 * (inputs.length + pems.length));
    expect(ossl.ledger.live()).toEqual([]);
    ossl.ledger.assertNoLeaks();
  });

  it('5 MB inputs are copied in and out without keeping any of it: the heap returns to the same byte', () => {
    const big = randomBytes(FIVE_MB);
    const both = (): void => {
      expect(() => ossl.d2i_SSL_SESSION(big)).toThrow(OpenSSLError);
      expect(() => ossl.PEM_read_SSL_SESSION(big)).toThrow(OpenSSLError);
    };
    for (let i = 0; i < 16; i++) both();
    const before = ossl.ledger.heapBytes();
    for (let i = 0; i < 16; i++) both();
    expectHeapUnchanged(before, 32);
    ossl.ledger.assertNoLeaks();
  });

  it("two different failures in a row: the second error carries none of the first one's reasons", () => {
    const first = captureError(() => ossl.d2i_SSL_SESSION(concat(valid(), Uint8Array.of(0))));
    const second = captureError(() => ossl.PEM_read_SSL_SESSION('no block here'));
    const third = captureError(() => ossl.d2i_SSL_SESSION(new Uint8Array(0)));
    expect(first.queue.map((e) => e.reason)).toEqual(['passed invalid argument']);
    expect(second.queue.map((e) => e.reason)).toEqual(['no start line']);
    expect(third.queue.map((e) => e.reason)).toEqual(['too small']);
    ossl.ledger.assertNoLeaks();
  });

  it('a decode input that is not bytes is a TypeError that reaches nothing; an ArrayBuffer of garbage is an OpenSSLError', () => {
    const before = ossl.ledger.events().length;
    for (const bad of ['30 03 02 01 01', null, [0x30, 0x00], 42]) {
      expect(() => ossl.d2i_SSL_SESSION(bad as unknown as Uint8Array)).toThrow(TypeError);
    }
    for (const bad of [null, 42]) {
      expect(() => ossl.PEM_read_SSL_SESSION(bad as unknown as string)).toThrow(TypeError);
    }
    expect(() => ossl.d2i_SSL_SESSION(new ArrayBuffer(4) as unknown as Uint8Array)).toThrow(OpenSSLError);
    expect(() => ossl.PEM_read_SSL_SESSION(new ArrayBuffer(4) as unknown as Uint8Array)).toThrow(OpenSSLError);
    expect(ossl.ledger.events()).toHaveLength(before);
    expect(ossl.ledger.live()).toEqual([]);
    ossl.ledger.assertNoLeaks();
  });
});

describe('a session without a cipher cannot be encoded, and the error says why', () => {
  it.each([
    ['i2d_SSL_SESSION', (o: OpenSSL, s: Session) => o.i2d_SSL_SESSION(s)],
    ['PEM_write_SSL_SESSION', (o: OpenSSL, s: Session) => o.PEM_write_SSL_SESSION(s)],
  ] as const)('%s of SSL_SESSION_new() raises OpenSSLError naming the missing cipher, and changes nothing', (operation, encode) => {
    const s = ossl.SSL_SESSION_new();
    const error = captureError(() => encode(ossl, s));
    expect(error.operation).toBe(operation);
    expect(error.message).toMatch(
      new RegExp(
        `^${operation} failed.* \\(OpenSSL refuses to encode a session without a cipher: encode a session from a handshake or a decoder\\)$`,
      ),
    );
    expect(ossl.ledger.holders(s).references).toBe(1);
    s.free();
    ossl.ledger.assertNoLeaks();
  });
});
