// A misspelt option is refused at every entry point that takes an options object, as
// createContext refuses one: `servrname`, `maxMemroy` or `alow` left in place silently would keep
// the default the caller meant to change (no name checked, no memory cap, nothing allowed). Each
// refusal comes before anything is loaded, dialled or made.
import { describe, expect, it } from 'vitest';
import { type Context, InvalidArgumentError, loadOpenSSL } from '../../dist/index.js';
import { startBridge } from '../../dist/node/bridge.js';
import { connectTLS } from '../../dist/node/index.js';
import * as web from '../../dist/web/index.js';
import { useInstance } from '../support/instance.js';
import { HOSTNAME } from '../support/tls.js';
import { expectRefusedBeforeConnection, type World, withContexts as withAll } from './adapters.js';

const instance = useInstance();
const withContexts = (fn: (w: World) => Promise<void>): Promise<void> => withAll(instance(), fn);

async function refusal(call: () => unknown): Promise<Error> {
  try {
    await call();
  } catch (error) {
    return error as Error;
  }
  throw new Error('accepted');
}

function pipe(): web.ByteTransport {
  const t = new TransformStream<Uint8Array, Uint8Array>();
  return { readable: t.readable, writable: t.writable };
}

describe('an option nobody knows is an InvalidArgumentError naming it, before anything happens', () => {
  it('loadOpenSSL({ maxMemroy }) and ({ debg }) load nothing', async () => {
    for (const options of [{ maxMemroy: 1 << 24 }, { debg: true }, { wasmURL: 'x.wasm' }]) {
      const error = await refusal(() => loadOpenSSL(options as never));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.message).toContain(`unknown option '${Object.keys(options)[0]}'`);
    }
  });

  it('connect({ servrname }) / accept({ contxt }) of /web and connectTLS({ servrname }) of /node make no connection and dial nothing', async () => {
    await withContexts(async (w) => {
      const t = pipe();
      const e1 = await expectRefusedBeforeConnection(
        w,
        () => web.connect({ transport: t, context: w.client, servrname: HOSTNAME } as unknown as web.ConnectOptions),
        InvalidArgumentError,
      );
      expect(e1.message).toContain("unknown option 'servrname'");
      expect(t.readable.locked).toBe(false);
      await expectRefusedBeforeConnection(
        w,
        () => web.accept({ transport: pipe(), context: w.server, contxt: w.server } as unknown as web.AcceptOptions),
        InvalidArgumentError,
      );
      await expectRefusedBeforeConnection(
        w,
        () =>
          web.connect({
            transport: pipe(),
            context: w.client,
            servername: HOSTNAME,
            store: { sessions: {}, key: 'k', kee: 'k' },
          } as unknown as web.ConnectOptions),
        InvalidArgumentError,
      );
      // Port 9 (discard) on 127.0.0.1: a dial would fail with TransportError, not this refusal.
      await expectRefusedBeforeConnection(
        w,
        () => connectTLS({ host: '127.0.0.1', port: 9, context: w.client as Context, servrname: HOSTNAME } as never),
        InvalidArgumentError,
      );
    });
  });

  it('websocketTransport({ maxBufferd }) opens no socket; startBridge({ alow }) listens on nothing', async () => {
    let opened = 0;
    class Counting {
      constructor() {
        opened++;
        throw new Error('opened');
      }
    }
    const ws = await refusal(() => web.websocketTransport('ws://127.0.0.1:9/', { WebSocket: Counting, maxBufferd: 1 } as never));
    expect(ws).toBeInstanceOf(InvalidArgumentError);
    expect(opened).toBe(0);
    const bridge = await refusal(() => startBridge({ host: '127.0.0.1', port: 0, alow: ['127.0.0.1:1'] } as never));
    expect(bridge).toBeInstanceOf(InvalidArgumentError);
    expect(bridge.message).toContain("unknown option 'alow'");
  });
});
