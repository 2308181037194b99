// node bench/transports.mjs [--quick]: full TLS 1.3 handshakes per second and the throughput of a
// 50 MB download over loopback through each transport, beside Node's own tls on the same loopback
// against the same Node tls server (P-256 certificate, OpenSSL's default groups). Medians of the
// trials; prints a table and JSON. Never asserts a time. Every client runs in its own process, so
// the server here never shares a thread with the client it serves.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import tls from 'node:tls';
import { loadOpenSSL } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const root = new URL('..', import.meta.url).pathname;
const trials = quick ? 1 : 5;
const handshakes = quick ? 10 : 40;
const bytes = quick ? 5e6 : 50e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const ossl = await loadOpenSSL();
const cert = ossl.generateCertificate({ commonName: 'localhost', keyType: 'P-256' });
// The server sends the number of bytes a client asks for ("N\n"), in 64 KB writes that respect
// back-pressure, and otherwise only handshakes.
const payload = Buffer.alloc(65536, 0x61);
const server = tls.createServer({ cert: cert.certificate, key: cert.privateKey }, (socket) => {
  socket.on('error', () => {});
  socket.once('data', async (d) => {
    let left = Number.parseInt(String(d), 10);
    while (left > 0 && !socket.destroyed) {
      const n = Math.min(left, payload.length);
      left -= n;
      if (!socket.write(n === payload.length ? payload : payload.subarray(0, n))) await once(socket, 'drain').catch(() => {});
    }
  });
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const port = server.address().port;

function client(command, args, transport) {
  const spec = JSON.stringify({ port, ca: cert.certificate, handshakes, bytes, trials: 1, transport });
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args, `${root}bench/transports-client.mjs`, spec], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DENO_DIR: `${root}node_modules/.cache/deno` },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1))) : reject(new Error(`${transport}: ${err}`)),
    );
  });
}

/** The ceiling without any transport: two WASM connections in memory, the same cipher suite. */
function inMemory() {
  const server = ossl.createContext({ role: 'server', ...cert });
  const client = ossl.createContext({ role: 'client', ca: cert.certificate });
  const rates = [];
  for (let t = 0; t < trials; t++) {
    const pair = ossl.connectInMemory(client, server, { hostname: 'localhost' });
    const chunk = new Uint8Array(65536);
    const t0 = performance.now();
    let got = 0;
    while (got < bytes) {
      pair.server.write(chunk);
      pair.client.writeEncrypted(pair.server.readEncrypted());
      got += pair.client.read().length;
    }
    rates.push(got / 1e6 / ((performance.now() - t0) / 1000));
    pair.free();
  }
  client.free();
  server.free();
  return { handshakesPerSecond: Number.NaN, megabytesPerSecond: median(rates) };
}

const bin = (name) => `${root}node_modules/.bin/${name}`;
// Trials interleave the transports (one round: every transport once), so a change in the shared
// machine's load weighs on all of them alike.
const clients = {
  "Node's own tls (native OpenSSL)": () => client(process.execPath, [], 'node-native'),
  'WASM, Node Duplex (connectTLS)': () => client(process.execPath, [], 'node-duplex'),
  'WASM, Web Streams over net.Socket (openTCP)': () => client(process.execPath, [], 'node-web'),
  'WASM, Deno.connect': () => client(bin('deno'), ['run', '--no-config', '--no-prompt', '--allow-read', '--allow-net=127.0.0.1'], 'deno'),
  'WASM, Bun.connect (bunConnect)': () => client(bin('bun'), ['run', '--no-install'], 'bun'),
};
const samples = Object.fromEntries(Object.keys(clients).map((name) => [name, []]));
for (let t = 0; t < trials; t++) for (const [name, run] of Object.entries(clients)) samples[name].push(await run());
const rows = Object.fromEntries(
  Object.entries(samples).map(([name, runs]) => [
    name,
    { handshakesPerSecond: median(runs.map((r) => r.handshakesPerSecond)), megabytesPerSecond: median(runs.map((r) => r.megabytesPerSecond)) },
  ]),
);
rows['WASM in memory, no transport (the ceiling: encrypt + decrypt in one thread)'] = inMemory();
server.close();

const ref = rows["Node's own tls (native OpenSSL)"];
console.log(
  `TLS 1.3 over loopback, medians of ${trials} trials: ${handshakes} sequential full handshakes; one ${bytes / 1e6} MB download\n`,
);
console.log('| transport | full handshakes/s | × Node tls | MB/s (download) | × Node tls |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, r] of Object.entries(rows)) {
  console.log(
    `| ${name} | ${Number.isNaN(r.handshakesPerSecond) ? '—' : r.handshakesPerSecond.toFixed(0)} | ${Number.isNaN(r.handshakesPerSecond) ? '—' : (r.handshakesPerSecond / ref.handshakesPerSecond).toFixed(2)} | ${r.megabytesPerSecond.toFixed(0)} | ${(r.megabytesPerSecond / ref.megabytesPerSecond).toFixed(2)} |`,
  );
}
console.log(`\n${JSON.stringify(rows)}`);
