// The Node adapter (openssl-session-wasm/node connectTLS / acceptTLS) attacked as a hostile caller
// would: a socket that is not a stream, a context that is not one, host and port of the wrong kind,
// streams that hand over other things than bytes or cannot be listened to. Every refusal comes
// before a TCP connection is dialled or an SSL object exists; every failure after that releases the
// connection. Real sockets on 127.0.0.1 only.
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Context, InvalidArgumentError, TransportError, UseAfterFreeError } from '../../dist/index.js';
import { acceptTLS, connectTLS, openTCP, socketTransport, type TLSStream } from '../../dist/node/index.js';
import { useInstance } from '../support/instance.js';
import { HOSTNAME } from '../support/tls.js';
import { expectNoConnections, expectRefusedBeforeConnection, type World, withContexts as withAll } from './adapters.js';

const instance = useInstance();

/** A TCP listener on 127.0.0.1 that counts the connections it was dialled with (and holds them). */
let listener: Server;
let port: number;
const dialled: Socket[] = [];
beforeAll(async () => {
  listener = createServer((s) => {
    dialled.push(s);
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const s of dialled) s.destroy();
  await new Promise((resolve) => listener.close(resolve));
});

/** A context pair on this test's instance. */
const withContexts = (fn: (w: World) => Promise<void>): Promise<void> => withAll(instance(), fn);

/** Refused before a connection existed, and nothing dialled (a dial would have reached the listener by now). */
function refusedBeforeConnection(
  w: World,
  call: () => Promise<unknown>,
  expected: abstract new (...args: never[]) => Error,
): Promise<Error> {
  const calls = dialled.length;
  return expectRefusedBeforeConnection(w, call, expected, async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(dialled.length).toBe(calls);
  });
}

/** Two Duplex ends joined in memory: what one writes, the other reads. */
function duplexPair(): [Duplex, Duplex] {
  const ab = new PassThrough();
  const ba = new PassThrough();
  const a = Duplex.from({ readable: ba, writable: ab });
  const b = Duplex.from({ readable: ab, writable: ba });
  return [a, b];
}

describe('connectTLS: refused before dialling or making a connection', () => {
  it('no context or a server context is an InvalidArgumentError (not "Cannot read properties of undefined")', async () => {
    await withContexts(async (w) => {
      for (const context of [undefined, null, w.server]) {
        await refusedBeforeConnection(
          w,
          () => connectTLS({ host: '127.0.0.1', port, servername: HOSTNAME, context: context as Context }),
          InvalidArgumentError,
        );
      }
    });
  });

  it('a look-alike context is a TypeError and its own code never runs; a freed context is a UseAfterFreeError', async () => {
    await withContexts(async (w) => {
      let ran = 0;
      const lookAlike = {
        role: 'client',
        verifies: false,
        newConnection: () => {
          ran++;
          return {};
        },
      };
      for (const context of [{}, lookAlike, Object.create(w.client) as Context]) {
        await refusedBeforeConnection(
          w,
          () => connectTLS({ host: '127.0.0.1', port, servername: HOSTNAME, context: context as Context }),
          TypeError,
        );
      }
      expect(ran).toBe(0);
      const freed = w.ossl.createContext({ role: 'client', verify: false });
      freed.free();
      await refusedBeforeConnection(
        w,
        () => connectTLS({ host: '127.0.0.1', port, servername: HOSTNAME, context: freed }),
        UseAfterFreeError,
      );
      const a = new PassThrough();
      await refusedBeforeConnection(w, () => acceptTLS(a, lookAlike as unknown as Context), TypeError);
      expect(a.destroyed).toBe(false); // the caller's stream is left as it was
      a.destroy();
    });
  });

  it('a socket that is not a Duplex stream ({}, a Web Streams pair, a string) is a TypeError: no connection is left behind', async () => {
    await withContexts(async (w) => {
      const web = new TransformStream();
      for (const socket of [{}, { readable: web.readable, writable: web.writable }, '127.0.0.1:443', 7]) {
        await refusedBeforeConnection(
          w,
          () => connectTLS({ host: HOSTNAME, port, context: w.client, socket: socket as unknown as Duplex }),
          TypeError,
        );
      }
    });
  });

  it('host must be a string and port a whole number from 1 to 65535: nothing is dialled otherwise', async () => {
    await withContexts(async (w) => {
      const cases: [Record<string, unknown>, abstract new (...args: never[]) => Error][] = [
        [{ host: 5, port }, TypeError],
        [{ host: undefined, port }, TypeError],
        [{ host: '127.0.0.1\0.evil', port }, InvalidArgumentError],
        [{ host: '127.0.0.1', port: String(port) }, TypeError],
        [{ host: '127.0.0.1', port: 0 }, InvalidArgumentError],
        [{ host: '127.0.0.1', port: 65536 }, InvalidArgumentError],
        [{ host: '127.0.0.1', port: port + 0.5 }, InvalidArgumentError],
        [{ host: '127.0.0.1', port: Number.NaN }, InvalidArgumentError],
        [{ host: '127.0.0.1', port: -1 }, InvalidArgumentError],
      ];
      for (const [where, expected] of cases) {
        await refusedBeforeConnection(
          w,
          () => connectTLS({ ...(where as { host: string; port: number }), servername: HOSTNAME, context: w.client }),
          expected,
        );
      }
    });
  });

  it('a servername with NUL is refused by the connection\u2019s converter; the dialled socket is closed', async () => {
    await withContexts(async (w) => {
      const error = await connectTLS({ host: '127.0.0.1', port, servername: `${HOSTNAME}\0.attacker.example`, context: w.client }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expectNoConnections(w);
    });
  });
});

describe('acceptTLS: refused before making a connection', () => {
  it('a socket that is not a Duplex, and a context that is not a server context, are refused', async () => {
    await withContexts(async (w) => {
      for (const socket of [{}, null, 'socket']) {
        await refusedBeforeConnection(w, () => acceptTLS(socket as unknown as Duplex, w.server), TypeError);
      }
      for (const context of [undefined, w.client]) {
        const a = new PassThrough();
        await refusedBeforeConnection(w, () => acceptTLS(a, context as Context), InvalidArgumentError);
        expect(a.destroyed).toBe(false); // the caller's stream is left as it was
        a.destroy();
      }
    });
  });
});

describe('streams that misbehave after the connection exists release it', () => {
  it('a Duplex in object mode that hands over numbers and strings fails the stream with TransportError; the connection is freed', async () => {
    await withContexts(async (w) => {
      for (const chunk of [42, 'a string chunk', { byteLength: 4 }]) {
        const socket = new Duplex({
          objectMode: true,
          read() {
            this.push(chunk);
            this.push(null);
          },
          write(_c, _e, cb) {
            cb();
          },
        });
        const error = await connectTLS({ host: HOSTNAME, port: 443, context: w.client, socket }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TransportError);
        expectNoConnections(w);
      }
    });
  });

  it('a Duplex subclass that cannot be listened to (its on() throws): the error is the caller\u2019s, the connection is freed', async () => {
    await withContexts(async (w) => {
      class Deaf extends PassThrough {
        deaf = false;
        override on(...args: Parameters<PassThrough['on']>): this {
          if (this.deaf) throw new Error('not listening');
          return super.on(...args);
        }
      }
      const socket = new Deaf();
      socket.deaf = true;
      const error = await connectTLS({ host: HOSTNAME, port: 443, context: w.client, socket }).catch((e: unknown) => e);
      expect((error as Error).message).toBe('not listening');
      expectNoConnections(w);
    });
  });

  it('the same adapter over a well-behaved Duplex pair still shakes hands and echoes (host only names the server)', async () => {
    await withContexts(async (w) => {
      const [a, b] = duplexPair();
      const [client, server] = (await Promise.all([
        connectTLS({ host: HOSTNAME, port: 443, context: w.client, socket: a }),
        acceptTLS(b, w.server),
      ])) as [TLSStream, TLSStream];
      const got = new Promise<string>((resolve) => server.once('data', (d: Buffer) => resolve(d.toString())));
      client.write('ping');
      expect(await got).toBe('ping');
      const closed = (s: TLSStream): Promise<void> => new Promise((resolve) => s.once('close', () => resolve()));
      const both = Promise.all([closed(client), closed(server)]);
      client.end();
      server.end();
      await both;
      expectNoConnections(w);
    });
  });
});

describe('openTCP and socketTransport', () => {
  it('openTCP: a host that is not a string or a port outside 1-65535 is refused before dialling (not a raw RangeError)', async () => {
    const calls = dialled.length;
    const cases: [unknown, unknown, abstract new (...args: never[]) => Error][] = [
      [5, port, TypeError],
      ['127.0.0.1', 99999, InvalidArgumentError],
      ['127.0.0.1', 0, InvalidArgumentError],
      ['127.0.0.1', String(port), TypeError],
      ['127.0.0.1\0.evil', port, InvalidArgumentError],
    ];
    for (const [host, p, expected] of cases) {
      await expect(openTCP(host as string, p as number)).rejects.toBeInstanceOf(expected);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(dialled.length).toBe(calls);
    const transport = await openTCP('127.0.0.1', port);
    expect(transport.readable).toBeInstanceOf(ReadableStream);
    await transport.writable.abort();
  });

  it('socketTransport of something that is not a Duplex is a TypeError', () => {
    for (const socket of [{}, null, new TransformStream()]) expect(() => socketTransport(socket as unknown as Duplex)).toThrow(TypeError);
  });
});
