// The WASM side of bench/transports.mjs, runnable in Node, Deno and Bun: full handshakes per second
// and the throughput of one large download over loopback, through the runtime's own socket.
// (node-native: Node's own tls, the reference.) Argument: JSON { port, ca, handshakes, bytes, trials, transport }. Prints one JSON line.
import { loadOpenSSL } from '../dist/index.js';
import * as web from '../dist/web/index.js';

const o = JSON.parse(process.argv.at(-1));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function opener() {
  if (o.transport === 'deno') return (port) => Deno.connect({ hostname: '127.0.0.1', port });
  if (o.transport === 'bun') return (port) => web.bunConnect({ hostname: '127.0.0.1', port });
  const { openTCP, connectTLS } = await import('../dist/node/index.js');
  if (o.transport === 'node-duplex') return { connectTLS };
  if (o.transport === 'node-native') {
    // The reference: Node's own tls (native OpenSSL), through the same Duplex-shaped loop below.
    const tls = await import('node:tls');
    const { once: event } = await import('node:events');
    return {
      connectTLS: async ({ host, port, servername }) => {
        const s = tls.connect({ host, port, servername, ca: o.ca });
        await event(s, 'secureConnect');
        return s;
      },
    };
  }
  return (port) => openTCP('127.0.0.1', port);
}

const ossl = await loadOpenSSL({ trace: false });
const context = ossl.createContext({ role: 'client', ca: o.ca });
const open = await opener();

/** One connection: handshake, optionally download `bytes`, close. Returns the bytes received. */
async function once(bytes) {
  if (open.connectTLS) {
    const s = await open.connectTLS({ host: '127.0.0.1', port: o.port, context, servername: 'localhost' });
    let got = 0;
    if (bytes > 0) {
      s.write(`${bytes}\n`);
      for await (const chunk of s) {
        got += chunk.length;
        if (got >= bytes) break;
      }
    }
    s.destroy();
    return got;
  }
  const s = await web.connect({ transport: await open(o.port), context, servername: 'localhost' });
  let got = 0;
  if (bytes > 0) {
    const writer = s.writable.getWriter();
    await writer.write(new TextEncoder().encode(`${bytes}\n`));
    writer.releaseLock();
    const reader = s.readable.getReader();
    while (got < bytes) {
      const { value, done } = await reader.read();
      if (done) break;
      got += value.length;
    }
    reader.releaseLock();
  }
  s.abort();
  return got;
}

const hs = [];
const mbps = [];
for (let t = 0; t < o.trials; t++) {
  const start = performance.now();
  for (let i = 0; i < o.handshakes; i++) await once(0);
  hs.push((o.handshakes * 1000) / (performance.now() - start));
  const t0 = performance.now();
  const got = await once(o.bytes);
  if (got < o.bytes) throw new Error(`received ${got} of ${o.bytes} bytes`);
  mbps.push(got / 1e6 / ((performance.now() - t0) / 1000));
}
context.free();
console.log(JSON.stringify({ handshakesPerSecond: median(hs), megabytesPerSecond: median(mbps) }));
