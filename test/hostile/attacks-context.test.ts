// createContext's options, the context's session-cache callbacks and the ledger's questions,
// attacked as a hostile caller would: misspelt options, version bounds that leave nothing, ids no
// session has, a debug history edited after it was read, and onGetSession / onRemoveSession
// returning or doing what they must not. Each refusal: the typed error, nothing in C or the ledger
// changed, the instance still working; every instance ends through the fixture's checks.
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BorrowExpiredError,
  CallbackError,
  ForeignObjectError,
  InvalidArgumentError,
  LeakError,
  type OpenSSL,
  ReentrancyError,
  type SessionView,
  UseAfterFreeError,
} from '../../dist/index.js';
import { loadInstance, useInstance } from '../support/instance.js';
import { expectInstanceWorks, expectRefused } from '../support/sessions.js';
import { contextPair, HOSTNAME, leakOf } from '../support/tls.js';

const instance = useInstance();

function serverOptions(ossl: OpenSSL): { role: 'server'; certificate: string; privateKey: string } {
  const cert = ossl.generateCertificate({ commonName: HOSTNAME });
  return { role: 'server', certificate: cert.certificate, privateKey: cert.privateKey };
}

describe('createContext and generateCertificate take only the options they know', () => {
  it('a misspelt option (ticket, minVerison, verfy, alpnProtocols) is an InvalidArgumentError naming it: its default is never left in place silently', () => {
    const ossl = instance();
    const server = serverOptions(ossl);
    for (const typo of [{ ticket: false }, { minVerison: 'TLSv1.3' }, { cipher: 'AES256-GCM-SHA384' }, { alpnProtocols: ['h2'] }]) {
      const error = expectRefused(ossl, () => ossl.createContext({ ...server, ...typo } as never), InvalidArgumentError);
      expect(error.message).toContain(`unknown option '${Object.keys(typo)[0]}'`);
    }
    const e = expectRefused(
      ossl,
      () => ossl.createContext({ role: 'client', ca: server.certificate, verfy: false } as never),
      InvalidArgumentError,
    );
    expect(e.message).toContain("unknown option 'verfy'");
    // A key of 1 MB is named, cut short.
    const long = expectRefused(ossl, () => ossl.createContext({ ...server, ['x'.repeat(1 << 20)]: 1 } as never), InvalidArgumentError);
    expect(long.message.length).toBeLessThan(400);
    const cert = expectRefused(ossl, () => ossl.generateCertificate({ comonName: 'attacker.example' } as never), InvalidArgumentError);
    expect(cert.message).toContain("unknown option 'comonName'");
  });

  it('newConnection and connectInMemory refuse a misspelt option too: { sesion } made a full handshake instead of resuming', () => {
    const ossl = instance();
    const cert = ossl.generateCertificate({ commonName: HOSTNAME });
    const { server, client } = contextPair(ossl, cert);
    const first = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const s = first.client.get1Session();
    first.free();
    for (const typo of [{ sesion: s }, { hostName: HOSTNAME }, { protocols: ['h2'] }]) {
      const options = { hostname: HOSTNAME, ...typo };
      const key = Object.keys(typo)[0];
      expect(expectRefused(ossl, () => client.newConnection(options as never), InvalidArgumentError).message).toContain(`'${key}'`);
      expect(expectRefused(ossl, () => ossl.connectInMemory(client, server, options as never), InvalidArgumentError).message).toContain(
        `'${key}'`,
      );
    }
    const resumed = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: s });
    expect(resumed.client.sessionReused).toBe(true);
    resumed.free();
    s.free();
    server.free();
    client.free();
  });

  it("a Proxy's ownKeys trap naming an unknown key is refused before any known option is read; symbol keys and inherited keys are no one's option", () => {
    const ossl = instance();
    const server = serverOptions(ossl);
    const reads: PropertyKey[] = [];
    const proxy = new Proxy(server, {
      ownKeys: (target) => [...Reflect.ownKeys(target), 'tickets_'],
      getOwnPropertyDescriptor: (target, k) => {
        reads.push(k);
        return k === 'tickets_' ? { value: false, enumerable: true, configurable: true } : Reflect.getOwnPropertyDescriptor(target, k);
      },
    });
    expectRefused(ossl, () => ossl.createContext(proxy), InvalidArgumentError);
    expect(reads).toEqual([]);
    const tagged = ossl.createContext({ ...server, [Symbol('note')]: 'mine' });
    const inherited = ossl.createContext(Object.assign(Object.create({ ticket: false }), server));
    expect(ossl.ledger.stats().refused).toBe(1);
    tagged.free();
    inherited.free();
  });

  it('a server-only option (tickets, numTickets, acceptEarlyData, sessionIdContext) on a client context is refused rather than ignored', () => {
    const ossl = instance();
    const ca = serverOptions(ossl).certificate;
    for (const option of [{ tickets: false }, { numTickets: 0 }, { acceptEarlyData: true }, { sessionIdContext: 'mine' }]) {
      const error = expectRefused(ossl, () => ossl.createContext({ role: 'client', ca, ...option }), InvalidArgumentError);
      expect(error.message).toContain(`${Object.keys(option)[0]} is a server option`);
    }
  });

  it('numTickets is bounded (OpenSSL writes every ticket before the handshake returns: 2^31-1 of them ran for about a day)', () => {
    const ossl = instance();
    const server = serverOptions(ossl);
    for (const numTickets of [1001, 2 ** 31 - 1]) {
      expectRefused(ossl, () => ossl.createContext({ ...server, numTickets }), InvalidArgumentError);
    }
    for (const numTickets of [0, 1000]) ossl.createContext({ ...server, numTickets }).free();
  });

  it('minVersion above maxVersion is refused before C (no handshake could ever succeed); equal bounds and an open bound are accepted', () => {
    const ossl = instance();
    const server = serverOptions(ossl);
    for (const bounds of [
      { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.2' },
      { minVersion: 0x0304, maxVersion: 0x0303 },
    ] as const) {
      const error = expectRefused(ossl, () => ossl.createContext({ ...server, ...bounds }), InvalidArgumentError);
      expect(error.message).toContain('minVersion 0x0304 is above maxVersion 0x0303');
    }
    for (const bounds of [
      { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' },
      { minVersion: 'TLSv1.3', maxVersion: 0 },
      { minVersion: 0, maxVersion: 'TLSv1.2' },
    ] as const) {
      ossl.createContext({ ...server, ...bounds }).free();
    }
  });
});

describe('generateCertificate: the subjectAltName is the name asked for', () => {
  it('a leading or trailing space (trimmed from the subjectAltName only), a control character or non-ASCII (not an IA5String) is refused; an A-label is made as written', () => {
    const ossl = instance();
    for (const commonName of [` ${HOSTNAME}`, `${HOSTNAME} `, 'a\tb.example', 'bücher.example', 'del\x7f.example']) {
      expectRefused(ossl, () => ossl.generateCertificate({ commonName }), InvalidArgumentError);
    }
    const made = new X509Certificate(ossl.generateCertificate({ commonName: 'xn--bcher-kva.example' }).certificate);
    expect(made.subjectAltName).toBe('DNS:xn--bcher-kva.example');
  });
});

describe("the ledger's questions", () => {
  it('holders() / history() of an id no live session has, or of a 1 MB string, are counted refusals with a short message', () => {
    const ossl = instance();
    const s = ossl.newSession();
    for (const question of [ossl.ledger.holders, ossl.ledger.history]) {
      const ask = (x: unknown) => () => Reflect.apply(question, ossl.ledger, [x]);
      expect(expectRefused(ossl, ask('S999'), InvalidArgumentError).message).toMatch(/no live session S999$/);
      expect(expectRefused(ossl, ask('S'.repeat(1 << 20)), InvalidArgumentError).message.length).toBeLessThan(200);
      expectRefused(ossl, ask('S1\0'), InvalidArgumentError);
      expectRefused(ossl, ask(new Proxy(s, {})), TypeError);
      expectRefused(ossl, ask(12345), TypeError);
    }
    expect(ossl.ledger.holders(s.sessionId).references).toBe(1);
    s.free();
  });

  it("another instance's handle is a ForeignObjectError; a freed handle's report says 0 references", async () => {
    const ossl = instance();
    const other = await loadInstance();
    const theirs = other.newSession();
    expectRefused(ossl, () => ossl.ledger.holders(theirs), ForeignObjectError);
    expectRefused(ossl, () => ossl.ledger.history(theirs), ForeignObjectError);
    theirs.free();
    const s = ossl.newSession();
    s.free();
    expect(ossl.ledger.holders(s)).toMatchObject({ references: 0, holders: [] });
  });

  it('debug mode: the events history() returns are copies; editing them changes neither a later history() nor the leak report', async () => {
    const ossl = await loadInstance({ debug: true });
    const s = ossl.newSession();
    const original = structuredClone(ossl.ledger.history(s)); // what it said, kept apart from what is edited
    const edited = ossl.ledger.history(s);
    Object.assign(edited[0], { references: 99, site: 'cache-evict', via: 'attacker', holder: 'X9 cache' });
    expect(ossl.ledger.history(s)).toEqual(original);
    const report = ossl.ledger.holders(s);
    report.holders[0].references = 42;
    ossl.ledger.live()[0].holders.push({ kind: 'cache', id: 'X9 cache', references: 1 });
    expect(ossl.ledger.holders(s)).toMatchObject({ references: 1, holders: [{ kind: 'handle', references: 1 }] });
    expect(leakOf(ossl).leaks[0].unmatched[0]).toMatchObject({ via: original[0].via, site: original[0].site });
    s.free();
  });
});

describe('the session-cache callbacks return and do only what they may', () => {
  it('onGetSession returning a freed session, a connection, a Proxy, a Promise, a number or an id fails that connection with CallbackError; the next returns a real one and resumes', async () => {
    const ossl = instance();
    const other = await loadInstance();
    const cert = ossl.generateCertificate({ commonName: HOSTNAME });
    const { server, client } = contextPair(ossl, cert, {
      server: { tickets: false, sessionCacheMode: 0x0002 | 0x0100 }, // SERVER | NO_INTERNAL_LOOKUP: only the callback finds sessions
    });
    const first = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const offered = first.client.get1Session();
    const stored = first.server.get1Session();
    const freed = stored.dup();
    freed.free();
    const foreign = other.newSession();
    const connection = first.server;
    for (const [what, value, cause] of [
      ['a freed session', freed, UseAfterFreeError],
      ['a connection', connection, TypeError],
      ["another instance's session", foreign, ForeignObjectError],
      ['a Proxy of a session', new Proxy(stored, {}), TypeError],
      ['a Promise of a session', Promise.resolve(stored), TypeError],
      ['a raw pointer', 12345, TypeError],
      ['an id', stored.sessionId, TypeError],
    ] as const) {
      server.onGetSession(() => value as never);
      let error: unknown;
      try {
        ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: offered });
      } catch (e) {
        error = e;
      }
      expect(error, what).toBeInstanceOf(CallbackError);
      expect((error as CallbackError).cause, what).toBeInstanceOf(cause);
      expect(client.connections.length + server.connections.length, what).toBe(2); // only `first`'s two are left
    }
    server.onGetSession(() => stored);
    const resumed = ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: offered });
    expect(resumed.client.sessionReused).toBe(true);
    resumed.free();
    first.free();
    for (const s of [offered, stored, foreign]) s.free();
    server.free();
    client.free();
    expectInstanceWorks(ossl);
  });

  it('onRemoveSession: freeing the context, changing its cache or freeing the view inside is refused; the view expires when it returns', () => {
    const ossl = instance();
    const server = ossl.createContext(serverOptions(ossl));
    const s = ossl.newSession();
    s.id = new Uint8Array(32).fill(1);
    const inside: unknown[] = [];
    let kept: SessionView | undefined;
    server.onRemoveSession((view, context) => {
      kept = view;
      for (const attempt of [
        () => context.free(),
        () => context.addSession(view),
        () => context.flushSessions(),
        () => ossl.SSL_SESSION_free(view),
      ]) {
        try {
          attempt();
          inside.push('returned');
        } catch (error) {
          inside.push((error as Error).constructor);
        }
      }
    });
    expect(server.addSession(s)).toBe(true);
    expect(server.removeSession(s)).toBe(true);
    expect(inside.slice(0, 3)).toEqual([ReentrancyError, ReentrancyError, ReentrancyError]);
    expect(inside[3]).not.toBe('returned');
    expect(() => kept?.cipher).toThrow(BorrowExpiredError);
    expect(ossl.ledger.holders(s).references).toBe(1);
    s.free();
    server.free();
  });
});

describe('a context and a connection cannot be rewritten', () => {
  it("id and role are read-only and no method can be shadowed: role = 'server' on a client no longer stops onNewSession, nor does an id rewrite the ledger's names", () => {
    const ossl = instance();
    const cert = ossl.generateCertificate({ commonName: HOSTNAME });
    const { server, client } = contextPair(ossl, cert);
    const writes: [object, PropertyKey, unknown][] = [
      [client, 'role', 'server'],
      [client, 'id', 'X9 cache'],
      [client, 'addSession', () => true],
      [server, 'onGetSession', () => {}],
    ];
    for (const [object, key, value] of writes) {
      expect(Reflect.set(object, key, value), String(key)).toBe(false);
      expect(() => Object.defineProperty(object, key, { value }), String(key)).toThrow(TypeError);
    }
    expect(() => {
      (client as { role: string }).role = 'server';
    }).toThrow(TypeError);
    expect(client).toMatchObject({ id: 'X2', role: 'client' });
    const kept: { free(): void }[] = [];
    client.onNewSession((s) => {
      kept.push(s);
      return true;
    });
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    for (const key of ['id', 'role', 'setSession']) expect(Reflect.set(pair.client, key, 'C99'), key).toBe(false);
    expect(kept.length).toBeGreaterThan(0);
    expect(ossl.ledger.events().some((e) => e.via === 'X2 onNewSession')).toBe(true);
    pair.free();
    for (const s of kept) s.free();
    server.free();
    client.free();
  });
});

describe('an instance and its ledger cannot be rewritten', () => {
  it('ossl.ledger cannot be swapped for a look-alike, nor a question shadowed (assertNoLeaks = () => {} would have hidden every leak)', () => {
    const ossl = instance();
    const ledger = ossl.ledger;
    expect(Reflect.set(ossl, 'ledger', { assertNoLeaks() {} })).toBe(false);
    expect(Reflect.set(ossl, 'SSL_SESSION_free', () => {})).toBe(false);
    expect(Reflect.set(ledger, 'assertNoLeaks', () => {})).toBe(false);
    expect(() => Object.defineProperty(ledger, 'live', { value: () => [] })).toThrow(TypeError);
    expect(ossl.ledger).toBe(ledger);
    const s = ossl.newSession();
    expect(() => ossl.ledger.assertNoLeaks()).toThrow(LeakError);
    ossl.SSL_SESSION_free(s);
  });
});
