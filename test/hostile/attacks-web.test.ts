// The Web Streams transport (openssl-session-wasm/web connect() / accept()) attacked as a hostile
// caller would: options of the wrong kind, transports whose getters count, lie or throw, stores
// that are not stores or that take the transport while connect() awaits them, transport chunks that
// are not bytes, lie about their length, are shared or detached, and plaintext chunks the same.
// Every refusal comes before a connection exists (no SSL object made, nothing in C changed, the
// transport left as it was); every failure after that releases the connection. The peer is the
// same package's accept() over in-process streams.
import { describe, expect, it } from 'vitest';
import { type Context, InvalidArgumentError, type OpenSSL, type Session, TransportError, UseAfterFreeError } from '../../dist/index.js';
import * as web from '../../dist/web/index.js';
import { useInstance } from '../support/instance.js';
import { HOSTNAME } from '../support/tls.js';
import { expectNoConnections, expectRefusedBeforeConnection, type World, withContexts as withAll } from './adapters.js';

const instance = useInstance();

/** A context pair on this test's instance. */
const withContexts = (fn: (w: World) => Promise<void>): Promise<void> => withAll(instance(), fn);

/** Two connected in-process byte pairs: what one side writes, the other reads. */
function pipePair(): [web.ByteTransport, web.ByteTransport] {
  const a = new TransformStream<Uint8Array, Uint8Array>();
  const b = new TransformStream<Uint8Array, Uint8Array>();
  return [
    { readable: a.readable, writable: b.writable },
    { readable: b.readable, writable: a.writable },
  ];
}

/** Refused before a connection existed, and the transport untouched (still unlocked, the caller's to use). */
function refusedBeforeConnection(
  w: World,
  call: () => Promise<unknown>,
  expected: abstract new (...args: never[]) => Error,
  transport?: web.ByteTransport,
): Promise<Error> {
  return expectRefusedBeforeConnection(w, call, expected, () => {
    if (!transport) return;
    expect(transport.readable.locked).toBe(false);
    expect(transport.writable.locked).toBe(false);
  });
}

/** A handshake between connect() and accept() over `clientSide`/`serverSide`, then a clean close both ways. */
async function handshake(
  w: World,
  clientSide: web.ByteTransport,
  serverSide: web.ByteTransport,
  extra: Partial<web.ConnectOptions> = {},
): Promise<[web.TLSStream, web.TLSStream]> {
  const accepted = web.accept({ transport: serverSide, context: w.server });
  const connected = web.connect({ transport: clientSide, context: w.client, servername: HOSTNAME, ...extra });
  const [c, s] = await Promise.all([connected, accepted]);
  return [c, s];
}

async function closeBoth(c: web.TLSStream, s: web.TLSStream): Promise<void> {
  await Promise.all([c.close(), s.close()]);
}

describe('connect(): everything that can be refused is refused before the connection exists', () => {
  it('earlyData of the wrong kind (a number, a plain object, a Proxy, a lone surrogate, a detached buffer) is a typed error; no connection, the transport untouched', async () => {
    await withContexts(async (w) => {
      const detached = new ArrayBuffer(8);
      const viewOfDetached = new Uint8Array(detached);
      structuredClone(detached, { transfer: [detached] });
      const cases: [unknown, abstract new (...args: never[]) => Error][] = [
        [12345, TypeError],
        [{ length: 3 }, TypeError],
        [new Proxy(new Uint8Array(4), {}), TypeError],
        ['GET /\uD800', InvalidArgumentError],
        [detached, InvalidArgumentError],
        [viewOfDetached, InvalidArgumentError],
      ];
      for (const [earlyData, expected] of cases) {
        const [c] = pipePair();
        await refusedBeforeConnection(
          w,
          () => web.connect({ transport: c, context: w.client, servername: HOSTNAME, earlyData: earlyData as Uint8Array }),
          expected,
          c,
        );
      }
    });
  });

  it('a transport that is not { readable, writable } of Web Streams, or whose streams are locked, is an InvalidArgumentError', async () => {
    await withContexts(async (w) => {
      const [c] = pipePair();
      for (const transport of [undefined, null, 'tcp://x', {}, { readable: c.readable }, { readable: {}, writable: {} }]) {
        await refusedBeforeConnection(
          w,
          () => web.connect({ transport: transport as web.ByteTransport, context: w.client, servername: HOSTNAME }),
          InvalidArgumentError,
        );
      }
      const reader = c.readable.getReader();
      await refusedBeforeConnection(w, () => web.connect({ transport: c, context: w.client, servername: HOSTNAME }), InvalidArgumentError);
      reader.releaseLock();
    });
  });

  it("the transport's getters run once: a getter that would hand over another stream (or throw) on a later read is never read again", async () => {
    await withContexts(async (w) => {
      const [c, sv] = pipePair();
      const reads = { readable: 0, writable: 0 };
      const [decoy] = pipePair();
      const transport = {
        get readable() {
          reads.readable++;
          if (reads.readable > 1) throw new Error('read twice');
          return c.readable;
        },
        get writable() {
          reads.writable++;
          return reads.writable > 1 ? decoy.writable : c.writable;
        },
      };
      const [client, server] = await handshake(w, transport, sv);
      expect(reads).toEqual({ readable: 1, writable: 1 });
      expect(decoy.writable.locked).toBe(false);
      await closeBoth(client, server);
      expectNoConnections(w);
    });
  });

  it("a Proxy transport's get trap runs once per stream", async () => {
    await withContexts(async (w) => {
      const [c, sv] = pipePair();
      const got: PropertyKey[] = [];
      const transport = new Proxy(c, {
        get(t, k) {
          got.push(k);
          return Reflect.get(t, k);
        },
      });
      const [client, server] = await handshake(w, transport, sv);
      expect(got).toEqual(['readable', 'writable']);
      await closeBoth(client, server);
    });
  });

  it('store.sessions that is not a StoredSessions, or a key that is not a string, is a TypeError (the store is never asked)', async () => {
    await withContexts(async (w) => {
      let asked = 0;
      const fake = {
        take: async () => {
          asked++;
          return null;
        },
        keep: async () => {},
      };
      const real = new web.StoredSessions(w.ossl, new web.MemorySessionStore());
      for (const store of [
        { sessions: fake, key: 'k' },
        { sessions: 5, key: 'k' },
        { sessions: real, key: 443 },
        { sessions: real },
        'k',
      ]) {
        const [c] = pipePair();
        await refusedBeforeConnection(
          w,
          () => web.connect({ transport: c, context: w.client, servername: HOSTNAME, store: store as never }),
          TypeError,
          c,
        );
      }
      expect(asked).toBe(0);
    });
  });

  it('a store that takes the transport while connect() awaits it: refused as locked, no connection made, the stored session released', async () => {
    await withContexts(async (w) => {
      // A resumable session in the store, then a store whose get() locks the transport.
      const [c1, s1] = pipePair();
      const [first, firstServer] = await handshake(w, c1, s1);
      await first.waitForSessions(1);
      const ticket = first.takeSession() as Session;
      await closeBoth(first, firstServer);
      const memory = new web.MemorySessionStore();
      const sessions = new web.StoredSessions(w.ossl, memory);
      await sessions.keep('k', ticket);
      ticket.free();
      const [c] = pipePair();
      let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
      const sneaky: web.SessionStore = {
        get(key) {
          reader = c.readable.getReader();
          return memory.get(key);
        },
        put: (key, s) => memory.put(key, s),
        delete: (key) => memory.delete(key),
      };
      const before = w.ossl.ledger.live().length;
      const error = await web
        .connect({
          transport: c,
          context: w.client,
          servername: HOSTNAME,
          store: { sessions: new web.StoredSessions(w.ossl, sneaky), key: 'k' },
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toMatch(/locked/);
      expectNoConnections(w);
      expect(w.ossl.ledger.live().length).toBe(before); // the session decoded from the store was freed
      reader?.releaseLock();
    });
  });

  it('a ReadableStream subclass whose getReader() throws after the connection exists: the connection is freed, the error is the caller\u2019s', async () => {
    await withContexts(async (w) => {
      class Broken extends ReadableStream<Uint8Array> {
        override getReader(): never {
          throw new Error('no reader for you');
        }
      }
      const [c] = pipePair();
      const transport = { readable: new Broken(), writable: c.writable };
      const error = await web.connect({ transport, context: w.client, servername: HOSTNAME }).catch((e: unknown) => e);
      expect((error as Error).message).toBe('no reader for you');
      expectNoConnections(w);
    });
  });

  it('connect() and accept(): a look-alike context is a TypeError and its own code never runs; a freed one a UseAfterFreeError', async () => {
    await withContexts(async (w) => {
      let ran = 0;
      const lookAlike = (role: string) => ({
        role,
        verifies: false,
        newConnection: () => {
          ran++;
          return {};
        },
      });
      const [c] = pipePair();
      for (const context of [{}, lookAlike('client'), Object.create(w.client) as Context]) {
        await refusedBeforeConnection(
          w,
          () => web.connect({ transport: c, context: context as Context, servername: HOSTNAME }),
          TypeError,
          c,
        );
      }
      await refusedBeforeConnection(
        w,
        () => web.accept({ transport: c, context: lookAlike('server') as unknown as Context }),
        TypeError,
        c,
      );
      expect(ran).toBe(0);
      const freed = w.ossl.createContext({ role: 'client', verify: false });
      freed.free();
      await refusedBeforeConnection(w, () => web.connect({ transport: c, context: freed }), UseAfterFreeError, c);
    });
  });

  it('accept(): no server context, or a transport that is not one, is refused before a connection exists', async () => {
    await withContexts(async (w) => {
      const [c] = pipePair();
      for (const context of [undefined, w.client]) {
        await refusedBeforeConnection(w, () => web.accept({ transport: c, context: context as Context }), InvalidArgumentError, c);
      }
      await refusedBeforeConnection(w, () => web.accept({ transport: {} as web.ByteTransport, context: w.server }), InvalidArgumentError);
    });
  });
});

describe('chunks from the transport and from the caller are copied through the converters', () => {
  /** A transport whose readable yields `chunks` (then the peer's real bytes are never read). */
  function feeding(chunks: unknown[]): { transport: web.ByteTransport; sink: Uint8Array[] } {
    const sink: Uint8Array[] = [];
    const readable = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk as Uint8Array);
      },
    });
    const writable = new WritableStream<Uint8Array>({ write: (chunk) => void sink.push(chunk) });
    return { transport: { readable, writable }, sink };
  }

  it('a transport chunk that is not bytes (a number, a string, a plain object) fails the stream with TransportError and frees the connection', async () => {
    await withContexts(async (w) => {
      for (const chunk of [42, 'hello', { byteLength: 5 }]) {
        const { transport } = feeding([chunk]);
        const error = await web.connect({ transport, context: w.client, servername: HOSTNAME }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TransportError);
        expectNoConnections(w);
      }
    });
  });

  it('a transport chunk detached after it was enqueued fails the stream (not read as empty), and frees the connection', async () => {
    await withContexts(async (w) => {
      const chunk = new Uint8Array(64).fill(0x16);
      const { transport } = feeding([chunk]);
      structuredClone(chunk.buffer, { transfer: [chunk.buffer] });
      const error = await web.connect({ transport, context: w.client, servername: HOSTNAME }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransportError);
      expect(String((error as Error).message)).toMatch(/detached/);
      expectNoConnections(w);
    });
  });

  it('a huge chunk of garbage (8 MiB) fails the handshake with a typed error and frees the connection', async () => {
    await withContexts(async (w) => {
      const { transport } = feeding([new Uint8Array(8 << 20).fill(0x17)]);
      const error = await web.connect({ transport, context: w.client, servername: HOSTNAME }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toMatch(/TLSError|OpenSSLError|TransportError/);
      expectNoConnections(w);
    });
  });

  it('transport chunks that lie about their length, or live in a SharedArrayBuffer, are read whole: the handshake completes', async () => {
    await withContexts(async (w) => {
      class Lying extends Uint8Array {
        override get length(): number {
          return 0; // would read as "nothing arrived" to a check of .length
        }
      }
      /** The peer's bytes re-wrapped on the way (both directions), as `wrap` makes them. */
      const relay = (from: ReadableStream<Uint8Array>, wrap: (b: Uint8Array) => Uint8Array): ReadableStream<Uint8Array> =>
        from.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ transform: (chunk, c) => c.enqueue(wrap(chunk)) }));
      const lying = (b: Uint8Array): Uint8Array => {
        const out = new Lying(b.byteLength);
        Uint8Array.prototype.set.call(out, b);
        return out;
      };
      const shared = (b: Uint8Array): Uint8Array => {
        const out = new Uint8Array(new SharedArrayBuffer(b.byteLength));
        out.set(b);
        return out;
      };
      for (const wrap of [lying, shared]) {
        const [c, sv] = pipePair();
        const clientSide = { readable: relay(c.readable, wrap), writable: c.writable };
        const [client, server] = await handshake(w, clientSide, sv);
        const writer = client.writable.getWriter();
        await writer.write(new TextEncoder().encode('ping'));
        writer.releaseLock();
        const reader = server.readable.getReader();
        expect(new TextDecoder().decode((await reader.read()).value)).toBe('ping');
        reader.releaseLock();
        await closeBoth(client, server);
      }
      expectNoConnections(w);
    });
  });

  it('plaintext: a string with NUL is sent intact; a lone surrogate, a number or a Proxy fails the stream with the typed error and frees both ends', async () => {
    await withContexts(async (w) => {
      {
        const [c, sv] = pipePair();
        const [client, server] = await handshake(w, c, sv);
        const writer = client.writable.getWriter();
        await writer.write('a\0b' as unknown as Uint8Array);
        const reader = server.readable.getReader();
        expect((await reader.read()).value).toEqual(Uint8Array.of(0x61, 0, 0x62));
        writer.releaseLock();
        reader.releaseLock();
        await closeBoth(client, server);
      }
      const cases: [unknown, abstract new (...args: never[]) => Error][] = [
        ['x\uDC00', InvalidArgumentError],
        [7, TypeError],
        [new Proxy(new Uint8Array(4), {}), TypeError],
      ];
      for (const [chunk, expected] of cases) {
        const [c, sv] = pipePair();
        const [client, server] = await handshake(w, c, sv);
        const writer = client.writable.getWriter();
        const error = await writer.write(chunk as Uint8Array).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(expected);
        // The stream failed as a whole (the writable errors, Web Streams' rule), with the refusal as its cause.
        const failure = await client.closed.catch((e: unknown) => e as Error);
        expect(failure).toBeInstanceOf(Error);
        expect([failure, failure?.cause]).toContain(error);
        // The peer sees its transport end; it is released too.
        await server.closed.catch(() => {});
        expectNoConnections(w);
      }
    });
  });
});

describe('websocketTransport, bunConnect: options of their kind, refused before anything is opened', () => {
  /** A WebSocket class that records what it was asked to open, and never opens. */
  function recorder(): { opened: string[]; Socket: new (url: string) => unknown } {
    const opened: string[] = [];
    class Socket {
      constructor(url: string) {
        opened.push(url);
        throw new Error('not opening');
      }
    }
    return { opened, Socket };
  }

  it('the url is a string or a URL: a number or a look-alike with toString (never run) is a TypeError, NUL or a lone surrogate an InvalidArgumentError', async () => {
    const { opened, Socket } = recorder();
    let ran = 0;
    const lookAlike = {
      toString() {
        ran++;
        return 'ws://127.0.0.1:9/?to=attacker.example:443';
      },
    };
    const cases: [unknown, abstract new (...args: never[]) => Error][] = [
      [9, TypeError],
      [lookAlike, TypeError],
      ['ws://127.0.0.1:9/?to=example.test:443\0', InvalidArgumentError],
      ['ws://127.0.0.1:9/?to=\uD800', InvalidArgumentError],
    ];
    for (const [url, expected] of cases) {
      await expect(web.websocketTransport(url as string, { WebSocket: Socket as never })).rejects.toBeInstanceOf(expected);
    }
    expect(ran).toBe(0);
    expect(opened).toEqual([]);
    // A URL is read through the intrinsic href: what is opened is the URL's own text.
    await expect(web.websocketTransport(new URL('ws://127.0.0.1:9/?to=example.test:443'), { WebSocket: Socket as never })).rejects.toThrow(
      'not opening',
    );
    expect(opened).toEqual(['ws://127.0.0.1:9/?to=example.test:443']);
  });

  it('WebSocket must be a constructor function and maxBuffered a whole number from 1: NaN, 0, "1", -1 would have lifted the bound', async () => {
    const { opened, Socket } = recorder();
    await expect(web.websocketTransport('ws://127.0.0.1:9/', { WebSocket: 'ws' as never })).rejects.toBeInstanceOf(TypeError);
    const cases: [unknown, abstract new (...args: never[]) => Error][] = [
      [Number.NaN, InvalidArgumentError],
      [0, InvalidArgumentError],
      [-1, InvalidArgumentError],
      [1.5, InvalidArgumentError],
      ['1', TypeError],
    ];
    for (const [maxBuffered, expected] of cases) {
      await expect(
        web.websocketTransport('ws://127.0.0.1:9/', { WebSocket: Socket as never, maxBuffered: maxBuffered as number }),
      ).rejects.toBeInstanceOf(expected);
    }
    expect(opened).toEqual([]);
  });

  it('bunConnect: hostname a string, port 1-65535, read once; Bun.connect is never called otherwise', async () => {
    const calls: unknown[] = [];
    const g = globalThis as { Bun?: unknown };
    g.Bun = {
      connect: async (o: unknown) => {
        calls.push(o);
        throw new Error('refused');
      },
    };
    try {
      const cases: [unknown, abstract new (...args: never[]) => Error][] = [
        [{ hostname: 5, port: 443 }, TypeError],
        [{ hostname: 'example.test\0.attacker.example', port: 443 }, InvalidArgumentError],
        [{ hostname: 'example.test', port: '443' }, TypeError],
        [{ hostname: 'example.test', port: 0 }, InvalidArgumentError],
        [{ hostname: 'example.test', port: 70000 }, InvalidArgumentError],
        [{ hostname: 'example.test', port: Number.NaN }, InvalidArgumentError],
        [undefined, TypeError],
      ];
      for (const [options, expected] of cases) {
        await expect(web.bunConnect(options as never)).rejects.toBeInstanceOf(expected);
      }
      expect(calls).toEqual([]);
      let reads = 0;
      const options = {
        get hostname() {
          reads++;
          return reads > 1 ? 'attacker.example' : 'example.test';
        },
        port: 443,
      };
      await expect(web.bunConnect(options)).rejects.toBeInstanceOf(TransportError);
      expect(reads).toBe(1);
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ hostname: 'example.test', port: 443 });
    } finally {
      delete g.Bun;
    }
  });
});

describe('StoredSessions and MemorySessionStore check what they are given', () => {
  it('a StoredSessions needs an OpenSSL instance and a store with get/put/delete', async () => {
    const ossl = instance();
    const store = new web.MemorySessionStore();
    for (const [o, s] of [
      [{}, store],
      [ossl, {}],
      [ossl, { get() {}, put() {} }],
      [ossl, null],
    ] as const) {
      expect(() => new web.StoredSessions(o as OpenSSL, s as web.SessionStore)).toThrow(TypeError);
    }
  });

  it('take() with a NaN, fractional or string `now` is refused and deletes nothing (a NaN made every entry look expired, and deleted it)', async () => {
    await withContexts(async (w) => {
      const [c, sv] = pipePair();
      const [client, server] = await handshake(w, c, sv);
      await client.waitForSessions(1);
      const memory = new web.MemorySessionStore();
      const sessions = new web.StoredSessions(w.ossl, memory);
      const ticket = client.takeSession() as Session;
      await sessions.keep('k', ticket);
      ticket.free();
      await closeBoth(client, server);
      const cases: [unknown, abstract new (...args: never[]) => Error][] = [
        [Number.NaN, InvalidArgumentError],
        [Date.now() / 1000 + 0.5, InvalidArgumentError],
        [String(Math.floor(Date.now() / 1000)), TypeError],
        [-1, InvalidArgumentError],
      ];
      for (const [now, expected] of cases) {
        await expect(sessions.take('k', now as number)).rejects.toBeInstanceOf(expected);
        expect(memory.size).toBe(1);
      }
      await expect(sessions.take(7 as unknown as string)).rejects.toBeInstanceOf(TypeError);
      expect(memory.size).toBe(1);
      const taken = (await sessions.take('k')) as Session;
      expect(taken.isResumable).toBe(true);
      taken.free();
    });
  });

  it('keep() takes a session (a look-alike is a TypeError, a freed one a UseAfterFreeError) under a string key; MemorySessionStore.put checks its entry', async () => {
    const ossl = instance();
    const memory = new web.MemorySessionStore();
    const sessions = new web.StoredSessions(ossl, memory);
    const lookAlike = {
      isResumable: true,
      ticketLifetimeHint: 0,
      timeout: 9e9,
      time: 0,
      protocolVersion: 0x0303,
      toDER: () => new Uint8Array(3),
    };
    await expect(sessions.keep('k', lookAlike as never)).rejects.toBeInstanceOf(TypeError);
    const s = ossl.SSL_SESSION_new();
    s.free();
    await expect(sessions.keep('k', s)).rejects.toThrow(/used through|freed|released/);
    const live = ossl.SSL_SESSION_new();
    await expect(sessions.keep(5 as unknown as string, live)).rejects.toBeInstanceOf(TypeError);
    live.free();
    for (const entry of [
      { der: 'MIIB', expires: 1, singleUse: false },
      { der: new Uint8Array(1), expires: '1', singleUse: false },
      { der: new Uint8Array(1), expires: 1, singleUse: 1 },
    ]) {
      expect(() => memory.put('k', entry as never)).toThrow(TypeError);
    }
    expect(memory.size).toBe(0);
  });

  it("a store's entry is read once: a der getter that would hand over other bytes on a second read is not read again", async () => {
    await withContexts(async (w) => {
      const [c, sv] = pipePair();
      const [client, server] = await handshake(w, c, sv);
      await client.waitForSessions(1);
      const ticket = client.takeSession() as Session;
      const der = ticket.toDER();
      ticket.free();
      await closeBoth(client, server);
      let reads = 0;
      const hostile: web.SessionStore = {
        get: () => ({
          get der() {
            reads++;
            return reads > 1 ? new Uint8Array(der.length) : der;
          },
          expires: Math.floor(Date.now() / 1000) + 3600,
          singleUse: false,
        }),
        put() {},
        delete() {},
      };
      const taken = (await new web.StoredSessions(w.ossl, hostile).take('k')) as Session;
      expect(reads).toBe(1);
      expect(taken.toDER()).toEqual(der);
      taken.free();
    });
  });
});

describe('a TLS stream\u2019s own methods check their arguments', () => {
  it('waitForSessions: a NaN, string or negative count, or a NaN, zero or huge timeout is refused (it would wait for ever, or give up at once)', async () => {
    await withContexts(async (w) => {
      const [c, sv] = pipePair();
      const [client, server] = await handshake(w, c, sv);
      const cases: [unknown, unknown, abstract new (...args: never[]) => Error][] = [
        [Number.NaN, 1000, InvalidArgumentError],
        ['1', 1000, TypeError],
        [-1, 1000, InvalidArgumentError],
        [1, Number.NaN, InvalidArgumentError],
        [1, 0, InvalidArgumentError],
        [1, 2 ** 32, InvalidArgumentError],
        [1, '1000', TypeError],
      ];
      for (const [count, timeoutMs, expected] of cases) {
        await expect(client.waitForSessions(count as number, timeoutMs as number)).rejects.toBeInstanceOf(expected);
      }
      await client.waitForSessions(1, 5000);
      expect(client.sessionCount).toBeGreaterThan(0);
      await closeBoth(client, server);
    });
  });
});

describe('sessionKey names one server', () => {
  it('a protocol name with a comma, a host with a space, a port of another kind are refused: two servers never share a key', () => {
    // Before, ['h2,http/1.1'] and ['h2', 'http/1.1'] gave the same key.
    expect(() => web.sessionKey('example.test', 443, ['h2,http/1.1'])).toThrow(InvalidArgumentError);
    expect(web.sessionKey('example.test', 443, ['h2', 'http/1.1'])).toBe('example.test:443 h2,http/1.1');
    const cases: [unknown[], abstract new (...args: never[]) => Error][] = [
      [['example.test 443', 1], InvalidArgumentError],
      [['', 443], InvalidArgumentError],
      [['example.test', '443'], TypeError],
      [['example.test', 0], InvalidArgumentError],
      [['example.test', 443, 'h2'], TypeError],
      [['example.test', 443, ['']], InvalidArgumentError],
      [['example.test', 443, ['h 2']], InvalidArgumentError],
      [[7, 443], TypeError],
    ];
    for (const [args, expected] of cases) {
      expect(() => (web.sessionKey as (...a: unknown[]) => string)(...args)).toThrow(expected);
    }
    expect(web.sessionKey('[::1]', 8443)).toBe('[::1]:8443');
  });
});
