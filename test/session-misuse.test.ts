// Issue 3: the misuse matrix. Every refused call raises its typed error before reaching C, and is
// followed by proof that it changed nothing: same live sessions and counts, no ledger event, the
// same C heap bytes (when measurable), one more refusal counted, and a working instance.
import { beforeEach, describe, expect, it } from 'vitest';
import {
  BorrowExpiredError,
  type Cipher,
  DoubleFreeError,
  ForeignObjectError,
  NotOwnedError,
  type OpenSSL,
  OpenSSLWasmError,
  OwnershipError,
  type Session,
  SessionView,
  UseAfterFreeError,
} from '../dist/index.js';
import { loadInstance, useInstance } from './support/instance.js';
import { expectInstanceWorks, expectRefused, liveEntry, sessionDER, snapshot } from './support/sessions.js';

let ossl: OpenSSL;
useInstance({}, (fresh) => {
  ossl = fresh;
});

/** A cipher read from a session of `o` (the only way to obtain one before TLS exists). */
function cipherOf(o: OpenSSL): Cipher {
  const s = o.d2i_SSL_SESSION(sessionDER());
  const c = s.cipher as Cipher;
  s.free();
  return c;
}

type Call = (o: OpenSSL, s: Session, cipher: Cipher) => unknown;

/** Every function of the OpenSSL-shaped layer that takes a session (except SSL_SESSION_free). */
const opensslCalls: [string, Call][] = [
  ['SSL_SESSION_up_ref', (o, s) => o.SSL_SESSION_up_ref(s)],
  ['SSL_SESSION_dup', (o, s) => o.SSL_SESSION_dup(s)],
  ['i2d_SSL_SESSION', (o, s) => o.i2d_SSL_SESSION(s)],
  ['PEM_write_SSL_SESSION', (o, s) => o.PEM_write_SSL_SESSION(s)],
  ['SSL_SESSION_print', (o, s) => o.SSL_SESSION_print(s)],
  ['SSL_SESSION_print_keylog', (o, s) => o.SSL_SESSION_print_keylog(s)],
  ['SSL_SESSION_get_id', (o, s) => o.SSL_SESSION_get_id(s)],
  ['SSL_SESSION_set1_id', (o, s) => o.SSL_SESSION_set1_id(s, Uint8Array.of(1))],
  ['SSL_SESSION_get0_id_context', (o, s) => o.SSL_SESSION_get0_id_context(s)],
  ['SSL_SESSION_set1_id_context', (o, s) => o.SSL_SESSION_set1_id_context(s, Uint8Array.of(1))],
  ['SSL_SESSION_get_time', (o, s) => o.SSL_SESSION_get_time(s)],
  ['SSL_SESSION_set_time', (o, s) => o.SSL_SESSION_set_time(s, 1)],
  ['SSL_SESSION_get_timeout', (o, s) => o.SSL_SESSION_get_timeout(s)],
  ['SSL_SESSION_set_timeout', (o, s) => o.SSL_SESSION_set_timeout(s, 1)],
  ['SSL_SESSION_get_protocol_version', (o, s) => o.SSL_SESSION_get_protocol_version(s)],
  ['SSL_SESSION_set_protocol_version', (o, s) => o.SSL_SESSION_set_protocol_version(s, 0x0303)],
  ['SSL_SESSION_get0_cipher', (o, s) => o.SSL_SESSION_get0_cipher(s)],
  ['SSL_SESSION_set_cipher', (o, s, c) => o.SSL_SESSION_set_cipher(s, c)],
  ['SSL_SESSION_get0_hostname', (o, s) => o.SSL_SESSION_get0_hostname(s)],
  ['SSL_SESSION_set1_hostname', (o, s) => o.SSL_SESSION_set1_hostname(s, 'x.example')],
  ['SSL_SESSION_get0_alpn_selected', (o, s) => o.SSL_SESSION_get0_alpn_selected(s)],
  ['SSL_SESSION_set1_alpn_selected', (o, s) => o.SSL_SESSION_set1_alpn_selected(s, Uint8Array.of(0x68, 0x32))],
  ['SSL_SESSION_get_master_key', (o, s) => o.SSL_SESSION_get_master_key(s)],
  ['SSL_SESSION_set1_master_key', (o, s) => o.SSL_SESSION_set1_master_key(s, new Uint8Array(48))],
  ['SSL_SESSION_get_max_early_data', (o, s) => o.SSL_SESSION_get_max_early_data(s)],
  ['SSL_SESSION_set_max_early_data', (o, s) => o.SSL_SESSION_set_max_early_data(s, 1)],
  ['SSL_SESSION_get0_ticket_appdata', (o, s) => o.SSL_SESSION_get0_ticket_appdata(s)],
  ['SSL_SESSION_set1_ticket_appdata', (o, s) => o.SSL_SESSION_set1_ticket_appdata(s, Uint8Array.of(1))],
  ['SSL_SESSION_is_resumable', (o, s) => o.SSL_SESSION_is_resumable(s)],
  ['SSL_SESSION_has_ticket', (o, s) => o.SSL_SESSION_has_ticket(s)],
  ['SSL_SESSION_get0_ticket', (o, s) => o.SSL_SESSION_get0_ticket(s)],
  ['SSL_SESSION_get_ticket_lifetime_hint', (o, s) => o.SSL_SESSION_get_ticket_lifetime_hint(s)],
  ['SSL_SESSION_get0_peer', (o, s) => o.SSL_SESSION_get0_peer(s)],
];

type Use = (s: Session) => unknown;

/** Every use of a Session handle other than free(): getters, setters, encoders, references. */
const sessionUses: [string, Use][] = [
  ...(
    [
      'id',
      'idContext',
      'time',
      'timeout',
      'protocolVersion',
      'cipher',
      'hostname',
      'alpnSelected',
      'masterKey',
      'isResumable',
      'hasTicket',
      'ticket',
      'ticketLifetimeHint',
      'maxEarlyData',
      'ticketAppData',
      'peerCertificate',
    ] as const
  ).map((name): [string, Use] => [`get ${name}`, (s) => s[name]]),
  ['set id', (s) => (s.id = Uint8Array.of(1))],
  ['set idContext', (s) => (s.idContext = Uint8Array.of(1))],
  ['set time', (s) => (s.time = 1)],
  ['set timeout', (s) => (s.timeout = 1)],
  ['set protocolVersion', (s) => (s.protocolVersion = 0x0303)],
  ['set hostname', (s) => (s.hostname = 'x.example')],
  ['set alpnSelected', (s) => (s.alpnSelected = Uint8Array.of(0x68, 0x32))],
  ['set masterKey', (s) => (s.masterKey = new Uint8Array(48))],
  ['set maxEarlyData', (s) => (s.maxEarlyData = 1)],
  ['set ticketAppData', (s) => (s.ticketAppData = Uint8Array.of(1))],
  ['toDER()', (s) => s.toDER()],
  ['toPEM()', (s) => s.toPEM()],
  ['print()', (s) => s.print()],
  ['upRef()', (s) => s.upRef()],
  ['dup()', (s) => s.dup()],
];

describe('DoubleFreeError: free on a handle whose references are all released', () => {
  const frees: [string, (o: OpenSSL, s: Session) => void][] = [
    ['Session.free', (_, s) => s.free()],
    ['SSL_SESSION_free', (o, s) => o.SSL_SESSION_free(s)],
  ];
  for (const [firstName, first] of frees) {
    for (const [secondName, second] of frees) {
      it(`${secondName} after ${firstName} on the last reference is refused and leaves the count unchanged`, () => {
        const s = ossl.d2i_SSL_SESSION(sessionDER());
        first(ossl, s);
        const error = expectRefused(ossl, () => second(ossl, s), DoubleFreeError);
        expect(error.sessionId).toBe(s.sessionId);
        expect(error.message).toContain(`double free of ${s.sessionId}`);
        expect(ossl.ledger.live()).toEqual([]);
        ossl.ledger.assertNoLeaks();
      });

      it(`${secondName} after ${firstName} on a handle is refused while another handle keeps the session at count 1`, () => {
        const keeper = ossl.SSL_SESSION_new();
        const s = keeper.upRef();
        first(ossl, s);
        expectRefused(ossl, () => second(ossl, s), DoubleFreeError);
        expect(liveEntry(ossl, keeper)).toMatchObject({ references: 1, handleReferences: 1 });
        expect(keeper.id).toEqual(new Uint8Array(0));
        keeper.free();
        ossl.ledger.assertNoLeaks();
      });
    }
  }

  it('free after a `using` scope already freed the handle is refused as a double free', () => {
    let escaped: Session | undefined;
    {
      using s = ossl.newSession();
      escaped = s;
    }
    expectRefused(ossl, () => escaped?.free(), DoubleFreeError);
    ossl.ledger.assertNoLeaks();
  });

  it('a fourth free of a handle that took three references is refused; the first three were not', () => {
    const s = ossl.newSession();
    ossl.SSL_SESSION_up_ref(s);
    ossl.SSL_SESSION_up_ref(s);
    s.free();
    ossl.SSL_SESSION_free(s);
    s.free();
    expect(ossl.ledger.live()).toEqual([]);
    expectRefused(ossl, () => ossl.SSL_SESSION_free(s), DoubleFreeError);
    ossl.ledger.assertNoLeaks();
  });

  it('a double free is an OwnershipError and an OpenSSLWasmError, and names the session, never its address', () => {
    const s = ossl.newSession();
    s.free();
    const error = expectRefused(ossl, () => s.free(), DoubleFreeError);
    expect(error).toBeInstanceOf(OwnershipError);
    expect(error).toBeInstanceOf(OpenSSLWasmError);
    expect(error.name).toBe('DoubleFreeError');
    expect(error.sessionId).toMatch(/^S\d+$/);
    expect(error.message).not.toMatch(/0x[0-9a-f]{4,}|\b\d{5,}\b/i);
    ossl.ledger.assertNoLeaks();
  });

  it('in debug mode a double free says where the session was created and where it was released', async () => {
    const debug = await loadInstance({ debug: true });
    const s = debug.SSL_SESSION_new();
    s.free();
    const error = expectRefused(debug, () => s.free(), DoubleFreeError);
    expect(error.provenance.created).toContain('session-misuse.test.ts');
    expect(error.provenance.released).toContain('session-misuse.test.ts');
    expect(error.message).toMatch(/created at:[\s\S]*released at:/);
    debug.ledger.assertNoLeaks();
    ossl.ledger.assertNoLeaks();
  });
});

describe('UseAfterFreeError: any use of a handle whose references are all released', () => {
  it.each(sessionUses)('Session %s after free is refused and changes nothing', (_, use) => {
    const s = ossl.d2i_SSL_SESSION(sessionDER());
    s.free();
    const error = expectRefused(ossl, () => use(s), UseAfterFreeError);
    expect(error.sessionId).toBe(s.sessionId);
    expect(ossl.ledger.live()).toEqual([]);
    ossl.ledger.assertNoLeaks();
  });

  it.each(opensslCalls)('%s on a freed session is refused and changes nothing', (_, call) => {
    const cipher = cipherOf(ossl);
    const s = ossl.d2i_SSL_SESSION(sessionDER());
    ossl.SSL_SESSION_free(s);
    const error = expectRefused(ossl, () => call(ossl, s, cipher), UseAfterFreeError);
    expect(error.sessionId).toBe(s.sessionId);
    expect(ossl.ledger.live()).toEqual([]);
    ossl.ledger.assertNoLeaks();
  });

  it.each(sessionUses)('Session %s through a freed handle is refused even while another handle keeps the session alive', (_, use) => {
    const keeper = ossl.d2i_SSL_SESSION(sessionDER());
    const der = keeper.toDER();
    const s = keeper.upRef();
    s.free();
    expectRefused(ossl, () => use(s), UseAfterFreeError);
    expect(liveEntry(ossl, keeper)).toMatchObject({ references: 1, handleReferences: 1 });
    expect(keeper.toDER()).toEqual(der); // a refused setter wrote nothing
    keeper.free();
    ossl.ledger.assertNoLeaks();
  });

  it.each(opensslCalls)('%s through a freed handle is refused even while another handle keeps the session alive', (_, call) => {
    const cipher = cipherOf(ossl);
    const keeper = ossl.d2i_SSL_SESSION(sessionDER());
    const der = keeper.toDER();
    const s = keeper.upRef();
    ossl.SSL_SESSION_free(s);
    expectRefused(ossl, () => call(ossl, s, cipher), UseAfterFreeError);
    expect(liveEntry(ossl, keeper)).toMatchObject({ references: 1, handleReferences: 1 });
    expect(keeper.toDER()).toEqual(der);
    keeper.free();
    ossl.ledger.assertNoLeaks();
  });
});

describe('NotOwnedError: SSL_SESSION_free on a reference the JS side never took', () => {
  /** A completed in-memory handshake; its client connection holds the session a view borrows. */
  function handshake() {
    const cert = ossl.generateCertificate({ keyType: 'P-256', commonName: 'localhost' });
    const server = ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey });
    const client = ossl.createContext({ role: 'client', ca: cert.certificate });
    const pair = ossl.connectInMemory(client, server, { hostname: 'localhost' });
    const view = pair.client.getSession() as SessionView;
    const close = (): void => {
      pair.free();
      client.free();
      server.free();
    };
    return { pair, view, close };
  }

  it("SSL_SESSION_free on a SessionView that never took a reference is refused and leaves the connection's reference intact", () => {
    const { view, close } = handshake();
    expect(view).toBeInstanceOf(SessionView);
    const before = ossl.ledger.holders(view);
    expect(before).toMatchObject({ references: 1, handleReferences: 0, holders: [{ kind: 'connection', references: 1 }] });
    const error = expectRefused(ossl, () => ossl.SSL_SESSION_free(view), NotOwnedError);
    expect(error.sessionId).toBe(view.sessionId);
    expect(error.message).toContain('borrowed from SSL_get_session');
    expect(ossl.ledger.holders(view)).toEqual(before);
    expect(view.alive).toBe(true);
    expect(view.protocolVersion).toBe(0x0304);
    close();
    ossl.ledger.assertNoLeaks();
  });

  it('a view that took a reference with SSL_SESSION_up_ref frees exactly that one; a second free is a double free', () => {
    const { view, close } = handshake();
    expect(ossl.SSL_SESSION_up_ref(view)).toBe(1);
    expect(ossl.ledger.holders(view)).toMatchObject({ references: 2, handleReferences: 1 });
    ossl.SSL_SESSION_free(view);
    expect(ossl.ledger.holders(view)).toMatchObject({ references: 1, handleReferences: 0 });
    expectRefused(ossl, () => ossl.SSL_SESSION_free(view), DoubleFreeError);
    expect(ossl.ledger.holders(view)).toMatchObject({ references: 1, handleReferences: 0 });
    close();
    ossl.ledger.assertNoLeaks();
  });

  it('a view expires with its connection (BorrowExpiredError); a handle taken with view.upRef() outlives it', () => {
    const { view, close } = handshake();
    const kept = view.upRef();
    const der = kept.toDER();
    close();
    const error = expectRefused(ossl, () => view.id, BorrowExpiredError);
    expect(error.message).toContain('was freed');
    expectRefused(ossl, () => ossl.SSL_SESSION_free(view), NotOwnedError);
    expect(liveEntry(ossl, kept)).toMatchObject({ references: 1, handleReferences: 1 });
    expect(kept.toDER()).toEqual(der);
    kept.free();
    ossl.ledger.assertNoLeaks();
  });
});

describe('ForeignObjectError: a handle of instance A given to instance B', () => {
  let other: OpenSSL;
  beforeEach(async () => {
    other = await loadInstance();
  });

  /** Runs B's call on A's session; B refuses it, and neither instance changes. */
  function expectForeignRefused(call: () => unknown, s: Session): void {
    const a = snapshot(ossl);
    const error = expectRefused(other, call, ForeignObjectError);
    expect(error.sessionId).toBe(s.sessionId);
    expect(error.message).toContain('another OpenSSL instance');
    expect(snapshot(ossl)).toEqual(a);
    expect(other.ledger.live()).toEqual([]);
  }

  it("B.SSL_SESSION_free(A's session) is refused; A's count stays 1 and A can still free it", () => {
    const s = ossl.SSL_SESSION_new();
    expectForeignRefused(() => other.SSL_SESSION_free(s), s);
    expect(liveEntry(ossl, s)).toMatchObject({ references: 1, handleReferences: 1 });
    ossl.SSL_SESSION_free(s);
    ossl.ledger.assertNoLeaks();
    other.ledger.assertNoLeaks();
  });

  it("B.SSL_SESSION_get_id(A's session) is refused and reads nothing", () => {
    const s = ossl.SSL_SESSION_new();
    s.id = Uint8Array.of(0xaa, 0xbb);
    expectForeignRefused(() => other.SSL_SESSION_get_id(s), s);
    expect(ossl.SSL_SESSION_get_id(s)).toEqual(Uint8Array.of(0xaa, 0xbb));
    s.free();
    ossl.ledger.assertNoLeaks();
    other.ledger.assertNoLeaks();
  });

  it.each(opensslCalls)("B.%s(A's session) is refused and changes nothing in either instance", (_, call) => {
    const cipher = cipherOf(other);
    const s = ossl.d2i_SSL_SESSION(sessionDER());
    const der = s.toDER();
    expectForeignRefused(() => call(other, s, cipher), s);
    expect(s.toDER()).toEqual(der);
    s.free();
    ossl.ledger.assertNoLeaks();
    other.ledger.assertNoLeaks();
  });

  it("B.ledger.holders(A's session) is refused: a ledger answers only for its own instance", () => {
    const s = ossl.SSL_SESSION_new();
    expectForeignRefused(() => other.ledger.holders(s), s);
    s.free();
    ossl.ledger.assertNoLeaks();
    other.ledger.assertNoLeaks();
  });

  it("a cipher read from instance B is refused by A's SSL_SESSION_set_cipher without touching the session", () => {
    const foreignCipher = cipherOf(other);
    const s = ossl.SSL_SESSION_new();
    expect(() => ossl.SSL_SESSION_set_cipher(s, foreignCipher)).toThrow('does not come from this instance');
    expect(s.cipher).toBeNull();
    s.free();
    ossl.ledger.assertNoLeaks();
    other.ledger.assertNoLeaks();
  });
});

describe('TypeError: a raw number (a C pointer) or any non-session where a session is expected', () => {
  const notSessions: [string, unknown][] = [
    ['the number 42', 42],
    ['a pointer-sized number', 0x10_0000],
    ['undefined', undefined],
    ['a plain object', {}],
    ['a Uint8Array', new Uint8Array(8)],
  ];

  it.each(notSessions)('SSL_SESSION_free(%s) is refused with a TypeError and changes nothing', (_, value) => {
    const keeper = ossl.SSL_SESSION_new();
    const error = expectRefused(ossl, () => ossl.SSL_SESSION_free(value as Session), TypeError);
    expect(error.message).toContain('SSL_SESSION_free: expected a Session or SessionView');
    expect(liveEntry(ossl, keeper)).toMatchObject({ references: 1, handleReferences: 1 });
    keeper.free();
    ossl.ledger.assertNoLeaks();
  });

  it('the TypeError for a number says raw pointers are not accepted', () => {
    const error = expectRefused(ossl, () => ossl.SSL_SESSION_up_ref(4096 as unknown as Session), TypeError);
    expect(error.message).toContain('raw pointers are not accepted');
    ossl.ledger.assertNoLeaks();
  });

  it.each(opensslCalls)('%s(a raw number) is refused with a TypeError and changes nothing', (name, call) => {
    const cipher = cipherOf(ossl);
    const keeper = ossl.SSL_SESSION_new();
    const error = expectRefused(ossl, () => call(ossl, 0x1000 as unknown as Session, cipher), TypeError);
    expect(error.message).toContain('raw pointers are not accepted');
    expect(error.message).toMatch(new RegExp(`^(${name}|Session\\.\\w+):`));
    expect(liveEntry(ossl, keeper)).toMatchObject({ references: 1, handleReferences: 1 });
    keeper.free();
    ossl.ledger.assertNoLeaks();
  });
});

describe('refused calls and the C heap', () => {
  it('a refused double free, use after free, foreign free and raw-number free leave the C heap bytes unchanged', async () => {
    const other = await loadInstance();
    const freed = ossl.d2i_SSL_SESSION(sessionDER());
    freed.free();
    const foreign = other.SSL_SESSION_new();
    const before = ossl.ledger.heapBytes();
    expect(before).toBeGreaterThan(0);
    for (const call of [
      () => freed.free(),
      () => freed.toDER(),
      () => ossl.SSL_SESSION_free(foreign),
      () => ossl.SSL_SESSION_free(42 as unknown as Session),
    ]) {
      expect(call).toThrow();
      expect(ossl.ledger.heapBytes()).toBe(before);
    }
    foreign.free();
    expectInstanceWorks(ossl);
    ossl.ledger.assertNoLeaks();
    other.ledger.assertNoLeaks();
  });
});
