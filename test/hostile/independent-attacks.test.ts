// Attacks from outside the gate's own tables: a polluted prototype, options whose Proxy answers
// differently on each read, views of a shrunk resizable buffer, and a call that checked its second
// context only after C had run for its first. Each refusal: the typed error, nothing changed in C
// or in the ledger (expectRefused), and the instance still working.
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Context,
  type GeneratedCertificate,
  InvalidArgumentError,
  type LoadOptions,
  loadOpenSSL,
  type OpenSSL,
  type Session,
  TLSError,
  TransportError,
  UseAfterFreeError,
} from '../../dist/index.js';
import { connectTLS } from '../../dist/node/index.js';
import * as web from '../../dist/web/index.js';
import { expectClean, useInstance } from '../support/instance.js';
import { expectInstanceWorks, expectRefused } from '../support/sessions.js';
import { HOSTNAME } from '../support/tls.js';

let ossl: OpenSSL;
let cert: GeneratedCertificate;
let server: Context;
let client: Context;
let resumable: Session;

useInstance({ scope: 'file' }, (fresh) => {
  ossl = fresh;
  cert = ossl.generateCertificate({ commonName: HOSTNAME, keyType: 'P-256' });
  server = ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey });
  client = ossl.createContext({ role: 'client', ca: cert.certificate });
  const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
  resumable = pair.client.get1Session() as Session;
  pair.free();
});

afterAll(() => {
  resumable.free();
  client.free();
  server.free();
});

/** Runs `fn` with `key` set on `proto` (a polluted prototype), then removes it. */
function polluted<T>(proto: object, key: PropertyKey, value: unknown, fn: () => T): T {
  Object.defineProperty(proto, key, { value, configurable: true, writable: true, enumerable: false });
  try {
    return fn();
  } finally {
    delete (proto as Record<PropertyKey, unknown>)[key];
  }
}

describe('a polluted Object.prototype is not an option', () => {
  it('Object.prototype.verify = false does not turn off a client\u2019s verification: without ca it is still refused', () => {
    polluted(Object.prototype, 'verify', false, () => {
      expectRefused(ossl, () => ossl.createContext({ role: 'client' }), InvalidArgumentError);
    });
  });

  it('Object.prototype.ca does not add a trust anchor to a context that named none', () => {
    const rogue = ossl.generateCertificate({ commonName: HOSTNAME });
    polluted(Object.prototype, 'ca', rogue.certificate, () => {
      expectRefused(ossl, () => ossl.createContext({ role: 'client' }), InvalidArgumentError);
      const c = ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey });
      expect(c.verifies).toBe(false); // a server verifies clients only when it was given a ca of its own
      c.free();
    });
  });

  it('Object.prototype.hostname / session / alpn are not read into newConnection', () => {
    const c = polluted(Object.prototype, 'session', resumable, () =>
      polluted(Object.prototype, 'hostname', 'attacker.example', () =>
        polluted(Object.prototype, 'alpn', ['evil'], () => {
          // Without a hostname of its own, a verifying client's connection is refused: the planted one is not taken.
          expectRefused(ossl, () => client.newConnection(), InvalidArgumentError);
          return client.newConnection({ hostname: HOSTNAME });
        }),
      ),
    );
    expect(c.getSession()).toBeNull();
    c.free({ abort: true });
  });

  it('Object.prototype.role does not make a context out of an empty options object', () => {
    polluted(Object.prototype, 'role', 'client', () =>
      polluted(Object.prototype, 'verify', false, () => {
        expectRefused(ossl, () => ossl.createContext({} as never), InvalidArgumentError);
      }),
    );
  });

  it('nor are the options a caller left out: Object.prototype.tickets = false / ciphersuites / maxEarlyData change no context', () => {
    const made = polluted(Object.prototype, 'tickets', false, () =>
      polluted(Object.prototype, 'ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256', () =>
        polluted(Object.prototype, 'maxEarlyData', 4096, () =>
          ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey }),
        ),
      ),
    );
    expect(made.acceptsEarlyData).toBe(false);
    const pair = ossl.connectInMemory(client, made, { hostname: HOSTNAME });
    expect(pair.client.cipher?.name).toBe('TLS_AES_256_GCM_SHA384'); // OpenSSL's first default suite
    pair.pump();
    const s = pair.client.get1Session() as Session;
    expect(s.hasTicket).toBe(true);
    s.free();
    pair.free();
    made.free();
  });

  it('a hole in ca is not filled from a polluted Array.prototype', () => {
    polluted(Array.prototype, 0, cert.certificate, () => {
      // biome-ignore lint/suspicious/noSparseArray: the hole is the attack
      expectRefused(ossl, () => ossl.createContext({ role: 'client', ca: [, cert.certificate] as string[] }), TypeError);
    });
  });
});

/** Options whose `session` reads as undefined the first time (through any trap) and as a live session after. */
function twoFaced(read: () => number): { hostname: string; session?: Session } {
  const answer = (): Session | undefined => (read() === 1 ? undefined : resumable);
  return new Proxy(
    { hostname: HOSTNAME, session: undefined as Session | undefined },
    {
      get: (t, k) => (k === 'session' ? answer() : Reflect.get(t, k)),
      getOwnPropertyDescriptor: (t, k) =>
        k === 'session'
          ? { value: answer(), writable: true, enumerable: true, configurable: true }
          : Reflect.getOwnPropertyDescriptor(t, k),
    },
  );
}

describe('options read once: a Proxy that answers differently on each read', () => {
  it('{ session: undefined } on the first read and a session on the second is refused, not a silent full handshake', () => {
    let reads = 0;
    const options = twoFaced(() => ++reads);
    expectRefused(ossl, () => client.newConnection(options), InvalidArgumentError);
    expect(reads).toBe(1);
  });

  it('connectInMemory reads its options once, too', () => {
    let reads = 0;
    const options = twoFaced(() => ++reads);
    expectRefused(ossl, () => ossl.connectInMemory(client, server, options), InvalidArgumentError);
    expect(reads).toBe(1);
  });
});

describe('connectInMemory checks both contexts and every option before C', () => {
  it('a freed server context is refused before the client connection is made (no SSL_set_session, no SSL_free)', () => {
    const dead = ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey });
    dead.free();
    expectRefused(ossl, () => ossl.connectInMemory(client, dead, { hostname: HOSTNAME, session: resumable }), UseAfterFreeError);
  });

  it('an alpn getter that frees the server context runs during conversion: the call is refused, no connection is made', () => {
    const victim = ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey });
    const options = {
      hostname: HOSTNAME,
      session: resumable,
      get alpn() {
        victim.free();
        return ['h2'];
      },
    };
    const before = { events: ossl.ledger.events().at(-1)?.seq, live: ossl.ledger.live(), refused: ossl.ledger.stats().refused };
    // The getter's own free() changes the heap; the refused call may change nothing else.
    expect(() => ossl.connectInMemory(client, victim, options)).toThrow(UseAfterFreeError);
    expect(ossl.ledger.events().at(-1)?.seq).toBe(before.events);
    expect(ossl.ledger.live()).toEqual(before.live);
    expect(ossl.ledger.stats().refused).toBe(before.refused + 1);
    expect(client.connections).toEqual([]);
    expectInstanceWorks(ossl);
  });

  it('maxRounds out of range is a counted refusal', () => {
    expectRefused(ossl, () => ossl.connectInMemory(client, server, { hostname: HOSTNAME, maxRounds: 0 }), InvalidArgumentError);
  });
});

describe('a view of a shrunk resizable buffer is not empty bytes', () => {
  it('a fixed-length Uint8Array left out of bounds by resize() is refused, not written as zero bytes', () => {
    const s = ossl.newSession();
    s.id = Uint8Array.of(1, 2, 3);
    const rab = new ArrayBuffer(16, { maxByteLength: 64 });
    const view = new Uint8Array(rab, 4, 8).fill(7);
    rab.resize(6);
    expectRefused(
      ossl,
      () => {
        s.id = view;
      },
      InvalidArgumentError,
    );
    expect([...s.id]).toEqual([1, 2, 3]);
    s.free();
  });

  it('a DataView left out of bounds is an InvalidArgumentError', () => {
    const s = ossl.newSession();
    const rab = new ArrayBuffer(8, { maxByteLength: 64 });
    const dv = new DataView(rab, 2, 3);
    rab.resize(1);
    expectRefused(
      ossl,
      () => {
        s.id = dv;
      },
      InvalidArgumentError,
    );
    s.free();
  });

  it('a length-tracking view is copied at its length now (grown, and shrunk to empty)', () => {
    const s = ossl.newSession();
    const rab = new ArrayBuffer(4, { maxByteLength: 64 });
    const tracking = new Uint8Array(rab);
    rab.resize(8);
    tracking.fill(5);
    s.id = tracking;
    expect([...s.id]).toEqual([5, 5, 5, 5, 5, 5, 5, 5]);
    rab.resize(0);
    s.id = tracking;
    expect(s.id.length).toBe(0);
    s.free();
  });
});

describe('transports read their options once, own properties only', () => {
  /** Two in-memory byte pipes, crossed: what the client writes the server reads, and back. */
  function crossed(): { client: web.ByteTransport; server: web.ByteTransport } {
    const up = new TransformStream<Uint8Array, Uint8Array>();
    const down = new TransformStream<Uint8Array, Uint8Array>();
    return { client: { readable: down.readable, writable: up.writable }, server: { readable: up.readable, writable: down.writable } };
  }

  /** web.connect against web.accept in memory; the client's result (a stream, or why it failed). */
  async function handshake(options: (transport: web.ByteTransport) => web.ConnectOptions): Promise<unknown> {
    const t = crossed();
    const accepted = web.accept({ context: server, transport: t.server }).catch((error: unknown) => error);
    const connected = await web.connect(options(t.client)).catch((error: unknown) => error);
    // Refused before it touched the transport: end it, so that the server's accept ends too.
    if (!t.client.writable.locked) await t.client.writable.abort(new Error('client refused'));
    const s = await accepted;
    if (s instanceof web.TLSStream) s.abort();
    if (connected instanceof web.TLSStream) connected.abort();
    return connected;
  }

  it('a servername that reads as a name for the check and as undefined for the connection still has its name verified', async () => {
    let reads = 0;
    const result = await handshake((transport) => {
      const o = { transport, context: client, servername: 'other.example' as string | undefined };
      return new Proxy(o, {
        get: (t, k) => (k === 'servername' ? (++reads === 1 ? 'other.example' : undefined) : Reflect.get(t, k)),
        getOwnPropertyDescriptor: (t, k) =>
          k === 'servername'
            ? { value: ++reads === 1 ? 'other.example' : undefined, writable: true, enumerable: true, configurable: true }
            : Reflect.getOwnPropertyDescriptor(t, k),
      });
    });
    expect(result).toBeInstanceOf(TLSError);
    expect((result as TLSError).verifyResult).toBe(62); // X509_V_ERR_HOSTNAME_MISMATCH: 'other.example' was checked
    expect(reads).toBe(1);
  });

  it('Object.prototype.servername is not the name a verifying client asks for', async () => {
    const result = await polluted(Object.prototype, 'servername', HOSTNAME, () =>
      handshake((transport) => ({ transport, context: client }) as web.ConnectOptions),
    );
    expect(result).toBeInstanceOf(InvalidArgumentError);
  });
});

describe('the Node transport reads its options as own properties', () => {
  it('Object.prototype.socket is not the socket connectTLS talks over: it connects to host:port', async () => {
    const written: Uint8Array[] = [];
    const planted = new Duplex({
      read() {},
      write(chunk, _encoding, callback) {
        written.push(chunk);
        callback();
      },
    });
    const seen: Socket[] = [];
    const listener = createServer((socket) => {
      seen.push(socket);
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as AddressInfo;
    const insecure = ossl.createContext({ role: 'client', verify: false });
    try {
      const result = await polluted(Object.prototype, 'socket', planted, () =>
        Promise.race([
          connectTLS({ host: '127.0.0.1', port, context: insecure }).catch((error: unknown) => error),
          // Over the planted socket the handshake would wait for ever.
          new Promise((resolve) => setTimeout(resolve, 5000, 'still waiting on the planted socket')),
        ]),
      );
      expect(result).toBeInstanceOf(Error);
      expect(written).toEqual([]);
      expect(seen.length).toBe(1);
    } finally {
      planted.destroy();
      await new Promise((resolve) => listener.close(resolve));
      insecure.free();
    }
  });
});

describe('loadOpenSSL reads its options as own properties', () => {
  // A module of the attacker's (here an empty one: header only) planted where an option would be.
  const planted = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);

  for (const [entry, load] of [
    ['the main entry', loadOpenSSL],
    ['/inline', async (o?: LoadOptions) => (await import('../../dist/inline.js')).loadOpenSSL(o)],
  ] as const) {
    it(`${entry}: Object.prototype.wasmBinary / trace are not options: the real OpenSSL loads, tracing on`, async () => {
      // Polluted for the whole (asynchronous) load.
      Object.defineProperty(Object.prototype, 'wasmBinary', { value: planted, configurable: true, writable: true });
      Object.defineProperty(Object.prototype, 'trace', { value: false, configurable: true, writable: true });
      let loaded: unknown;
      try {
        loaded = await Promise.race([
          load().catch((error: unknown) => error),
          new Promise((resolve) => setTimeout(resolve, 20_000, new Error('loadOpenSSL never settled'))),
        ]);
      } finally {
        delete (Object.prototype as Record<string, unknown>).wasmBinary;
        delete (Object.prototype as Record<string, unknown>).trace;
      }
      expect(loaded).not.toBeInstanceOf(Error);
      const o = loaded as OpenSSL;
      expect(o.version).toMatch(/^OpenSSL 3\.5\./);
      expect(o.ledger.tracing).toBe(true);
      expectClean(o);
    });
  }
});

describe('websocketTransport reads its options as own properties', () => {
  it('Object.prototype.WebSocket is not the WebSocket class it opens', async () => {
    const made: string[] = [];
    class Planted {
      constructor(url: string) {
        made.push(url);
        throw new Error('planted');
      }
    }
    const native = (globalThis as { WebSocket?: unknown }).WebSocket;
    const result = await polluted(Object.prototype, 'WebSocket', Planted, () =>
      web.websocketTransport('ws://127.0.0.1:9/', {}).catch((error: unknown) => error),
    );
    expect(made).toEqual([]);
    // Without its own WebSocket option it uses the runtime's (Node 20 has none: a TransportError).
    if (native === undefined) expect(result).toBeInstanceOf(TransportError);
    else if (!(result instanceof Error)) (result as { writable: WritableStream }).writable.abort().catch(() => {});
  });
});
